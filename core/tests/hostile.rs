//! The hostile-input corpus (issue 7): feeds, DNS answers and hostnames an attacker, a broken
//! server or a cut download could hand the core, each with the exact outcome it must have.
//!
//! Cases the unit tests already pin down are not repeated here: every truncation of a wire
//! answer and hostile QDCOUNT/ANCOUNT (`dns/tests.rs`), CNAME loops inside one parsed answer and
//! across answers in the engine, malformed snapshots (`table/tests.rs`), and the hostname
//! grammar (`site/tests.rs`). Inputs the fuzzers found are kept next to the code they broke.
#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use onebasket::dns::{self, DnsError, QueryType, RData, Rcode};
use onebasket::engine::{AnswerFormat, Engine, EngineConfig, Hints, Query};
use onebasket::feeds::{self, FeedError, FeedFormat, FeedSet, FeedSpec, ParsedFeed};
use onebasket::knowledge;
use onebasket::profile::Resolution;
use onebasket::rules::Rules;
use onebasket::site::{self, HostKind, SiteError, SiteKey, SiteKeys};

// ---------------------------------------------------------------------------------------------
// Feeds

fn specs() -> Vec<FeedSpec> {
    knowledge::all_feed_specs(&Rules::builtin().unwrap())
}

fn spec(file: &str) -> FeedSpec {
    specs().into_iter().find(|s| s.file == file).unwrap()
}

/// A spec for the Cloudflare API format, which no official feed file uses.
fn cloudflare_api() -> FeedSpec {
    FeedSpec::new(
        "cloudflare-api.json",
        "",
        "cloudflare",
        FeedFormat::CloudflareApi,
    )
}

/// Every spec, so each case runs against every parser.
fn all_specs() -> Vec<FeedSpec> {
    let mut all = specs();
    all.push(cloudflare_api());
    all
}

fn is_json(format: FeedFormat) -> bool {
    !matches!(
        format,
        FeedFormat::CidrText | FeedFormat::IpText | FeedFormat::Geofeed
    )
}

/// A fixture by its feed file name, from `feeds/` or `feeds-extra/`, if one is there (the
/// Bunny feed's official files have no snapshot: only a converted combination of the two).
fn try_fixture(file: &str) -> Option<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures");
    ["feeds", "feeds-extra"]
        .iter()
        .find_map(|dir| std::fs::read(root.join(dir).join(file)).ok())
}

fn fixture(file: &str) -> Vec<u8> {
    try_fixture(file).unwrap_or_else(|| panic!("no fixture {file}"))
}

/// An AWS `ip-ranges.json` with `n` distinct /24s (plus `extra` entries as given).
fn aws_feed(n: usize, extra: &str) -> String {
    let mut prefixes: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"ip_prefix":"3.{}.{}.0/24","region":"us-east-1","network_border_group":"us-east-1","service":"EC2"}}"#,
                i / 256,
                i % 256
            )
        })
        .collect();
    if !extra.is_empty() {
        prefixes.push(extra.to_owned());
    }
    format!(
        r#"{{"syncToken":"1","createDate":"2026-08-22-15-17-05","prefixes":[{}],"ipv6_prefixes":[]}}"#,
        prefixes.join(",")
    )
}

#[test]
fn empty_and_blank_feeds_are_refused_by_every_parser() {
    for spec in all_specs() {
        for body in [&b""[..], b"   \n\t\n", b"\n\n"] {
            let err = feeds::parse(&spec, body).unwrap_err();
            if is_json(spec.format) {
                assert!(
                    matches!(&err, FeedError::Json { message, .. } if message.contains("EOF")),
                    "{}: {err}",
                    spec.file
                );
            } else {
                assert_eq!(
                    err,
                    FeedError::Empty {
                        file: spec.file.clone()
                    }
                );
            }
            assert_eq!(err.file(), spec.file);
        }
    }
}

