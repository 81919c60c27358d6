//! RFC 8484 wire answers: `parse_response` for every query type, then `follow_chain` over what it
//! returns, asserting the documented limits (chain length, no loops, TXT size, records on the
//! chain only) and that a parsed answer survives a serde round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use onebasket::dns;

#[path = "dns_checks.rs"]
mod checks;
use checks::{check, check_wire_names, QNAME, TYPES};

fuzz_target!(|data: &[u8]| {
    for qtype in TYPES {
        let Ok(resp) = dns::parse_response(data, QNAME, qtype) else {
            continue;
        };
        check_wire_names(&resp);
        check(&resp, qtype);
    }
});
