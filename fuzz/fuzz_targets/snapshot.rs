//! Prefix-table snapshots. Inputs starting with the magic are loaded as they are (header,
//! version, length and CRC checks); any other input is taken as a body and wrapped in a valid
//! header, so the body decoder is reached past the checksum. A snapshot that loads must write back byte for byte (the format is
//! canonical) and answer look-ups consistently with its own records.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use onebasket::table::{PrefixTable, SNAPSHOT_VERSION};

fn with_header(body: &[u8]) -> Vec<u8> {
    let mut out = b"OBPT".to_vec();
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"OBPT") {
        data.to_vec()
    } else {
        with_header(data)
    };
    let Ok(table) = PrefixTable::from_snapshot(&bytes) else {
        return;
    };
    assert_eq!(table.to_snapshot(), bytes, "snapshot does not round-trip");
    let rebuilt = PrefixTable::build(
        &table.records().map(|r| r.to_record()).collect::<Vec<_>>(),
        table.feeds().to_vec(),
    );
    assert_eq!(
        rebuilt.to_snapshot(),
        bytes,
        "build from the records differs"
    );
    // Each record's first and last address find it.
    for r in table.records().take(64) {
        let rec = r.to_record();
        for ip in [rec.prefix.network(), rec.prefix.broadcast()] {
            if matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some()) {
                continue; // looked up as IPv4 by design
            }
            assert!(
                table.lookup(ip).any(|m| m.to_record() == rec),
                "{ip} does not find {}",
                rec.prefix
            );
        }
    }
    let _ = table.lookup(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))).count();
    let _ = table.lookup(IpAddr::V6(Ipv6Addr::LOCALHOST)).count();
});