#[test]
fn truncated_feeds_are_refused() {
    // The real files cut in the middle: a JSON document is then never complete.
    for spec in specs().iter().filter(|s| is_json(s.format)) {
        let Some(full) = try_fixture(&spec.file) else {
            continue;
        };
        // Mid-file, just before the closing brace (a file cut after it, e.g. missing only its
        // final newline, is complete), and after the first byte.
        let last_brace = full.iter().rposition(|&b| b == b'}').unwrap();
        for cut in [full.len() / 2, last_brace, 1] {
            let err = feeds::parse(spec, &full[..cut]).unwrap_err();
            assert!(
                matches!(&err, FeedError::Json { message, .. } if message.contains("EOF")),
                "{} cut at {cut}: {err}",
                spec.file
            );
        }
    }
    // Text lists have no end marker: cut mid-line the last entry is refused (the whole file
    // with it), cut at a line end the file is shorter but valid, which is what the
    // plausibility check is for (see `a_feed_shrunk_by_90_percent_keeps_the_last_good_one`).
    let v4 = spec("ips-v4");
    let full = fixture("ips-v4");
    let text = String::from_utf8(full.clone()).unwrap();
    let cut = text.find("/").unwrap();
    assert_eq!(
        feeds::parse(&v4, &full[..cut]).unwrap_err(),
        FeedError::InvalidPrefix {
            file: "ips-v4".into(),
            entry: "line 1".into(),
            text: text[..cut].to_owned(),
        }
    );
    let first_line = text.find('\n').unwrap() + 1;
    assert_eq!(
        feeds::parse(&v4, &full[..first_line])
            .unwrap()
            .records
            .len(),
        1
    );
    // RFC 8805 makes every geofeed field after the prefix optional, so a row cut inside its
    // country code still parses; the file as a whole is then judged by its size.
    let geo = spec("google.csv");
    let feed = feeds::parse(
        &geo,
        b"104.131.0.0/18,US,US-NY,New York,\n104.131.64.0/18,U",
    )
    .unwrap();
    let regions: Vec<_> = feed.records.iter().map(|r| r.region.as_deref()).collect();
    assert_eq!(regions, [Some("US-NY New York"), Some("U")]);
}

#[test]
fn a_100_mb_feed_is_refused_before_parsing() {
    let huge = vec![b' '; 100 * 1024 * 1024];
    for spec in all_specs() {
        let started = std::time::Instant::now();
        assert_eq!(
            feeds::parse(&spec, &huge).unwrap_err(),
            FeedError::TooLarge {
                file: spec.file.clone(),
                size: 100 * 1024 * 1024,
                limit: feeds::MAX_FEED_BYTES,
            }
        );
        // Not parsed at all: even a slow debug build answers at once.
        assert!(started.elapsed().as_secs() < 1);
    }
    // The limit leaves room for the largest real feed many times over.
    assert!(fixture("ServiceTags_Public.json").len() * 4 < feeds::MAX_FEED_BYTES);
    let mut set = FeedSet::new();
    let aws = spec("ip-ranges.json");
    set.apply(&aws, aws_feed(3, "").as_bytes()).unwrap();
    assert!(matches!(
        set.apply(&aws, &huge),
        Err(FeedError::TooLarge { .. })
    ));
    assert_eq!(set.get("ip-ranges.json").unwrap().records.len(), 3);
}

