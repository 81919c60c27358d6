//! Team Cymru TXT records (origin and AS), and the origin query name for addresses made from the
//! input: a name is only ever built for a public address, and it is always a valid query.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use onebasket::dns::{self, QueryType};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(origin) = dns::cymru::parse_cymru_origin(text) {
            assert!(!origin.asns.is_empty());
            assert_eq!(origin.registry, origin.registry.to_ascii_lowercase());
        }
        if let Ok(asn) = dns::cymru::parse_cymru_as(text) {
            assert_eq!(asn.registry, asn.registry.to_ascii_lowercase());
            let name = dns::cymru::cymru_as_name(asn.asn);
            assert!(dns::build_query(&name, QueryType::Txt).is_ok());
        }
    }
    let ip = match data.len() {
        n if n >= 16 => {
            let mut b = [0u8; 16];
            b.copy_from_slice(&data[..16]);
            IpAddr::V6(Ipv6Addr::from(b))
        }
        n if n >= 4 => IpAddr::V4(Ipv4Addr::new(data[0], data[1], data[2], data[3])),
        _ => return,
    };
    match dns::cymru::cymru_origin_name(ip) {
        Some(name) => {
            assert!(dns::addr::is_public(ip));
            assert!(dns::build_query(&name, QueryType::Txt).is_ok(), "{name}");
        }
        None => assert!(!dns::addr::is_public(ip)),
    }
});
