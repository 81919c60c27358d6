//! JSON API answers (Cloudflare / Google style): `parse_json` for every query type, then
//! `follow_chain`, with the invariants `dns_wire` asserts of every answer (`dns_checks`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use onebasket::dns;

#[path = "dns_checks.rs"]
mod checks;
use checks::{check, QNAME, TYPES};

fuzz_target!(|data: &[u8]| {
    for qtype in TYPES {
        let Ok(resp) = dns::parse_json(data, QNAME, qtype) else {
            continue;
        };
        check(&resp, qtype);
    }
});