#[test]
fn wrong_json_types_are_shape_errors() {
    let shape = |spec: &FeedSpec, body: &str| -> (String, String) {
        match feeds::parse(spec, body.as_bytes()) {
            Err(FeedError::Shape { entry, problem, .. }) => (entry, problem),
            other => panic!("{}: {body}: {other:?}", spec.file),
        }
    };
    // A JSON value of the wrong kind at the top: every JSON parser says so.
    for spec in all_specs().iter().filter(|s| is_json(s.format)) {
        for body in ["[]", "null", "42", "\"ip-ranges\"", "true"] {
            // A json-lists feed without `lists` is an array itself: `[]` is just empty.
            if body == "[]" && spec.format == FeedFormat::JsonLists && spec.lists.is_empty() {
                continue;
            }
            let (entry, _) = shape(spec, body);
            assert_eq!(entry, "top level", "{}: {body}", spec.file);
        }
    }
    let aws = spec("ip-ranges.json");
    assert_eq!(
        shape(
            &aws,
            r#"{"prefixes":{"ip_prefix":"3.5.140.0/22"},"ipv6_prefixes":[]}"#
        )
        .0,
        "prefixes"
    );
    let (entry, problem) = shape(
        &aws,
        r#"{"prefixes":[{"ip_prefix":3,"region":"us-east-1","service":"EC2"}],"ipv6_prefixes":[]}"#,
    );
    assert_eq!(entry, "prefixes[0]");
    assert_eq!(problem, "expected a prefix string, found a number 3");
    let gcp = spec("cloud.json");
    assert_eq!(
        shape(
            &gcp,
            r#"{"prefixes":[{"ipv4Prefix":["34.1.0.0/16"],"scope":"us"}]}"#
        ),
        (
            "prefixes[0]".to_owned(),
            r#"expected a prefix string, found an array ["34.1.0.0/16"]"#.to_owned()
        )
    );
    let fastly = spec("public-ip-list.json");
    assert_eq!(
        shape(
            &fastly,
            r#"{"addresses":"23.235.32.0/20","ipv6_addresses":[]}"#
        )
        .0,
        "addresses"
    );
}

