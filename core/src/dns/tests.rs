use std::net::IpAddr;

use ipnet::IpNet;

use super::addr::*;
use super::cymru::*;
use super::*;
// The answers are built with hickory-proto, a second implementation, so the decoder is
// checked against more than its own encoder. These shadow the decoder's simple-dns names.
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, NS, SOA, TXT};
use hickory_proto::rr::{Name, RData as HRData, Record, RecordType};

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// A name as hickory decoded it, in this module's form: its raw labels, lowercase, no dot at
/// the end (hickory's own text would escape a leading `-`).
fn hname(n: &Name) -> String {
    let labels: Vec<String> = n
        .iter()
        .map(|l| String::from_utf8_lossy(l).to_ascii_lowercase())
        .collect();
    labels.join(".")
}

/// A response to `qname`/`qtype` with the given answers and authority, built with hickory.
fn response(
    id: u16,
    qname: &str,
    qtype: RecordType,
    rcode: ResponseCode,
    answers: Vec<Record>,
    authority: Vec<Record>,
) -> Vec<u8> {
    let mut msg = Message::new(id, MessageType::Response, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.metadata.recursion_available = true;
    msg.metadata.response_code = rcode;
    msg.add_query(Query::query(name(qname), qtype));
    for a in answers {
        msg.add_answer(a);
    }
    for a in authority {
        msg.add_authority(a);
    }
    msg.to_vec().unwrap()
}

fn rec(owner: &str, ttl: u32, data: HRData) -> Record {
    Record::from_rdata(name(owner), ttl, data)
}

fn soa(zone: &str, minimum: u32) -> Record {
    rec(
        zone,
        900,
        HRData::SOA(SOA::new(
            name("ns1.example.net."),
            name("hostmaster.example.net."),
            1,
            7200,
            3600,
            1_209_600,
            minimum,
        )),
    )
}

// ----- queries

#[test]
fn queries_are_padded_to_128_and_decode_back() {
    for (n, t) in [
        ("example.com", QueryType::A),
        ("WWW.Example.COM.", QueryType::Aaaa),
        ("a", QueryType::Ns),
        ("_dmarc.example.org", QueryType::Txt),
        (&"x".repeat(63), QueryType::Cname),
        ("4.3.2.1.origin.asn.cymru.com", QueryType::Txt),
    ] {
        let q = build_query(n, t).unwrap();
        assert_eq!(q.len() % 128, 0, "{n}: {} bytes", q.len());
        let m = Message::from_vec(&q).unwrap();
        assert_eq!(m.metadata.id, 0);
        assert_eq!(m.metadata.message_type, MessageType::Query);
        assert!(m.metadata.recursion_desired);
        assert_eq!(m.queries.len(), 1);
        assert_eq!(hname(m.queries[0].name()), canonical(n));
        assert_eq!(m.queries[0].query_type(), RecordType::from(t.code()));
        let edns = m.edns.as_ref().unwrap();
        assert_eq!(edns.max_payload(), EDNS_UDP_SIZE);
        let pad = edns
            .options()
            .as_ref()
            .iter()
            .find(|(c, _)| u16::from(*c) == 12)
            .map(|(_, o)| o.len());
        assert!(pad.is_some(), "padding option present");
    }
}

/// A name of 253 octets, the longest there is, in four labels.
fn longest_name() -> String {
    format!(
        "{}.{}.{}.{}",
        "a".repeat(63),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(61)
    )
}

/// The query as simple-dns's general writer makes it (the shape `build_query` writes out).
fn query_by_simple_dns(name: &str, qtype: QueryType) -> Vec<u8> {
    use simple_dns::rdata::{OPTCode, OPT};
    use simple_dns::{Label, Packet, PacketFlag, Question, CLASS, QCLASS, QTYPE, TYPE};
    let ascii = check_name(name).unwrap();
    let labels: Vec<Label<'_>> = ascii
        .split('.')
        .map(|l| Label::new_unchecked(l.as_bytes()))
        .collect();
    let mut msg = Packet::new_query(0);
    msg.set_flags(PacketFlag::RECURSION_DESIRED);
    msg.questions.push(Question::new(
        simple_dns::Name::new_with_labels(&labels),
        QTYPE::TYPE(TYPE::from(qtype.code())),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    let with_padding = |msg: &mut Packet<'_>, len: usize| {
        *msg.opt_mut() = Some(OPT {
            opt_codes: vec![OPTCode {
                code: EDNS_PADDING,
                data: vec![0; len].into(),
            }],
            udp_packet_size: EDNS_UDP_SIZE,
            version: 0,
        });
        msg.build_bytes_vec().unwrap()
    };
    let unpadded = with_padding(&mut msg, 0).len();
    with_padding(&mut msg, (128 - unpadded % 128) % 128)
}

#[test]
fn queries_are_the_bytes_simple_dns_writes() {
    let long = longest_name();
    for (n, t) in [
        ("example.com", QueryType::A),
        ("WWW.Example.COM.", QueryType::Aaaa),
        ("a", QueryType::Ns),
        ("-a._b.example", QueryType::Cname),
        ("4.3.2.1.origin.asn.cymru.com", QueryType::Txt),
        (&"x".repeat(63), QueryType::A),
        (&long, QueryType::Txt),
    ] {
        // Every length of name up to the 253 limit crosses a padding block's boundary.
        assert_eq!(build_query(n, t).unwrap(), query_by_simple_dns(n, t), "{n}");
    }
    for len in 1..=253 {
        let n: String = (0..len)
            .map(|i| if i % 10 == 9 { '.' } else { 'q' })
            .collect();
        if check_name(&n).is_ok() {
            assert_eq!(
                build_query(&n, QueryType::A).unwrap(),
                query_by_simple_dns(&n, QueryType::A),
                "{n}"
            );
        }
    }
}

#[test]
fn long_names_pad_to_the_next_block() {
    // 253-char name: message is ~ 12 + 255 + 4 + 15 > 256.
    let long = longest_name();
    assert_eq!(long.len(), 253);
    let q = build_query(&long, QueryType::A).unwrap();
    assert_eq!(q.len(), 384);
}

#[test]
fn query_is_lowercased_and_deterministic() {
    assert_eq!(
        build_query("Example.COM", QueryType::A).unwrap(),
        build_query("example.com.", QueryType::A).unwrap()
    );
}

#[test]
fn invalid_query_names() {
    for bad in [
        "",
        ".",
        "a..b",
        ".a",
        "a b.com",
        "münchen.de",
        "a\\.b",
        "*.example.com",
        &"x".repeat(64),
        &format!("{}.com", "a.".repeat(125)), // 254 chars
    ] {
        assert!(
            matches!(
                build_query(bad, QueryType::A),
                Err(DnsError::InvalidName(_))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn every_normalized_host_can_be_asked() {
    // Found by the `site_key` fuzz target: the URL rules (and so `normalize_host`) allow a
    // label starting with '-', which hickory's `Name::from_ascii` refused, so such a site
    // could never be resolved.
    for host in [
        "xn127.0.0-.-mn1chen-3ya.de",
        "-a.example.com",
        "a.-.example.com",
    ] {
        let Ok(crate::site::HostKind::Name(h)) = crate::site::normalize_host(host) else {
            panic!("{host} is not a name")
        };
        let q = build_query(h.as_str(), QueryType::A).unwrap();
        let msg = Message::from_vec(&q).unwrap();
        assert_eq!(hname(msg.queries[0].name()), host);
        // And the answer is recognized as the answer to that question, records on the name.
        let owner = msg.queries[0].name().clone();
        let mut answer = Message::new(0, MessageType::Response, OpCode::Query);
        answer.add_query(msg.queries[0].clone());
        answer.add_answer(Record::from_rdata(
            owner,
            60,
            HRData::A(A::new(3, 5, 140, 2)),
        ));
        let resp = parse_response(&answer.to_vec().unwrap(), host, QueryType::A).unwrap();
        let res = follow_chain(&resp, host, QueryType::A).unwrap();
        assert_eq!(res.records.len(), 1, "{host}");
    }
}

#[test]
fn labels_with_odd_bytes_stay_escaped() {
    // From the dns_wire fuzz target: an owner name whose label "Yo." holds a dot byte. It
    // comes out escaped, ending in `\.` (part of the label, not the root), lowercased, and can
    // never be taken for the two labels "yo" and "" of a real name. (Here an A record of class
    // IN; the fuzzer's record had an unknown class, which the decoder now refuses.)
    let bytes = b"\x00\x00\x81\x3e\x00\x00\x00\x01\x00\x00\x00\x00\x07exe\x03Yo.\x00\x00\x01\x00\x01\x00\x00\x00\x3e\x00\x04\x01\x02\x03\x04";
    let r = parse_response(bytes, "example.com", QueryType::A).unwrap();
    assert_eq!(r.rcode, Rcode::Other(14));
    assert_eq!(r.answers.len(), 1);
    assert_eq!(r.answers[0].name, "exe\\003yo\\.");
    assert!(build_query(&r.answers[0].name, QueryType::A).is_err());
    // A dot inside a label is escaped wherever it sits.
    let labels = [
        simple_dns::Label::new_unchecked(&b"a.b"[..]),
        simple_dns::Label::new_unchecked(&b"example"[..]),
    ];
    let odd = simple_dns::Name::new_with_labels(&labels);
    assert_eq!(name_string(&odd), "a\\.b.example");
}

#[test]
fn get_url_is_base64url_without_padding() {
    let q = build_query("example.com", QueryType::A).unwrap();
    let url = get_url("https://dns.example/dns-query", &q);
    let b64 = url
        .strip_prefix("https://dns.example/dns-query?dns=")
        .unwrap();
    assert!(!b64.contains('='));
    assert!(!b64.contains('+') && !b64.contains('/'));
    let back = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64)
        .unwrap();
    assert_eq!(back, q);
    // Bytes that encode to '+' and '/' in standard base64 must come out as '-' and '_'.
    assert_eq!(get_url("r", &[0xfb, 0xff]), "r?dns=-_8");
    assert_eq!(get_url("https://r/q?ct=1", &[0]), "https://r/q?ct=1&dns=AA");
}

#[test]
fn json_url_shape() {
    assert_eq!(
        json_url(
            "https://cloudflare-dns.com/dns-query",
            "example.com",
            QueryType::Aaaa
        ),
        "https://cloudflare-dns.com/dns-query?name=example.com&type=AAAA"
    );
    assert_eq!(
        json_url("https://dns.google/resolve?ct=x", "a b&c", QueryType::Txt),
        "https://dns.google/resolve?ct=x&name=a%20b%26c&type=TXT"
    );
}

// ----- wire answers

#[test]
fn parses_a_answer() {
    let bytes = response(
        0,
        "Example.com.",
        RecordType::A,
        ResponseCode::NoError,
        vec![
            rec("EXAMPLE.com.", 300, HRData::A(A::new(93, 184, 216, 34))),
            rec("example.com.", 0, HRData::A(A::new(93, 184, 216, 35))),
        ],
        vec![],
    );
    let r = parse_response(&bytes, "example.com", QueryType::A).unwrap();
    assert_eq!(r.rcode, Rcode::NoError);
    assert!(!r.truncated);
    assert_eq!(
        r.answers,
        vec![
            DnsRecord {
                name: "example.com".into(),
                ttl: 300,
                data: RData::A(Ipv4Addr::new(93, 184, 216, 34))
            },
            DnsRecord {
                name: "example.com".into(),
                ttl: 0,
                data: RData::A(Ipv4Addr::new(93, 184, 216, 35))
            },
        ]
    );
    let res = follow_chain(&r, "example.com.", QueryType::A).unwrap();
    assert!(res.chain.is_empty());
    assert_eq!(res.records.len(), 2);
    assert_eq!(res.min_ttl, 0, "TTL 0 is valid and kept");
}

#[test]
fn parses_aaaa_answer() {
    let ip: Ipv6Addr = "2606:4700::6810:84e5".parse().unwrap();
    let bytes = response(
        0,
        "example.com.",
        RecordType::AAAA,
        ResponseCode::NoError,
        vec![rec("example.com.", 60, HRData::AAAA(AAAA(ip)))],
        vec![],
    );
    let r = parse_response(&bytes, "example.com", QueryType::Aaaa).unwrap();
    assert_eq!(r.answers[0].data, RData::Aaaa(ip));
}

#[test]
fn follows_cname_chain() {
    let bytes = response(
        0,
        "www.shop.example.",
        RecordType::A,
        ResponseCode::NoError,
        vec![
            rec(
                "www.shop.example.",
                3600,
                HRData::CNAME(CNAME(name("Shop.CDN.example.net."))),
            ),
            rec(
                "shop.cdn.example.net.",
                120,
                HRData::CNAME(CNAME(name("edge.cdn.example.net."))),
            ),
            // Unrelated name slipped into the answer: must be ignored.
            rec("evil.example.", 5, HRData::A(A::new(6, 6, 6, 6))),
            rec("edge.cdn.example.net.", 30, HRData::A(A::new(192, 0, 2, 7))),
            rec("edge.cdn.example.net.", 40, HRData::A(A::new(192, 0, 2, 8))),
        ],
        vec![],
    );
    let r = parse_response(&bytes, "www.shop.example", QueryType::A).unwrap();
    assert_eq!(
        r.answers[0].data,
        RData::Cname("shop.cdn.example.net".into())
    );
    let res = follow_chain(&r, "WWW.shop.example", QueryType::A).unwrap();
    assert_eq!(
        res.chain,
        vec!["shop.cdn.example.net", "edge.cdn.example.net"]
    );
    assert_eq!(res.records.len(), 2);
    assert!(res.records.iter().all(|r| r.name == "edge.cdn.example.net"));
    assert_eq!(res.min_ttl, 30);

    // Asking for the CNAME itself does not follow.
    let res = follow_chain(&r, "www.shop.example", QueryType::Cname).unwrap();
    assert!(res.chain.is_empty());
    assert_eq!(res.records.len(), 1);
    assert_eq!(res.min_ttl, 3600);
}

#[test]
fn records_of_unrelated_names_are_ignored() {
    let bytes = response(
        0,
        "victim.example.",
        RecordType::A,
        ResponseCode::NoError,
        vec![rec("other.example.", 5, HRData::A(A::new(6, 6, 6, 6)))],
        vec![],
    );
    let r = parse_response(&bytes, "victim.example", QueryType::A).unwrap();
    let res = follow_chain(&r, "victim.example", QueryType::A).unwrap();
    assert!(res.records.is_empty() && res.chain.is_empty());
    assert_eq!(res.min_ttl, 0);
}

#[test]
fn parses_ns_and_txt() {
    let bytes = response(
        0,
        "example.com.",
        RecordType::NS,
        ResponseCode::NoError,
        vec![
            rec(
                "example.com.",
                86400,
                HRData::NS(NS(name("A.IANA-Servers.net."))),
            ),
            rec(
                "example.com.",
                86400,
                HRData::NS(NS(name("b.iana-servers.net."))),
            ),
        ],
        vec![],
    );
    let r = parse_response(&bytes, "example.com", QueryType::Ns).unwrap();
    let res = follow_chain(&r, "example.com", QueryType::Ns).unwrap();
    assert_eq!(
        res.records
            .iter()
            .map(|r| r.data.clone())
            .collect::<Vec<_>>(),
        vec![
            RData::Ns("a.iana-servers.net".into()),
            RData::Ns("b.iana-servers.net".into())
        ]
    );

    let txt = TXT::new(vec![
        "15169 | 8.8.8.0/24 | US | ".into(),
        "arin | 1992-12-01".into(),
    ]);
    let bytes = response(
        0,
        "8.8.8.8.origin.asn.cymru.com.",
        RecordType::TXT,
        ResponseCode::NoError,
        vec![rec(
            "8.8.8.8.origin.asn.cymru.com.",
            14400,
            HRData::TXT(txt),
        )],
        vec![],
    );
    let r = parse_response(&bytes, "8.8.8.8.origin.asn.cymru.com", QueryType::Txt).unwrap();
    let RData::Txt(text) = &r.answers[0].data else {
        panic!("not TXT")
    };
    assert_eq!(text, "15169 | 8.8.8.0/24 | US | arin | 1992-12-01");
    let o = parse_cymru_origin(text).unwrap();
    assert_eq!(o.asns, vec![15169]);
}

#[test]
fn huge_txt_is_cut() {
    // 200 strings of 255 bytes = 51 000 bytes of TXT in one record.
    let parts: Vec<String> = (0..200).map(|_| "é".repeat(127) + "x").collect();
    let bytes = response(
        0,
        "big.example.",
        RecordType::TXT,
        ResponseCode::NoError,
        vec![rec("big.example.", 1, HRData::TXT(TXT::new(parts)))],
        vec![],
    );
    assert!(bytes.len() > 50_000);
    let r = parse_response(&bytes, "big.example", QueryType::Txt).unwrap();
    let RData::Txt(text) = &r.answers[0].data else {
        panic!("not TXT")
    };
    assert!(text.len() <= MAX_TXT_LEN && text.len() > MAX_TXT_LEN - 4);
    assert!(text.starts_with("éé"));
}

#[test]
fn nxdomain_with_soa() {
    let bytes = response(
        0,
        "nope.example.com.",
        RecordType::A,
        ResponseCode::NXDomain,
        vec![],
        vec![soa("example.com.", 300)],
    );
    let r = parse_response(&bytes, "nope.example.com", QueryType::A).unwrap();
    assert_eq!(r.rcode, Rcode::NxDomain);
    assert!(r.answers.is_empty());
    assert_eq!(
        r.authority,
        vec![DnsRecord {
            name: "example.com".into(),
            ttl: 900,
            data: RData::Soa {
                mname: "ns1.example.net".into(),
                minimum: 300
            }
        }]
    );
    let res = follow_chain(&r, "nope.example.com", QueryType::A).unwrap();
    assert!(res.records.is_empty());
    assert_eq!(res.min_ttl, 300, "negative TTL is min(SOA TTL, MINIMUM)");
}

#[test]
fn servfail_refused_and_truncated_are_outcomes() {
    for (code, want) in [
        (ResponseCode::ServFail, Rcode::ServFail),
        (ResponseCode::Refused, Rcode::Refused),
        (ResponseCode::NotImp, Rcode::NotImp),
        (ResponseCode::FormErr, Rcode::FormErr),
        (ResponseCode::YXDomain, Rcode::Other(6)),
    ] {
        let bytes = response(0, "example.com.", RecordType::A, code, vec![], vec![]);
        let r = parse_response(&bytes, "example.com", QueryType::A).unwrap();
        assert_eq!(r.rcode, want);
    }

    // The header's code stands whatever the OPT record's TTL holds: simple-dns would read its
    // Z bits as an extended code (here it would make 16, BADVERS, of a NOERROR), so the
    // extended code is not read (see `parse_response`).
    let mut msg = Message::new(0, MessageType::Response, OpCode::Query);
    msg.add_query(Query::query(name("example.com."), RecordType::A));
    let mut edns = Edns::new();
    edns.set_dnssec_ok(false);
    msg.set_edns(edns);
    let mut bytes = msg.to_vec().unwrap();
    // The OPT record is last: its TTL's low byte is 6 bytes from its end (2 TTL bytes, RDLENGTH).
    let at = bytes.len() - 3;
    assert_eq!(bytes[at], 0);
    bytes[at] = 1;
    let r = parse_response(&bytes, "example.com", QueryType::A).unwrap();
    assert_eq!(r.rcode, Rcode::NoError);

    let mut msg = Message::new(0, MessageType::Response, OpCode::Query);
    msg.metadata.truncation = true;
    msg.add_query(Query::query(name("example.com."), RecordType::TXT));
    let r = parse_response(&msg.to_vec().unwrap(), "example.com", QueryType::Txt).unwrap();
    assert!(r.truncated);
    assert_eq!(r.rcode, Rcode::NoError);

    // An error answer without a question section is accepted…
    let msg = Message::error_msg(0, OpCode::Query, ResponseCode::Refused);
    let r = parse_response(&msg.to_vec().unwrap(), "example.com", QueryType::A).unwrap();
    assert_eq!(r.rcode, Rcode::Refused);
    // …but not a NOERROR one.
    let msg = Message::new(0, MessageType::Response, OpCode::Query);
    assert!(matches!(
        parse_response(&msg.to_vec().unwrap(), "example.com", QueryType::A),
        Err(DnsError::QuestionMismatch { .. })
    ));
}

#[test]
fn mismatches_are_errors() {
    let ok = |id, q: &str, t| response(id, q, t, ResponseCode::NoError, vec![], vec![]);
    assert!(matches!(
        parse_response(
            &ok(1234, "example.com.", RecordType::A),
            "example.com",
            QueryType::A
        ),
        Err(DnsError::IdMismatch(1234))
    ));
    assert!(matches!(
        parse_response(
            &ok(0, "example.org.", RecordType::A),
            "example.com",
            QueryType::A
        ),
        Err(DnsError::QuestionMismatch { .. })
    ));
    assert!(matches!(
        parse_response(
            &ok(0, "example.com.", RecordType::AAAA),
            "example.com",
            QueryType::A
        ),
        Err(DnsError::QuestionMismatch { .. })
    ));
    // Our own query is not a response.
    let q = build_query("example.com", QueryType::A).unwrap();
    assert!(matches!(
        parse_response(&q, "example.com", QueryType::A),
        Err(DnsError::NotAResponse)
    ));
}

#[test]
fn malformed_bytes_are_errors() {
    let good = response(
        0,
        "example.com.",
        RecordType::A,
        ResponseCode::NoError,
        vec![rec("example.com.", 300, HRData::A(A::new(1, 2, 3, 4)))],
        vec![],
    );
    assert!(matches!(
        parse_response(&[], "example.com", QueryType::A),
        Err(DnsError::Malformed(_))
    ));
    assert!(matches!(
        parse_response(&good[..7], "example.com", QueryType::A),
        Err(DnsError::Malformed(_))
    ));
    // Said in our words: what is wrong, not the decoder's error types.
    match parse_response(&good[..good.len() - 2], "example.com", QueryType::A) {
        Err(DnsError::Malformed(why)) => {
            assert_eq!(why, "the message ends before its records do")
        }
        other => panic!("{other:?}"),
    }
    // Every truncation of a valid answer is an error, never a panic.
    for n in 0..good.len() {
        assert!(
            parse_response(&good[..n], "example.com", QueryType::A).is_err(),
            "{n}"
        );
    }

    // Compression pointer loop: the question name at offset 12 points to itself.
    let mut looped = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
    looped.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    match parse_response(&looped, "example.com", QueryType::A) {
        Err(DnsError::Malformed(why)) => assert!(why.contains("pointer"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Two pointers pointing at each other (forward then backward).
    let mut pingpong = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
    pingpong.extend_from_slice(&[0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1]);
    assert!(parse_response(&pingpong, "example.com", QueryType::A).is_err());

    // Hostile QDCOUNT.
    let mut many = good.clone();
    many[4] = 0xff;
    many[5] = 0xff;
    assert!(matches!(
        parse_response(&many, "example.com", QueryType::A),
        Err(DnsError::Malformed(_))
    ));
    // Hostile ANCOUNT with no records behind it.
    let mut lying = good.clone();
    lying[6] = 0xff;
    assert!(parse_response(&lying, "example.com", QueryType::A).is_err());

    assert!(matches!(
        parse_response(&vec![0; MAX_MESSAGE_LEN + 1], "example.com", QueryType::A),
        Err(DnsError::Malformed(_))
    ));
}

#[test]
fn random_garbage_does_not_panic() {
    // xorshift: deterministic, no extra dev-dependency.
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let good = response(
        0,
        "example.com.",
        RecordType::A,
        ResponseCode::NoError,
        vec![
            rec(
                "example.com.",
                300,
                HRData::CNAME(CNAME(name("a.example.com."))),
            ),
            rec("a.example.com.", 300, HRData::A(A::new(1, 2, 3, 4))),
        ],
        vec![soa("example.com.", 60)],
    );
    for _ in 0..3000 {
        let len = (next() % 200) as usize;
        let junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let _ = parse_response(&junk, "example.com", QueryType::A);
        let _ = parse_json(&junk, "example.com", QueryType::A);
        // Bit flips in a valid message reach deeper into the decoder.
        let mut flipped = good.clone();
        for _ in 0..3 {
            let i = (next() as usize) % flipped.len();
            flipped[i] ^= 1 << (next() % 8);
        }
        if let Ok(r) = parse_response(&flipped, "example.com", QueryType::A) {
            let _ = follow_chain(&r, "example.com", QueryType::A);
        }
    }
}

// ----- chains

fn cname(from: &str, to: &str) -> DnsRecord {
    DnsRecord {
        name: from.into(),
        ttl: 60,
        data: RData::Cname(to.into()),
    }
}

fn resp(answers: Vec<DnsRecord>) -> Response {
    Response {
        rcode: Rcode::NoError,
        truncated: false,
        answers,
        authority: vec![],
    }
}

#[test]
fn cname_loop_is_an_error() {
    let r = resp(vec![
        cname("a.example", "b.example"),
        cname("b.example", "a.example"),
    ]);
    assert!(matches!(
        follow_chain(&r, "a.example", QueryType::A),
        Err(DnsError::CnameLoop(n)) if n == "a.example"
    ));
    let r = resp(vec![cname("a.example", "a.example")]);
    assert!(matches!(
        follow_chain(&r, "a.example", QueryType::A),
        Err(DnsError::CnameLoop(_))
    ));
    let r = resp(vec![
        cname("a.example", "b.example"),
        cname("b.example", "c.example"),
        cname("c.example", "b.example"),
    ]);
    assert!(matches!(
        follow_chain(&r, "a.example", QueryType::A),
        Err(DnsError::CnameLoop(n)) if n == "b.example"
    ));
}

#[test]
fn long_chain_is_an_error() {
    let chain = |links: usize| {
        resp(
            (0..links)
                .map(|i| cname(&format!("n{i}.example"), &format!("n{}.example", i + 1)))
                .collect(),
        )
    };
    let res = follow_chain(&chain(MAX_CNAME_CHAIN), "n0.example", QueryType::A).unwrap();
    assert_eq!(res.chain.len(), MAX_CNAME_CHAIN);
    assert!(matches!(
        follow_chain(&chain(MAX_CNAME_CHAIN + 1), "n0.example", QueryType::A),
        Err(DnsError::ChainTooLong(_))
    ));
}

#[test]
fn cname_to_nxdomain_keeps_chain() {
    let mut r = resp(vec![cname("www.example", "gone.cdn.example")]);
    r.rcode = Rcode::NxDomain;
    r.authority = vec![DnsRecord {
        name: "cdn.example".into(),
        ttl: 30,
        data: RData::Soa {
            mname: "ns.cdn.example".into(),
            minimum: 600,
        },
    }];
    let res = follow_chain(&r, "www.example", QueryType::Aaaa).unwrap();
    assert_eq!(res.chain, vec!["gone.cdn.example"]);
    assert!(res.records.is_empty());
    assert_eq!(res.min_ttl, 30);
}

// ----- JSON

#[test]
fn json_cloudflare_a_with_cname() {
    let body = br#"{"Status":0,"TC":false,"RD":true,"RA":true,"AD":false,"CD":false,
        "Question":[{"name":"www.github.com","type":1}],
        "Answer":[{"name":"www.github.com","type":5,"TTL":3600,"data":"github.com."},
                  {"name":"github.com","type":1,"TTL":60,"data":"140.82.121.4"}]}"#;
    let r = parse_json(body, "www.github.com.", QueryType::A).unwrap();
    assert_eq!(r.rcode, Rcode::NoError);
    let res = follow_chain(&r, "www.github.com", QueryType::A).unwrap();
    assert_eq!(res.chain, vec!["github.com"]);
    assert_eq!(
        res.records[0].data,
        RData::A(Ipv4Addr::new(140, 82, 121, 4))
    );
    assert_eq!(res.min_ttl, 60);
}

#[test]
fn json_google_style_and_txt_quoting() {
    // Google: trailing dots, unquoted TXT.
    let body = br#"{"Status":0,"TC":false,"RD":true,"RA":true,"AD":false,"CD":false,
        "Question":[{"name":"example.com.","type":16}],
        "Answer":[{"name":"example.com.","type":16,"TTL":86400,"data":"v=spf1 -all"}],
        "Comment":"Response from 2001:500:8f::53."}"#;
    let r = parse_json(body, "EXAMPLE.com", QueryType::Txt).unwrap();
    assert_eq!(r.answers[0].name, "example.com");
    assert_eq!(r.answers[0].data, RData::Txt("v=spf1 -all".into()));

    // Cloudflare: quoted, several strings, escapes.
    let body = br#"{"Status":0,"TC":false,"Question":[{"name":"8.8.8.8.origin.asn.cymru.com","type":16}],
        "Answer":[{"name":"8.8.8.8.origin.asn.cymru.com","type":16,"TTL":14400,
                   "data":"\"15169 | 8.8.8.0/24 | US | \" \"arin | 1992-12-01\""},
                  {"name":"8.8.8.8.origin.asn.cymru.com","type":16,"TTL":1,"data":"\"a\\\"b\\\\c \\195\\169\""}]}"#;
    let r = parse_json(body, "8.8.8.8.origin.asn.cymru.com", QueryType::Txt).unwrap();
    assert_eq!(
        r.answers[0].data,
        RData::Txt("15169 | 8.8.8.0/24 | US | arin | 1992-12-01".into())
    );
    assert_eq!(r.answers[1].data, RData::Txt("a\"b\\c é".into()));
}

#[test]
fn json_nxdomain_tc_and_other_types() {
    let body = br#"{"Status":3,"TC":false,"RD":true,"RA":true,"AD":true,"CD":false,
        "Question":[{"name":"nope.example.com","type":28}],
        "Authority":[{"name":"example.com","type":6,"TTL":1800,
          "data":"ns.icann.org. noc.dns.icann.org. 2024081426 7200 3600 1209600 3600"}]}"#;
    let r = parse_json(body, "nope.example.com", QueryType::Aaaa).unwrap();
    assert_eq!(r.rcode, Rcode::NxDomain);
    assert_eq!(
        r.authority[0].data,
        RData::Soa {
            mname: "ns.icann.org".into(),
            minimum: 3600
        }
    );
    assert_eq!(
        follow_chain(&r, "nope.example.com", QueryType::Aaaa)
            .unwrap()
            .min_ttl,
        1800
    );

    let body = br#"{"Status":0,"TC":true,"Question":[{"name":"big.example","type":16}],
        "Answer":[{"name":"big.example","type":46,"TTL":5,"data":"A 13 2 300 ..."}]}"#;
    let r = parse_json(body, "big.example", QueryType::Txt).unwrap();
    assert!(r.truncated);
    assert_eq!(r.answers[0].data, RData::Other(46));

    let body = br#"{"Status":2,"TC":false}"#;
    assert_eq!(
        parse_json(body, "x.example", QueryType::A).unwrap().rcode,
        Rcode::ServFail
    );
}

#[test]
fn json_errors() {
    for body in [
        &b""[..],
        b"not json",
        b"{",
        b"[]",
        b"{\"TC\":false}",
        br#"{"Status":0,"Answer":[{"name":"a.example","type":1,"TTL":1,"data":"not an ip"}]}"#,
        br#"{"Status":0,"Answer":[{"name":"a.example","type":28,"TTL":1,"data":"1.2.3.4"}]}"#,
        br#"{"Status":0,"Answer":[{"name":"a.example","type":1,"TTL":-1,"data":"1.2.3.4"}]}"#,
        br#"{"Status":3,"Authority":[{"name":"example","type":6,"TTL":1,"data":"ns. x."}]}"#,
    ] {
        assert!(
            matches!(
                parse_json(body, "a.example", QueryType::A),
                Err(DnsError::Json(_))
            ),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let body = br#"{"Status":0,"Question":[{"name":"b.example","type":1}]}"#;
    assert!(matches!(
        parse_json(body, "a.example", QueryType::A),
        Err(DnsError::QuestionMismatch { .. })
    ));
    let body = br#"{"Status":0,"Question":[{"name":"a.example","type":28}]}"#;
    assert!(matches!(
        parse_json(body, "a.example", QueryType::A),
        Err(DnsError::QuestionMismatch { .. })
    ));
    let huge = vec![b' '; MAX_JSON_LEN + 1];
    assert!(matches!(
        parse_json(&huge, "a.example", QueryType::A),
        Err(DnsError::Json(_))
    ));
}

#[test]
fn unquote_txt_edge_cases() {
    assert_eq!(unquote_txt(r#""""#).unwrap(), b"");
    assert_eq!(unquote_txt(r#" "a"  "b" "#).unwrap(), b"ab");
    assert_eq!(unquote_txt(r#""\065""#).unwrap(), b"A");
    assert!(unquote_txt(r#""unterminated"#).is_none());
    assert!(unquote_txt(r#""a" b"#).is_none());
    assert!(unquote_txt(r#""\999""#).is_none());
    assert!(unquote_txt(r#""\1""#).is_none());
}

// ----- Team Cymru

#[test]
fn cymru_names() {
    assert_eq!(
        cymru_origin_name("8.8.4.4".parse().unwrap()).unwrap(),
        "4.4.8.8.origin.asn.cymru.com"
    );
    assert_eq!(
        cymru_origin_name("1.2.3.4".parse().unwrap()).unwrap(),
        "4.3.2.1.origin.asn.cymru.com"
    );
    assert_eq!(
        cymru_origin_name("2001:4860:4860::8888".parse().unwrap()).unwrap(),
        "8.8.8.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.8.4.0.6.8.4.1.0.0.2.origin6.asn.cymru.com"
    );
    // IPv4-mapped: judged and named as IPv4.
    assert_eq!(
        cymru_origin_name("::ffff:8.8.8.8".parse().unwrap()).unwrap(),
        "8.8.8.8.origin.asn.cymru.com"
    );
    assert_eq!(cymru_as_name(15169), "AS15169.asn.cymru.com");
    // The names we build are valid queries.
    for ip in ["8.8.8.8", "2a00:1450:4001:80b::200e"] {
        let n = cymru_origin_name(ip.parse().unwrap()).unwrap();
        assert_eq!(build_query(&n, QueryType::Txt).unwrap().len() % 128, 0);
    }
}

#[test]
fn non_public_addresses_have_no_cymru_name() {
    for ip in [
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.4",
        "172.31.255.255",
        "127.0.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "169.254.1.1",
        "0.0.0.0",
        "0.1.2.3",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "::1.2.3.4",
        "fe80::1",
        "fd00::1",
        "fc00::1",
        "ff02::1",
        "fec0::1",
        "64:ff9b::808:808",
        "100::1",
        "2001:db8::1",
        "2001::1",
        "2001:10::1",
        "2002:808:808::1",
        "3fff::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        assert!(!is_public(ip), "{ip}");
        assert_eq!(cymru_origin_name(ip), None, "{ip}");
    }
    for ip in [
        "8.8.8.8",
        "1.1.1.1",
        "100.63.255.255",
        "100.128.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.3.1",
        "223.255.255.255",
        "2001:4860:4860::8888",
        "2606:4700::1111",
        "2a00:1450::1",
        "2001:200::1",
        "::ffff:1.1.1.1",
    ] {
        assert!(is_public(ip.parse().unwrap()), "{ip}");
    }
}

#[test]
fn cymru_origin_records() {
    let o = parse_cymru_origin("15169 | 8.8.8.0/24 | US | arin | 1992-12-01").unwrap();
    assert_eq!(
        o,
        CymruOrigin {
            asns: vec![15169],
            prefix: "8.8.8.0/24".parse().unwrap(),
            country: "US".into(),
            registry: "arin".into(),
            allocated: "1992-12-01".into(),
        }
    );
    let o = parse_cymru_origin("13335 209242 | 104.16.0.0/13 | US | arin | 2014-03-28").unwrap();
    assert_eq!(o.asns, vec![13335, 209242]);
    let o = parse_cymru_origin("15169 | 2001:4860::/32 | US | arin | 2005-03-14").unwrap();
    assert_eq!(o.prefix, "2001:4860::/32".parse::<IpNet>().unwrap());
    // Empty trailing fields happen for some prefixes.
    let o = parse_cymru_origin("64512 | 192.0.2.0/24 |  |  | ").unwrap();
    assert_eq!((o.country.as_str(), o.allocated.as_str()), ("", ""));

    for bad in [
        "",
        "15169",
        "15169 | 8.8.8.0/24 | US | arin",
        "15169 | 8.8.8.0/24 | US | arin | 1992-12-01 | extra",
        " | 8.8.8.0/24 | US | arin | 1992-12-01",
        "AS-x | 8.8.8.0/24 | US | arin | 1992-12-01",
        "4294967296 | 8.8.8.0/24 | US | arin | 1992-12-01",
        "15169 | 8.8.8.0/33 | US | arin | 1992-12-01",
        "15169 | not a prefix | US | arin | 1992-12-01",
    ] {
        assert!(
            matches!(parse_cymru_origin(bad), Err(DnsError::Cymru(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn cymru_as_records() {
    assert_eq!(
        parse_cymru_as("15169 | US | arin | 2000-03-30 | GOOGLE, US").unwrap(),
        CymruAs {
            asn: 15169,
            country: "US".into(),
            registry: "arin".into(),
            allocated: "2000-03-30".into(),
            holder: "GOOGLE, US".into(),
        }
    );
    // A '|' in the holder stays in the holder.
    assert_eq!(
        parse_cymru_as("64496 | ZZ | ripencc | | A | B, ZZ")
            .unwrap()
            .holder,
        "A | B, ZZ"
    );
    for bad in [
        "",
        "15169 | US | arin | 2000-03-30",
        "x | US | arin | 2000 | G",
    ] {
        assert!(
            matches!(parse_cymru_as(bad), Err(DnsError::Cymru(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn serde_round_trip() {
    let r = Response {
        rcode: Rcode::Other(23),
        truncated: true,
        answers: vec![cname("a", "b")],
        authority: vec![],
    };
    let s = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Response>(&s).unwrap(), r);
}
