//! DNS-over-HTTPS queries and answers and CNAME chains; which addresses are public
//! ([`addr`]) and Team Cymru IP → ASN names ([`cymru`]).
//!
//! Sans-IO: this module builds RFC 8484 queries (wire format and JSON API URLs) and parses the
//! bytes a caller fetched; it never performs a request itself.
//!
//! Answers are decoded by `simple-dns`; nothing here hand-parses DNS messages (the response
//! code excepted: see [`parse_response`]). Queries, one fixed shape, are written out by
//! [`build_query`]. Why not `hickory-proto`, which the tests still use to build their answers:
//! README's dependency table.
//!
//! Names handed out by this module are lowercase ASCII without the trailing dot. The root name
//! is the empty string.
//!
//! Size limits (input is untrusted):
//! - a wire message longer than [`MAX_MESSAGE_LEN`] (65 535, the DNS maximum) is rejected;
//! - a JSON answer longer than [`MAX_JSON_LEN`] is rejected;
//! - the text of one TXT record (its character-strings concatenated) is cut at
//!   [`MAX_TXT_LEN`] bytes (on a UTF-8 boundary; invalid UTF-8 is replaced with U+FFFD).
//!   The records this crate reads (Team Cymru, provider verification strings) are far shorter.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use simple_dns::rdata::RData as SRData;
use simple_dns::{Name, Packet, PacketFlag, ResourceRecord, SimpleDnsError};

/// Cloudflare's RFC 8484 endpoint: the default resolver (settings, CLI, options page).
pub const DEFAULT_RESOLVER: &str = "https://cloudflare-dns.com/dns-query";
/// Media type of RFC 8484 wire-format requests and answers.
pub const DNS_MESSAGE: &str = "application/dns-message";
/// Media type of the JSON API (Cloudflare, Google).
pub const DNS_JSON: &str = "application/dns-json";

/// Longest CNAME chain [`follow_chain`] follows before giving up.
pub const MAX_CNAME_CHAIN: usize = 16;
/// Largest wire-format message accepted (the DNS message size limit).
pub const MAX_MESSAGE_LEN: usize = 65_535;
/// Largest JSON answer accepted, in bytes.
pub const MAX_JSON_LEN: usize = 512 * 1024;
/// Longest TXT text kept per record, in bytes; longer text is cut.
pub const MAX_TXT_LEN: usize = 4096;

/// UDP payload size advertised in the OPT record (the DNS Flag Day 2020 value). DoH is not UDP,
/// but some resolvers forward the value upstream.
const EDNS_UDP_SIZE: u16 = 1232;
/// The OPT pseudo-record's type (RFC 6891).
const OPT_TYPE: u16 = 41;
/// EDNS(0) Padding option code (RFC 7830).
const EDNS_PADDING: u16 = 12;
/// Block size for query padding (RFC 8467, "Block-Length Padding", recommended for queries).
const PADDING_BLOCK: usize = 128;

/// The record types this crate asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum QueryType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Canonical name (alias).
    Cname,
    /// Name server.
    Ns,
    /// Text.
    Txt,
}

impl QueryType {
    /// The type's mnemonic, as used in the JSON API's `type=` parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            QueryType::A => "A",
            QueryType::Aaaa => "AAAA",
            QueryType::Cname => "CNAME",
            QueryType::Ns => "NS",
            QueryType::Txt => "TXT",
        }
    }

    /// The numeric RR type (RFC 1035, RFC 3596).
    pub fn code(self) -> u16 {
        match self {
            QueryType::A => 1,
            QueryType::Ns => 2,
            QueryType::Cname => 5,
            QueryType::Txt => 16,
            QueryType::Aaaa => 28,
        }
    }
}