#[test]
fn duplicate_entries_are_merged_into_one_record() {
    // The same prefix twice, and once more with host bits set: one record.
    let aws = spec("ip-ranges.json");
    let dup = r#"{"ip_prefix":"3.0.0.0/24","region":"us-east-1","network_border_group":"us-east-1","service":"EC2"}"#;
    let body = aws_feed(2, dup).replace(
        "\"prefixes\":[",
        "\"prefixes\":[{\"ip_prefix\":\"3.0.0.7/24\",\"region\":\"us-east-1\",\"network_border_group\":\"us-east-1\",\"service\":\"EC2\"},",
    );
    let feed = feeds::parse(&aws, body.as_bytes()).unwrap();
    let prefixes: Vec<String> = feed.records.iter().map(|r| r.prefix.to_string()).collect();
    assert_eq!(prefixes, ["3.0.0.0/24", "3.0.1.0/24"]);
    // Duplicate lines of a text list and of a geofeed.
    let v4 = spec("ips-v4");
    let feed = feeds::parse(&v4, b"173.245.48.0/20\n173.245.48.0/20\n103.21.244.0/22\n").unwrap();
    assert_eq!(feed.records.len(), 2);
    let geo = spec("google.csv");
    let line = "104.131.0.0/18,US,US-NY,New York,\n";
    let feed = feeds::parse(&geo, line.repeat(3).as_bytes()).unwrap();
    assert_eq!(feed.records.len(), 1);
    assert_eq!(feed.records[0].region.as_deref(), Some("US-NY New York"));
    // A key given twice in one object: the last one counts, as in every browser's JSON.parse,
    // so an empty repeat empties the feed (and the feed is refused as empty).
    let entry = r#"{"ip_prefix":"3.5.140.0/22","region":"x","service":"EC2"}"#;
    let twice = |first: &str, second: &str| {
        format!(r#"{{"prefixes":[{first}],"ipv6_prefixes":[],"prefixes":[{second}]}}"#)
    };
    assert_eq!(
        feeds::parse(&aws, twice(entry, "").as_bytes()).unwrap_err(),
        FeedError::Empty {
            file: "ip-ranges.json".into()
        }
    );
    let feed = feeds::parse(&aws, twice("", entry).as_bytes()).unwrap();
    assert_eq!(feed.records.len(), 1);
}

/// What the CLI (`feeds update`) and the extension (`fetch_one`) do with a download: parse it,
/// and replace the last good copy only when the new one is plausible next to it.
fn refresh(set: &mut FeedSet, spec: &FeedSpec, bytes: &[u8]) -> Result<(), String> {
    let parsed: ParsedFeed = feeds::parse(spec, bytes).map_err(|e| e.to_string())?;
    if let Some(previous) = set.get(&spec.file) {
        let before = u32::try_from(previous.records.len()).unwrap();
        let now = u32::try_from(parsed.records.len()).unwrap();
        if !knowledge::plausible_update(before, now) {
            return Err(format!(
                "implausible: {now} prefixes where there were {before}"
            ));
        }
    }
    set.insert(parsed);
    Ok(())
}

#[test]
fn a_feed_shrunk_by_90_percent_keeps_the_last_good_one() {
    let specs = specs();
    let aws = spec("ip-ranges.json");
    let mut set = FeedSet::new();
    refresh(&mut set, &aws, aws_feed(1000, "").as_bytes()).unwrap();
    let probe = IpAddr::V4(Ipv4Addr::new(3, 3, 200, 1)); // in the 1000th /24, 3.3.231.0
    let answer = |set: &FeedSet| {
        knowledge::build_table(set, &specs)
            .first(probe)
            .map(|r| r.provider.to_owned())
    };
    assert_eq!(answer(&set).as_deref(), Some("aws"));

    // 100 of 1000 left: a parsable, valid, but implausible file.
    assert_eq!(
        refresh(&mut set, &aws, aws_feed(100, "").as_bytes()),
        Err("implausible: 100 prefixes where there were 1000".to_owned())
    );
    assert_eq!(set.get("ip-ranges.json").unwrap().records.len(), 1000);
    assert_eq!(answer(&set).as_deref(), Some("aws"));

    // 101 is a shrink by less than 90 %: believed.
    refresh(&mut set, &aws, aws_feed(101, "").as_bytes()).unwrap();
    assert_eq!(set.get("ip-ranges.json").unwrap().records.len(), 101);
    assert_eq!(answer(&set), None);

    // A failed parse leaves the set alone too (FeedSet::apply itself).
    assert!(set.apply(&aws, b"{\"prefixes\":[").is_err());
    assert_eq!(set.get("ip-ranges.json").unwrap().records.len(), 101);
}

// ---------------------------------------------------------------------------------------------
// DNS answers, hand-built in wire format

fn name_bytes(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.split('.').filter(|l| !l.is_empty()) {
        out.push(u8::try_from(label.len()).unwrap());
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

/// A resource record; `owner` is raw name bytes (so it can be a compression pointer).
fn rr(owner: &[u8], rtype: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut out = owner.to_vec();
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&u16::try_from(rdata.len()).unwrap().to_be_bytes());
    out.extend_from_slice(rdata);
    out
}

/// A response (QR, RD, RA set) with one question and the given answer records.
fn message(id: u16, flags: u16, qname: &str, qtype: u16, answers: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(0x8180 | flags).to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&u16::try_from(answers.len()).unwrap().to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&name_bytes(qname));
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    for a in answers {
        out.extend_from_slice(a);
    }
    out
}

/// Compression pointer to the question name (always at offset 12).
const QNAME_PTR: [u8; 2] = [0xc0, 0x0c];

#[test]
fn cname_loop_on_the_wire_is_an_error() {
    // a → b → a, the second owner and the targets compressed.
    let a_to_b = rr(&QNAME_PTR, 5, 60, &name_bytes("b.example"));
    let b_to_a = rr(&name_bytes("b.example"), 5, 60, &QNAME_PTR);
    let bytes = message(0, 0, "a.example", 1, &[a_to_b, b_to_a]);
    let resp = dns::parse_response(&bytes, "a.example", QueryType::A).unwrap();
    assert_eq!(resp.answers.len(), 2);
    assert_eq!(resp.answers[1].data, RData::Cname("a.example".into()));
    assert!(matches!(
        dns::follow_chain(&resp, "a.example", QueryType::A),
        Err(DnsError::CnameLoop(n)) if n == "a.example"
    ));
    // A name that is its own alias.
    let own = rr(&QNAME_PTR, 5, 60, &QNAME_PTR);
    let bytes = message(0, 0, "a.example", 1, &[own]);
    let resp = dns::parse_response(&bytes, "a.example", QueryType::A).unwrap();
    assert!(matches!(
        dns::follow_chain(&resp, "a.example", QueryType::A),
        Err(DnsError::CnameLoop(n)) if n == "a.example"
    ));
}

#[test]
fn compression_pointer_loops_are_malformed() {
    let header = |ancount: u8| vec![0, 0, 0x81, 0x80, 0, 1, 0, ancount, 0, 0, 0, 0];
    let malformed = |bytes: &[u8]| {
        matches!(
            dns::parse_response(bytes, "example.com", QueryType::A),
            Err(DnsError::Malformed(_))
        )
    };
    // The question name is a pointer to itself.
    let mut own = header(0);
    own.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1]);
    assert!(malformed(&own));
    // Two pointers to each other: 12 → 14 → 12.
    let mut pair = header(0);
    pair.extend_from_slice(&[0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1]);
    assert!(malformed(&pair));
    // A label, then a pointer back to that label: "x.x.x.x…" without end.
    let mut label_loop = header(0);
    label_loop.extend_from_slice(&[1, b'x', 0xc0, 0x0c, 0, 1, 0, 1]);
    assert!(malformed(&label_loop));
    // A good question, and an answer whose CNAME target points to itself.
    let mut q = message(0, 0, "example.com", 1, &[]);
    q[7] = 1; // ANCOUNT
    let target_at = q.len() + 2 + 10;
    let [hi, lo] = u16::try_from(0xc000 | target_at).unwrap().to_be_bytes();
    q.extend_from_slice(&rr(&QNAME_PTR, 5, 60, &[hi, lo]));
    assert!(malformed(&q));
    // A pointer past the end of the message.
    let mut past = header(0);
    past.extend_from_slice(&[0xc0, 0xff, 0, 1, 0, 1]);
    assert!(malformed(&past));
}

