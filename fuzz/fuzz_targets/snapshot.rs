//! Prefix-table snapshots. Inputs starting with the magic are loaded as they are (header,
//! version, length and CRC checks; `seeds/snapshot/table-v1` is of version 1); any other input
//! is taken as a body of the current version and wrapped in a valid header, so the body decoder
//! is reached past the checksum. A snapshot of the current
//! version that loads must write back byte for byte (the format is canonical), one of version 1
//! must write back as a snapshot that loads as the same table, and both must answer look-ups
//! as a scan of their own records does.
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
    let current = bytes.get(4..6) == Some(&SNAPSHOT_VERSION.to_le_bytes()[..]);
    let bytes = if current {
        assert_eq!(table.to_snapshot(), bytes, "snapshot does not round-trip");
        bytes
    } else {
        let written = table.to_snapshot();
        let back = PrefixTable::from_snapshot(&written).expect("an older snapshot writes back");
        assert_eq!(back, table, "an older snapshot writes back as another table");
        written
    };
    let rebuilt = PrefixTable::build(
        &table.records().map(|r| r.to_record()).collect::<Vec<_>>(),
        table.feeds().to_vec(),
    );
    assert_eq!(
        rebuilt.to_snapshot(),
        bytes,
        "build from the records differs"
    );
    // Each record's first and last address, and the addresses just outside it, find exactly
    // what a scan of all records finds: every containing prefix, most specific first (equal
    // prefixes in the records' canonical order).
    let all: Vec<_> = table.records().map(|r| r.to_record()).collect();
    for rec in all.iter().take(64) {
        let (first, last) = (rec.prefix.network(), rec.prefix.broadcast());
        for ip in [first, last, step(first, -1), step(last, 1)] {
            if matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some()) {
                continue; // looked up as IPv4 by design
            }
            let mut want: Vec<(u8, usize)> = all
                .iter()
                .enumerate()
                .filter(|(_, r)| r.prefix.contains(&ip))
                .map(|(i, r)| (r.prefix.prefix_len(), i))
                .collect();
            want.sort_by_key(|&(len, i)| (std::cmp::Reverse(len), i));
            let want: Vec<_> = want.into_iter().map(|(_, i)| all[i].clone()).collect();
            let got: Vec<_> = table.lookup(ip).map(|m| m.to_record()).collect();
            assert_eq!(got, want, "look-up of {ip}");
            assert_eq!(table.lookup(ip).len(), want.len(), "length of {ip}");
        }
    }
    let _ = table.lookup(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4))).count();
    let _ = table.lookup(IpAddr::V6(Ipv6Addr::LOCALHOST)).count();
});

/// The address `d` (±1) away from `ip`, wrapping at the ends of the family.
fn step(ip: IpAddr, d: i8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a).wrapping_add_signed(d.into()))),
        IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a).wrapping_add_signed(d.into()))),
    }
}
