//! JSON API answers (Cloudflare / Google style): `parse_json` for every query type, then
//! `follow_chain`, with the same invariants as `dns_wire`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onebasket::dns::{self, QueryType, RData};

const QNAME: &str = "example.com";

const TYPES: [QueryType; 5] = [
    QueryType::A,
    QueryType::Aaaa,
    QueryType::Cname,
    QueryType::Ns,
    QueryType::Txt,
];

fuzz_target!(|data: &[u8]| {
    for qtype in TYPES {
        let Ok(resp) = dns::parse_json(data, QNAME, qtype) else {
            continue;
        };
        for r in resp.answers.iter().chain(&resp.authority) {
            if let RData::Txt(t) = &r.data {
                assert!(t.len() <= dns::MAX_TXT_LEN);
            }
        }
        let json = serde_json::to_string(&resp).expect("serializes");
        let back: dns::Response = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, resp);
        if let Ok(res) = dns::follow_chain(&resp, QNAME, qtype) {
            assert!(res.chain.len() <= dns::MAX_CNAME_CHAIN);
            let owner = res.chain.last().map_or(QNAME, String::as_str);
            assert!(res.records.iter().all(|r| r.name == owner));
        }
    }
});