#[test]
fn ids_other_than_zero_are_refused() {
    // RFC 8484 §4.1: DoH clients use ID 0 so answers are cacheable; this crate only ever sends
    // ID 0, so a response with another ID answers someone else's query (or a confused server)
    // and is refused rather than trusted.
    let a = rr(&QNAME_PTR, 1, 60, &[3, 5, 140, 2]);
    for id in [1, 0x1234, u16::MAX] {
        let bytes = message(id, 0, "example.com", 1, std::slice::from_ref(&a));
        assert!(matches!(
            dns::parse_response(&bytes, "example.com", QueryType::A),
            Err(DnsError::IdMismatch(got)) if got == id
        ));
    }
    assert!(dns::parse_response(
        &message(0, 0, "example.com", 1, &[a]),
        "example.com",
        QueryType::A
    )
    .is_ok());

    // In the engine the query fails (not cached: the next look-up asks again).
    let mut e = engine();
    e.start("www.example.com", Hints::default(), 0).unwrap();
    serve(&mut e, 0, |q| {
        let mut m = answer(q, &[rr(&QNAME_PTR, 1, 300, &[3, 5, 140, 2])]);
        m[0..2].copy_from_slice(&7u16.to_be_bytes());
        m
    });
    let p = e.poll_profile().unwrap().1;
    assert!(
        matches!(&p.resolution, Resolution::ResolverError(why) if why.contains("has ID 7, expected 0")),
        "{:?}",
        p.resolution
    );
    e.start("www.example.com", Hints::default(), 1).unwrap();
    assert_eq!(std::iter::from_fn(|| e.poll_query()).count(), 3);
}

