//! What every parsed DNS answer must satisfy, shared by the `dns_wire` and `dns_json` targets.
// Each target includes this module and uses part of it.
#![allow(dead_code)]

use onebasket::dns::{self, QueryType, RData};

/// The question the seeds ask; a mismatch is an error the fuzzer learns to avoid.
pub const QNAME: &str = "example.com";

/// Every query type core asks.
pub const TYPES: [QueryType; 5] = [
    QueryType::A,
    QueryType::Aaaa,
    QueryType::Cname,
    QueryType::Ns,
    QueryType::Txt,
];

/// A hostname in the form queries are asked in: LDH and `_` labels of 1..=63 octets, ≤ 253.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Asserts the form of the names a wire answer decodes to: lowercase, no root dot, and a name
/// that reads back unescaped can be asked in turn. (JSON answers carry the resolver's strings,
/// only compared with the names asked, so these do not apply to them.)
pub fn check_wire_names(resp: &dns::Response) {
    for r in resp.answers.iter().chain(&resp.authority) {
        // No root dot; a name may end in an escaped dot byte (`a\.`), which is part of a label
        // and, like every escaped name, can never equal a queried one.
        assert!(
            !r.name.ends_with('.') || r.name.ends_with("\\."),
            "trailing dot in {:?}",
            r.name
        );
        // A name read back unescaped is one that can be asked in turn (a CNAME target).
        if plain(&r.name) {
            assert!(
                dns::build_query(&r.name, QueryType::A).is_ok(),
                "{:?}",
                r.name
            );
        }
        assert_eq!(r.name, r.name.to_ascii_lowercase());
        if let RData::Cname(target) | RData::Ns(target) = &r.data {
            if plain(target) {
                assert!(dns::build_query(target, QueryType::A).is_ok(), "{target:?}");
            }
        }
    }
}

/// Asserts what any response parsed for `qtype` must satisfy: bounded TXT, a lossless serde
/// round trip, and a chain that is short, loop-free and owns its records.
pub fn check(resp: &dns::Response, qtype: QueryType) {
    for r in resp.answers.iter().chain(&resp.authority) {
        if let RData::Txt(t) = &r.data {
            assert!(t.len() <= dns::MAX_TXT_LEN);
        }
    }
    let json = serde_json::to_string(resp).expect("serializes");
    let back: dns::Response = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(&back, resp);
    let Ok(res) = dns::follow_chain(resp, QNAME, qtype) else {
        return;
    };
    assert!(res.chain.len() <= dns::MAX_CNAME_CHAIN);
    for (i, name) in res.chain.iter().enumerate() {
        assert_ne!(name, QNAME, "chain returns to the question");
        assert!(!res.chain[..i].contains(name), "chain loops at {name}");
    }
    let owner = res.chain.last().map_or(QNAME, String::as_str);
    for r in &res.records {
        assert_eq!(r.name, owner, "record off the chain");
        assert!(res.min_ttl <= r.ttl);
    }
}