impl fmt::Display for QueryType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Errors building queries and reading answers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DnsError {
    /// The name to query is not a valid ASCII hostname.
    #[error("invalid DNS name {0:?}")]
    InvalidName(String),
    /// The wire message could not be decoded (truncated, bad compression pointer, too large…).
    #[error("malformed DNS message: {0}")]
    Malformed(String),
    /// The message is a query, not a response.
    #[error("DNS message is not a response")]
    NotAResponse,
    /// The response's ID is not 0 (RFC 8484 queries use ID 0).
    #[error("DNS response has ID {0}, expected 0")]
    IdMismatch(u16),
    /// The response answers another question.
    #[error("DNS response is for {found:?}, expected {expected:?}")]
    QuestionMismatch {
        /// The question asked, as `name TYPE`.
        expected: String,
        /// The question in the response, as `name TYPE`.
        found: String,
    },
    /// The JSON answer could not be read.
    #[error("bad DNS JSON answer: {0}")]
    Json(String),
    /// The CNAME chain loops back to a name already visited.
    #[error("CNAME loop at {0:?}")]
    CnameLoop(String),
    /// The CNAME chain has more links than [`MAX_CNAME_CHAIN`].
    #[error("CNAME chain longer than {0} links")]
    ChainTooLong(usize),
    /// A Team Cymru TXT record could not be read.
    #[error("bad Team Cymru record: {0}")]
    Cymru(String),
}

/// A response code (RFC 1035 §4.1.1, RFC 6895). Non-zero codes are outcomes, not errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rcode {
    /// 0: no error.
    NoError,
    /// 1: the server could not read the query.
    FormErr,
    /// 2: the server failed (often a DNSSEC or upstream failure).
    ServFail,
    /// 3: the name does not exist.
    NxDomain,
    /// 4: the server does not support this kind of query.
    NotImp,
    /// 5: the server refused to answer.
    Refused,
    /// Any other code.
    Other(u16),
}

impl From<u16> for Rcode {
    fn from(code: u16) -> Self {
        match code {
            0 => Rcode::NoError,
            1 => Rcode::FormErr,
            2 => Rcode::ServFail,
            3 => Rcode::NxDomain,
            4 => Rcode::NotImp,
            5 => Rcode::Refused,
            other => Rcode::Other(other),
        }
    }
}

/// The data of one record, for the types this crate reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RData {
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// Alias target (lowercase, no trailing dot).
    Cname(String),
    /// Name server (lowercase, no trailing dot).
    Ns(String),
    /// Text: the character-strings concatenated, cut at [`MAX_TXT_LEN`] bytes.
    Txt(String),
    /// Start of authority (in negative answers): primary server and negative-caching TTL.
    Soa {
        /// Primary name server (lowercase, no trailing dot).
        mname: String,
        /// The SOA MINIMUM field (RFC 2308 negative-caching TTL).
        minimum: u32,
    },
    /// A record of another type, by numeric type.
    Other(u16),
}

/// One resource record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsRecord {
    /// Owner name, lowercase, no trailing dot.
    pub name: String,
    /// Time to live in seconds (0 is valid: use once, don't cache).
    pub ttl: u32,
    /// The record's data.
    pub data: RData,
}

/// A parsed response: the outcome (RCODE, TC) and the answer and authority sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// Response code.
    pub rcode: Rcode,
    /// The TC bit: the answer was truncated and is incomplete.
    pub truncated: bool,
    /// Answer section.
    pub answers: Vec<DnsRecord>,
    /// Authority section (SOA in negative answers).
    pub authority: Vec<DnsRecord>,
}

/// The outcome of one name in a response: the CNAME chain followed from qname, and the final
/// records of the asked type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    /// qname's CNAME targets, in order (empty when qname has no CNAME).
    pub chain: Vec<String>,
    /// Records of the asked type owned by the last name of the chain.
    pub records: Vec<DnsRecord>,
    /// Smallest TTL among the chain's CNAMEs and the records; for a negative answer (no records),
    /// the SOA's negative-caching TTL (RFC 2308) is included too. 0 when there is nothing.
    pub min_ttl: u32,
}