#[test]
fn question_mismatch_is_refused() {
    let a = rr(&QNAME_PTR, 1, 60, &[3, 5, 140, 2]);
    let other_name = message(0, 0, "evil.example", 1, std::slice::from_ref(&a));
    match dns::parse_response(&other_name, "example.com", QueryType::A) {
        Err(DnsError::QuestionMismatch { expected, found }) => {
            assert_eq!(expected, "example.com A");
            assert_eq!(found, "evil.example A");
        }
        other => panic!("{other:?}"),
    }
    let other_type = message(0, 0, "example.com", 28, &[a]);
    match dns::parse_response(&other_type, "example.com", QueryType::A) {
        Err(DnsError::QuestionMismatch { expected, found }) => {
            assert_eq!(expected, "example.com A");
            assert_eq!(found, "example.com AAAA");
        }
        other => panic!("{other:?}"),
    }
    // Case and a trailing dot do not make a mismatch (0x20 randomisation, RFC 1035 case rules).
    let upper = message(0, 0, "EXAMPLE.Com.", 1, &[]);
    assert!(dns::parse_response(&upper, "example.com.", QueryType::A).is_ok());
}

#[test]
fn truncated_messages() {
    let a = rr(&QNAME_PTR, 1, 60, &[3, 5, 140, 2]);
    let full = message(0, 0, "example.com", 1, &[a]);
    // Cut inside the header, the question, and the answer's RDATA.
    for cut in [0, 11, 20, full.len() - 1] {
        assert!(
            matches!(
                dns::parse_response(&full[..cut], "example.com", QueryType::A),
                Err(DnsError::Malformed(_))
            ),
            "cut at {cut}"
        );
    }
    // A message the server marked truncated (TC) is read, and says so.
    let tc = message(0, 0x0200, "example.com", 1, &[]);
    let resp = dns::parse_response(&tc, "example.com", QueryType::A).unwrap();
    assert!(resp.truncated);
    assert!(resp.answers.is_empty());
}

#[test]
fn zero_ttl_answers_are_accepted_and_used_but_not_cached() {
    let a = rr(&QNAME_PTR, 1, 0, &[3, 5, 140, 2]);
    let bytes = message(0, 0, "example.com", 1, &[a]);
    let resp = dns::parse_response(&bytes, "example.com", QueryType::A).unwrap();
    assert_eq!(resp.answers[0].ttl, 0);
    let res = dns::follow_chain(&resp, "example.com", QueryType::A).unwrap();
    assert_eq!(res.min_ttl, 0);
    assert_eq!(res.records.len(), 1);

    let mut e = engine();
    e.start("www.example.com", Hints::default(), 0).unwrap();
    let sent = serve(&mut e, 0, |q| match q.qtype {
        QueryType::A => answer(q, &[rr(&QNAME_PTR, 1, 0, &[3, 5, 140, 2])]),
        _ => answer(q, &[]),
    });
    assert_eq!(sent, 3);
    let p = e.poll_profile().unwrap().1;
    assert_eq!(p.resolution, Resolution::Ok);
    assert_eq!(p.hosting.provider.as_deref(), Some("aws"));
    // Same instant, same host: the A (TTL 0) is asked again; AAAA and NS (NODATA without SOA,
    // cached for the configured negative TTL) are not.
    e.start("www.example.com", Hints::default(), 0).unwrap();
    let again: Vec<QueryType> = std::iter::from_fn(|| e.poll_query())
        .map(|q| q.qtype)
        .collect();
    assert_eq!(again, [QueryType::A]);
}

#[test]
fn huge_txt_for_a_cymru_query_is_cut_and_refused() {
    let qname = "2.140.5.3.origin.asn.cymru.com";
    // 250 character-strings of 255 bytes: 64 000 bytes of TXT, just under the message limit.
    let mut rdata = Vec::new();
    for _ in 0..250 {
        rdata.push(255);
        rdata.extend_from_slice(&[b'7'; 255]);
    }
    let bytes = message(0, 0, qname, 16, &[rr(&QNAME_PTR, 16, 300, &rdata)]);
    assert!(bytes.len() > 64_000);
    let resp = dns::parse_response(&bytes, qname, QueryType::Txt).unwrap();
    let RData::Txt(text) = &resp.answers[0].data else {
        panic!("{:?}", resp.answers[0].data)
    };
    assert_eq!(text.len(), dns::MAX_TXT_LEN);
    assert!(matches!(
        dns::cymru::parse_cymru_origin(text),
        Err(DnsError::Cymru(m)) if m.starts_with("expected 5 fields")
    ));
    // Past the DNS message size limit: refused before decoding.
    let mut too_big = bytes.clone();
    too_big.resize(dns::MAX_MESSAGE_LEN + 1, 0);
    assert!(matches!(
        dns::parse_response(&too_big, qname, QueryType::Txt),
        Err(DnsError::Malformed(m)) if m.contains("more than 65535")
    ));
    // In the engine a useless origin record means no AS, and the look-up still finishes.
    let mut e = Engine::new(classifier(), EngineConfig::default());
    e.start("www.example.com", Hints::default(), 0).unwrap();
    let sent = serve(&mut e, 0, |q| match q.qtype {
        QueryType::A => answer(q, &[rr(&QNAME_PTR, 1, 60, &[3, 5, 140, 2])]),
        QueryType::Txt => answer(q, &[rr(&QNAME_PTR, 16, 60, &rdata)]),
        _ => answer(q, &[]),
    });
    assert_eq!(sent, 4, "A, AAAA, NS and one origin TXT; no AS query");
    let p = e.poll_profile().unwrap().1;
    assert_eq!(p.hosting.asn, None);
    assert_eq!(p.hosting.provider.as_deref(), Some("aws"));
}