// ---------------------------------------------------------------------------------------------
// Names

/// Lowercases and drops one trailing dot.
fn canonical(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// A decoded `Name` → lowercase, no trailing dot. Letters, digits, `-` and `_` (what
/// [`check_name`] allows in a query) come out as they are; any other byte comes out escaped
/// (`\.` and `\\` for a dot or backslash inside a label, `\DDD` for the rest), so a name with
/// such a label can never equal a valid queried name nor be mistaken for part of a chain, and a
/// name without one can be asked in turn.
fn name_string(name: &Name<'_>) -> String {
    let mut out = String::new();
    for (n, label) in name.get_labels().iter().enumerate() {
        if n > 0 {
            out.push('.');
        }
        for &b in label.as_ref() {
            match b {
                b'.' | b'\\' => {
                    out.push('\\');
                    out.push(char::from(b));
                }
                b if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' => {
                    out.push(char::from(b.to_ascii_lowercase()));
                }
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
    }
    out
}

/// Why simple-dns could not decode an answer, in our words (its own texts are terse).
fn decode_error_text(e: &SimpleDnsError) -> String {
    use SimpleDnsError as E;
    match e {
        E::InsufficientData => "the message ends before its records do".into(),
        // simple-dns's catch-all: the causes it is raised for, since it does not say which.
        E::InvalidDnsPacket => "a name too long, a name pointer that does not point back to \
                                an earlier label, or a record's data that does not read"
            .into(),
        E::InvalidServiceLabel => "a label longer than 63 bytes".into(),
        E::InvalidClass(c) => format!("unknown record class {c}"),
        E::InvalidQClass(c) => format!("unknown question class {c}"),
        E::InvalidQType(t) => format!("unknown question type {t}"),
        E::InvalidHeaderData => "reserved header bits are set".into(),
        _ => "the bytes do not decode as a DNS message".into(),
    }
}

/// Checks an ASCII hostname (LDH plus underscore, labels 1..=63, total ≤ 253) and returns it
/// lowercase without the trailing dot.
fn check_name(name: &str) -> Result<String, DnsError> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    let bad = || DnsError::InvalidName(name.to_string());
    if bare.is_empty() || bare.len() > 253 {
        return Err(bad());
    }
    for label in bare.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad());
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad());
        }
    }
    Ok(bare.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------------------------
// Queries

/// Builds an RFC 8484 query: ID 0 (cacheable), RD set, one question, an EDNS(0) OPT record with
/// a Padding option (RFC 7830) that makes the message a multiple of 128 octets (RFC 8467).
///
/// `name` is an ASCII (already punycoded) hostname; the trailing dot is optional. It is
/// lowercased so identical questions give identical bytes (and HTTP cache hits).
///
/// Written out here rather than through `simple-dns`'s writer: a query has one fixed shape
/// (RFC 1035 4.1: header, question, then the OPT record of RFC 6891 6.1.2), while the
/// general writer links the encoder of every record type, 24 KB of the worker's wasm. The
/// tests decode these bytes with hickory-proto.
pub fn build_query(name: &str, qtype: QueryType) -> Result<Vec<u8>, DnsError> {
    let ascii = check_name(name)?;
    // Header 12, the name's labels (a length octet each, then the root's 0), type and class 4,
    // then the OPT record: root name 1, type, class, TTL, length 10, the option's header 4.
    let unpadded = 12 + ascii.len() + 2 + 4 + 11 + 4;
    let pad = (PADDING_BLOCK - unpadded % PADDING_BLOCK) % PADDING_BLOCK;
    let mut q = Vec::with_capacity(unpadded + pad);
    // ID 0, flags RD, one question, no answer or authority, one additional (the OPT).
    q.extend_from_slice(&[0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    // Raw labels: a hostname rule would refuse a label starting with `-`, which URLs and
    // browsers accept (`-a.example.com`) and DNS carries fine. `check_name` has already limited
    // the labels to LDH and `_`, 1..=63 bytes, and the name to 253.
    for label in ascii.split('.') {
        // At most 63 (`check_name`).
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.code().to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes()); // class IN
    q.push(0); // the OPT record's owner: the root
    q.extend_from_slice(&OPT_TYPE.to_be_bytes());
    q.extend_from_slice(&EDNS_UDP_SIZE.to_be_bytes()); // class: the UDP payload size
    q.extend_from_slice(&[0, 0, 0, 0]); // TTL: extended RCODE 0, version 0, no flags
    let pad_len = pad as u16; // at most 127
    q.extend_from_slice(&(4 + pad_len).to_be_bytes()); // RDLENGTH: the one option
    q.extend_from_slice(&EDNS_PADDING.to_be_bytes());
    q.extend_from_slice(&pad_len.to_be_bytes());
    q.resize(unpadded + pad, 0);
    debug_assert_eq!(q.len() % PADDING_BLOCK, 0);
    Ok(q)
}

/// The RFC 8484 GET URL: `resolver` + `?dns=` (or `&dns=` if it already has a query string) +
/// the message in base64url without padding.
pub fn get_url(resolver: &str, query: &[u8]) -> String {
    let sep = if resolver.contains('?') { '&' } else { '?' };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(query);
    format!("{resolver}{sep}dns={b64}")
}

/// The JSON API URL: `resolver?name=<name>&type=<TYPE>`. The name is percent-encoded (it should
/// already be an ASCII hostname, so normally nothing changes).
pub fn json_url(resolver: &str, name: &str, qtype: QueryType) -> String {
    let sep = if resolver.contains('?') { '&' } else { '?' };
    let mut enc = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            enc.push(char::from(b));
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{resolver}{sep}name={enc}&type={}", qtype.as_str())
}

// ---------------------------------------------------------------------------------------------
// Wire answers

/// Text of a TXT record: character-strings concatenated, cut at [`MAX_TXT_LEN`].
fn txt_text<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut bytes = Vec::new();
    for part in parts {
        let room = MAX_TXT_LEN.saturating_sub(bytes.len());
        bytes.extend_from_slice(&part[..part.len().min(room)]);
        if bytes.len() >= MAX_TXT_LEN {
            break;
        }
    }
    let mut text = String::from_utf8_lossy(&bytes).into_owned();
    // The cut may split a multi-byte character; lossy decoding then adds U+FFFD, which could
    // push the string past the cap, so trim back to a char boundary.
    while text.len() > MAX_TXT_LEN {
        text.pop();
    }
    text
}

fn convert_record(rec: &ResourceRecord<'_>) -> DnsRecord {
    let data = match &rec.rdata {
        SRData::A(a) => RData::A(Ipv4Addr::from(a.address)),
        SRData::AAAA(a) => RData::Aaaa(Ipv6Addr::from(a.address)),
        SRData::CNAME(c) => RData::Cname(name_string(&c.0)),
        SRData::NS(n) => RData::Ns(name_string(&n.0)),
        // The character-strings concatenated; invalid UTF-8 comes back as bytes, read lossily.
        SRData::TXT(t) => RData::Txt(match String::try_from(t.clone()) {
            Ok(text) => txt_text([text.as_bytes()]),
            Err(e) => txt_text([&e.into_bytes()[..]]),
        }),
        SRData::SOA(s) => RData::Soa {
            mname: name_string(&s.mname),
            minimum: s.minimum,
        },
        other => RData::Other(u16::from(other.type_code())),
    };
    DnsRecord {
        name: name_string(&rec.name),
        ttl: rec.ttl,
        data,
    }
}

fn describe(name: &str, qtype: u16) -> String {
    let asked = [
        QueryType::A,
        QueryType::Aaaa,
        QueryType::Cname,
        QueryType::Ns,
        QueryType::Txt,
    ];
    match asked.into_iter().find(|t| t.code() == qtype) {
        Some(t) => format!("{name} {t}"),
        None => format!("{name} TYPE{qtype}"),
    }
}

/// Parses an RFC 8484 wire-format answer to the question `qname`/`qtype`.
///
/// Errors: undecodable bytes ([`DnsError::Malformed`]), a query instead of a response, an ID
/// other than 0, a question other than the one asked (names compared case-insensitively). A
/// response with no question section is accepted only when its RCODE is not NOERROR (some
/// servers drop the question in FORMERR/REFUSED answers, which carry no data anyway).
///
/// RCODEs and the TC bit are outcomes, reported in [`Response`]. The RCODE is the header's
/// four bits: the EDNS extended RCODE (RFC 6891) is not read, as simple-dns misplaces its bits
/// in the OPT record's TTL (it reads the low byte), and the queries this module sends (EDNS
/// version 0, no cookies) are never answered with one by a conforming server.
pub fn parse_response(bytes: &[u8], qname: &str, qtype: QueryType) -> Result<Response, DnsError> {
    if bytes.len() > MAX_MESSAGE_LEN {
        return Err(DnsError::Malformed(format!(
            "{} bytes, more than {MAX_MESSAGE_LEN}",
            bytes.len()
        )));
    }
    // Header sanity before decoding: the decoder pre-allocates each section from its count, so
    // a hostile 65535 would cost megabytes before failing. We only ever ask one question, and
    // every record takes at least 11 bytes (a one-byte name and ten of type, class, TTL and
    // length), so counts the message cannot hold are refused here.
    let count = |at: usize| {
        bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    };
    let (Some(questions), Some(answers), Some(authority), Some(additional), Some(&flags_lo)) =
        (count(4), count(6), count(8), count(10), bytes.get(3))
    else {
        return Err(DnsError::Malformed("shorter than a DNS header".into()));
    };
    if questions > 1 {
        return Err(DnsError::Malformed(format!("{questions} questions")));
    }
    let records = answers + authority + additional;
    if records > (bytes.len() - 12) / 11 {
        return Err(DnsError::Malformed(format!(
            "{records} records in {} bytes",
            bytes.len()
        )));
    }
    let msg = Packet::parse(bytes).map_err(|e| DnsError::Malformed(decode_error_text(&e)))?;

    if !msg.has_flags(PacketFlag::RESPONSE) {
        return Err(DnsError::NotAResponse);
    }
    if msg.id() != 0 {
        return Err(DnsError::IdMismatch(msg.id()));
    }
    let rcode = Rcode::from(u16::from(flags_lo & 0x0f));
    let expected = canonical(qname);
    match msg.questions.as_slice() {
        [q] => {
            let found = name_string(&q.qname);
            let found_type = u16::from(q.qtype);
            if found != expected || found_type != qtype.code() {
                return Err(DnsError::QuestionMismatch {
                    expected: describe(&expected, qtype.code()),
                    found: describe(&found, found_type),
                });
            }
        }
        [] if rcode != Rcode::NoError => {}
        _ => {
            return Err(DnsError::QuestionMismatch {
                expected: describe(&expected, qtype.code()),
                found: format!("{} questions", msg.questions.len()),
            })
        }
    }

    Ok(Response {
        rcode,
        truncated: msg.has_flags(PacketFlag::TRUNCATION),
        answers: msg.answers.iter().map(convert_record).collect(),
        authority: msg.name_servers.iter().map(convert_record).collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// JSON answers

#[derive(Deserialize)]
struct JsonAnswer {
    #[serde(rename = "Status")]
    status: u16,
    #[serde(rename = "TC", default)]
    tc: bool,
    #[serde(rename = "Question", default)]
    question: Option<Vec<JsonQuestion>>,
    #[serde(rename = "Answer", default)]
    answer: Vec<JsonRecord>,
    #[serde(rename = "Authority", default)]
    authority: Vec<JsonRecord>,
}

#[derive(Deserialize)]
struct JsonQuestion {
    name: String,
    #[serde(rename = "type")]
    qtype: u16,
}

#[derive(Deserialize)]
struct JsonRecord {
    name: String,
    #[serde(rename = "type")]
    rtype: u16,
    #[serde(rename = "TTL", default)]
    ttl: u32,
    #[serde(default)]
    data: String,
}

/// Reads presentation-format character-strings (`"a" "b\"c" "\226\130\172"`) and concatenates
/// them. `None` if the text is not a well-formed sequence of quoted strings.
fn unquote_txt(data: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut it = data.trim().bytes().peekable();
    loop {
        while it.next_if(|b| b.is_ascii_whitespace()).is_some() {}
        match it.next() {
            None => return Some(out),
            Some(b'"') => {}
            Some(_) => return None,
        }
        loop {
            match it.next()? {
                b'"' => break,
                b'\\' => {
                    let c = it.next()?;
                    if c.is_ascii_digit() {
                        // \DDD: a decimal byte value (RFC 1035 §5.1).
                        let d2 = it.next().filter(u8::is_ascii_digit)?;
                        let d3 = it.next().filter(u8::is_ascii_digit)?;
                        let v = u32::from(c - b'0') * 100
                            + u32::from(d2 - b'0') * 10
                            + u32::from(d3 - b'0');
                        out.push(u8::try_from(v).ok()?);
                    } else {
                        out.push(c);
                    }
                }
                b => out.push(b),
            }
            if out.len() > MAX_TXT_LEN {
                // Enough: txt_text cuts here anyway.
                return Some(out);
            }
        }
    }
}

fn json_record(r: &JsonRecord) -> Result<DnsRecord, DnsError> {
    let bad = |what: &str| DnsError::Json(format!("{what} data {:?} for {:?}", r.data, r.name));
    let data = match r.rtype {
        1 => RData::A(r.data.trim().parse().map_err(|_| bad("A"))?),
        28 => RData::Aaaa(r.data.trim().parse().map_err(|_| bad("AAAA"))?),
        5 => RData::Cname(canonical(r.data.trim())),
        2 => RData::Ns(canonical(r.data.trim())),
        // Cloudflare quotes TXT data ("\"v=spf1 -all\""), Google does not: accept both.
        16 => match unquote_txt(&r.data) {
            Some(bytes) => RData::Txt(txt_text([&bytes[..]])),
            None => RData::Txt(txt_text([r.data.as_bytes()])),
        },
        // "mname rname serial refresh retry expire minimum"
        6 => {
            let fields: Vec<&str> = r.data.split_whitespace().collect();
            match fields.as_slice() {
                [mname, _, _, _, _, _, minimum] => RData::Soa {
                    mname: canonical(mname),
                    minimum: minimum.parse().map_err(|_| bad("SOA"))?,
                },
                _ => return Err(bad("SOA")),
            }
        }
        other => RData::Other(other),
    };
    Ok(DnsRecord {
        name: canonical(r.name.trim()),
        ttl: r.ttl,
        data,
    })
}

/// Parses a JSON API answer (`{Status, TC, RD, RA, AD, CD, Question, Answer, Authority}`,
/// Cloudflare and Google style) to the question `qname`/`qtype`.
///
/// If a `Question` is present it must match (case-insensitive, trailing dot ignored). TXT data
/// may be quoted presentation format (Cloudflare) or bare text (Google). Input longer than
/// [`MAX_JSON_LEN`] is rejected.
pub fn parse_json(bytes: &[u8], qname: &str, qtype: QueryType) -> Result<Response, DnsError> {
    if bytes.len() > MAX_JSON_LEN {
        return Err(DnsError::Json(format!(
            "{} bytes, more than {MAX_JSON_LEN}",
            bytes.len()
        )));
    }
    let ans: JsonAnswer =
        serde_json::from_slice(bytes).map_err(|e| DnsError::Json(e.to_string()))?;
    let expected = canonical(qname);
    if let Some(questions) = &ans.question {
        match questions.as_slice() {
            [q] if canonical(q.name.trim()) == expected && q.qtype == qtype.code() => {}
            [] => {}
            [q] => {
                return Err(DnsError::QuestionMismatch {
                    expected: describe(&expected, qtype.code()),
                    found: describe(&canonical(&q.name), q.qtype),
                })
            }
            qs => {
                return Err(DnsError::QuestionMismatch {
                    expected: describe(&expected, qtype.code()),
                    found: format!("{} questions", qs.len()),
                })
            }
        }
    }
    Ok(Response {
        rcode: Rcode::from(ans.status),
        truncated: ans.tc,
        answers: ans
            .answer
            .iter()
            .map(json_record)
            .collect::<Result<_, _>>()?,
        authority: ans
            .authority
            .iter()
            .map(json_record)
            .collect::<Result<_, _>>()?,
    })
}

// ---------------------------------------------------------------------------------------------
// CNAME chains

fn record_type_of(data: &RData) -> Option<QueryType> {
    match data {
        RData::A(_) => Some(QueryType::A),
        RData::Aaaa(_) => Some(QueryType::Aaaa),
        RData::Cname(_) => Some(QueryType::Cname),
        RData::Ns(_) => Some(QueryType::Ns),
        RData::Txt(_) => Some(QueryType::Txt),
        RData::Soa { .. } | RData::Other(_) => None,
    }
}

/// Follows `qname`'s CNAME chain through the answer section and collects the records of
/// `qtype` at its end.
///
/// Only records on the chain are used: records for unrelated names in the answer are ignored
/// (a resolver should not put them there, and we must not trust them if it does). If a name
/// has several CNAMEs (invalid) the first is followed. For `qtype == Cname` the chain is not
/// followed: `records` are qname's own CNAME records and `chain` is empty.
///
/// Errors: a chain returning to a visited name ([`DnsError::CnameLoop`]), more than
/// [`MAX_CNAME_CHAIN`] links ([`DnsError::ChainTooLong`]).
pub fn follow_chain(
    resp: &Response,
    qname: &str,
    qtype: QueryType,
) -> Result<Resolution, DnsError> {
    let start = canonical(qname);
    let mut chain: Vec<String> = Vec::new();
    let mut ttls: Vec<u32> = Vec::new();
    let mut current = start.clone();

    let records = loop {
        let here: Vec<DnsRecord> = resp
            .answers
            .iter()
            .filter(|r| r.name == current && record_type_of(&r.data) == Some(qtype))
            .cloned()
            .collect();
        if !here.is_empty() || qtype == QueryType::Cname {
            break here;
        }
        let next = resp.answers.iter().find_map(|r| match &r.data {
            RData::Cname(target) if r.name == current => Some((target, r.ttl)),
            _ => None,
        });
        let Some((target, ttl)) = next else {
            break Vec::new();
        };
        if *target == start || chain.contains(target) {
            return Err(DnsError::CnameLoop(target.clone()));
        }
        if chain.len() >= MAX_CNAME_CHAIN {
            return Err(DnsError::ChainTooLong(MAX_CNAME_CHAIN));
        }
        chain.push(target.clone());
        ttls.push(ttl);
        current = target.clone();
    };

    ttls.extend(records.iter().map(|r| r.ttl));
    if records.is_empty() {
        // Negative answer: RFC 2308 §5, the SOA's TTL capped by its MINIMUM field.
        ttls.extend(resp.authority.iter().filter_map(|r| match r.data {
            RData::Soa { minimum, .. } => Some(r.ttl.min(minimum)),
            _ => None,
        }));
    }
    Ok(Resolution {
        chain,
        records,
        min_ttl: ttls.into_iter().min().unwrap_or(0),
    })
}

pub mod addr;
pub mod cymru;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