#[test]
fn json_answers_of_the_wrong_shape_are_errors() {
    let json = |s: &str| dns::parse_json(s.as_bytes(), "example.com", QueryType::A);
    assert!(matches!(json(""), Err(DnsError::Json(_))));
    assert!(matches!(json("[]"), Err(DnsError::Json(_))));
    assert!(matches!(json(r#"{"Status":"0"}"#), Err(DnsError::Json(_))));
    assert!(matches!(
        json(r#"{"Status":0,"Answer":[{"name":"example.com","type":1,"TTL":0,"data":"3.5.140"}]}"#),
        Err(DnsError::Json(m)) if m.contains("A data")
    ));
    let ok = json(r#"{"Status":3,"Answer":[]}"#).unwrap();
    assert_eq!(ok.rcode, Rcode::NxDomain);
    let big = vec![b' '; dns::MAX_JSON_LEN + 1];
    assert!(matches!(
        dns::parse_json(&big, "example.com", QueryType::A),
        Err(DnsError::Json(m)) if m.contains("more than")
    ));
}

// The engine, answering from closures.

fn classifier() -> onebasket::classify::Classifier {
    let specs = specs();
    let mut set = FeedSet::new();
    set.apply(
        &spec("ip-ranges.json"),
        aws_feed(1, "")
            .replace("3.0.0.0/24", "3.5.140.0/22")
            .as_bytes(),
    )
    .unwrap();
    knowledge::classifier(knowledge::build_table(&set, &specs)).unwrap()
}

fn engine() -> Engine {
    Engine::new(
        classifier(),
        EngineConfig {
            asn_lookups: false,
            ..EngineConfig::default()
        },
    )
}

/// A response to the engine's query `q` with `answers`.
fn answer(q: &Query, answers: &[Vec<u8>]) -> Vec<u8> {
    message(0, 0, &q.name, q.qtype.code(), answers)
}

/// Answers every query until the engine is quiet; the number of queries sent.
fn serve(e: &mut Engine, now: u64, zone: impl Fn(&Query) -> Vec<u8>) -> usize {
    let mut sent = 0;
    while let Some(q) = e.poll_query() {
        sent += 1;
        e.handle_response(q.id, AnswerFormat::Wire, &zone(&q), now);
    }
    sent
}

// ---------------------------------------------------------------------------------------------
// Hostnames

fn key(host: &str) -> Result<SiteKey, SiteError> {
    SiteKeys::builtin().site_key(host)
}

#[test]
fn ip_literal_hosts_are_their_own_site() {
    for (host, ip) in [
        ("192.0.2.1", "192.0.2.1"),
        ("192.0.2.1.", "192.0.2.1"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:DB8::1]", "2001:db8::1"),
        ("[::ffff:192.0.2.1]", "::ffff:192.0.2.1"),
    ] {
        assert_eq!(key(host), Ok(SiteKey::Ip(ip.parse().unwrap())), "{host}");
    }
    assert!(matches!(
        key("[2001:db8::1"),
        Err(SiteError::InvalidIpv6(_))
    ));
    assert!(matches!(
        key("192.0.2.1:443"),
        Err(SiteError::InvalidCharacter(':'))
    ));
    // An IP literal needs no DNS: the engine asks nothing for it (and no Team Cymru query for
    // a documentation address).
    let mut e = Engine::new(classifier(), EngineConfig::default());
    e.start("[2001:db8::1]", Hints::default(), 0).unwrap();
    assert!(e.poll_query().is_none());
    assert_eq!(e.poll_profile().unwrap().1.resolution, Resolution::Ok);
}

#[test]
fn localhost_is_local_in_any_spelling() {
    for host in ["localhost", "LOCALHOST", "localhost."] {
        assert_eq!(key(host), Ok(SiteKey::Local("localhost".into())), "{host}");
    }
    assert_eq!(
        key("app.Dev.LocalHost."),
        Ok(SiteKey::Local("dev.localhost".into()))
    );
}

#[test]
fn unicode_and_punycode_names_agree() {
    let expected = Ok(SiteKey::Domain("xn--mnchen-3ya.de".into()));
    for host in [
        "münchen.de",
        "MÜNCHEN.DE.",
        "www.münchen.de",
        "xn--mnchen-3ya.de",
        "WWW.XN--MNCHEN-3YA.DE",
    ] {
        assert_eq!(key(host), expected, "{host}");
    }
    // A public suffix that is itself an IDN: 公司.cn is a suffix, so the site is one label more.
    assert_eq!(
        key("www.食狮.公司.cn"),
        Ok(SiteKey::Domain("xn--85x722f.xn--55qx5d.cn".into()))
    );
    // A broken punycode label is refused, not passed on.
    assert!(matches!(key("xn--zz.de"), Err(SiteError::Idna(_))));
}

#[test]
fn name_length_limits_match_what_dns_accepts() {
    let l63 = "a".repeat(63);
    let n253 = format!("{l63}.{l63}.{l63}.{}.com", "b".repeat(57));
    assert_eq!(n253.len(), 253);
    let upper_with_dot = format!("{}.", n253.to_ascii_uppercase());
    for host in [n253.as_str(), upper_with_dot.as_str()] {
        let Ok(HostKind::Name(h)) = site::normalize_host(host) else {
            panic!("{host} refused")
        };
        assert_eq!(h.as_str(), n253);
        // Whatever normalizes can be asked.
        assert!(dns::build_query(h.as_str(), QueryType::A).is_ok());
    }
    assert_eq!(
        key(&n253),
        Ok(SiteKey::Domain(format!("{}.com", "b".repeat(57))))
    );

    let n254 = format!("c{n253}");
    assert_eq!(key(&n254), Err(SiteError::TooLong(254)));
    assert!(matches!(
        dns::build_query(&n254, QueryType::A),
        Err(DnsError::InvalidName(_))
    ));
    let l64 = format!("{}.example.com", "d".repeat(64));
    assert_eq!(key(&l64), Err(SiteError::LabelTooLong(64)));
    assert!(matches!(
        dns::build_query(&l64, QueryType::A),
        Err(DnsError::InvalidName(_))
    ));
    // Two trailing dots are an empty label, one is the root.
    assert_eq!(key("example.com.."), Err(SiteError::EmptyLabel));
    assert_eq!(
        key("Example.COM."),
        Ok(SiteKey::Domain("example.com".into()))
    );
}
