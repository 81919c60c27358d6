//! The table's look-up speed where it runs: deterministic addresses inside its IPv4 ranges and
//! the loop a caller times (the worker answers `MeasureLookups` with it, in the browser's wasm).

use super::PrefixTable;
use ipnet::IpNet;
use std::net::Ipv4Addr;

/// How many distinct addresses a measurement cycles through: 256 KB, where a million would
/// take 4 MB of a worker's memory, which a wasm heap keeps for good.
pub const DISTINCT: usize = 1 << 16;

/// The most look-ups one request times: 10 M take a fifth of a second in Chromium's wasm, so a
/// page asking for billions cannot hold the worker for minutes.
pub const MAX_COUNT: usize = 10_000_000;

/// How many look-ups to time when a page asks for `asked` ([`MAX_COUNT`] at the most).
pub fn count_to_measure(asked: u32) -> usize {
    usize::try_from(asked).map_or(MAX_COUNT, |n| n.min(MAX_COUNT))
}

/// `count` IPv4 addresses inside the table's IPv4 ranges, the ranges taken in turn and a random
/// address inside each (xorshift64*, fixed seed): the same addresses for the same table, so
/// figures compare across builds. Empty when the table has no IPv4 range.
pub fn addresses_in_ranges(table: &PrefixTable, count: usize) -> Vec<u32> {
    let nets: Vec<_> = table
        .records()
        .filter_map(|r| match r.prefix {
            IpNet::V4(n) => Some(n),
            IpNet::V6(_) => None,
        })
        .collect();
    if nets.is_empty() {
        return Vec::new();
    }
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..count)
        .map(|i| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let random = (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32;
            let net = nets[i % nets.len()];
            let host = random.checked_shr(u32::from(net.prefix_len())).unwrap_or(0);
            u32::from(net.network()) | host
        })
        .collect()
}

/// Looks `count` addresses up, going round `addresses` as often as needed and reading the most
/// specific record as the classifier does (through the same, shared [`PrefixTable::first`]: no
/// copy of the look-up in the worker for this); how many matched.
pub fn look_up_all(table: &PrefixTable, addresses: &[u32], count: usize) -> usize {
    addresses
        .iter()
        .cycle()
        .take(count)
        .filter(|a| table.first(Ipv4Addr::from(**a).into()).is_some())
        .count()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::record::PrefixRecord;

    #[test]
    fn every_address_is_inside_a_range_and_matches() {
        let record = |p: &str| PrefixRecord {
            prefix: p.parse().unwrap(),
            provider: "aws".into(),
            region: None,
            service: None,
        };
        let table = PrefixTable::build(
            &[
                record("192.0.2.0/24"),
                record("198.51.100.7/32"),
                record("2001:db8::/32"),
            ],
            Vec::new(),
        );
        let a = addresses_in_ranges(&table, 1000);
        assert_eq!(a.len(), 1000);
        assert_eq!(look_up_all(&table, &a, 2500), 2500);
        assert!(a.contains(&u32::from(std::net::Ipv4Addr::new(198, 51, 100, 7))));
        let outside = [u32::from(std::net::Ipv4Addr::new(203, 0, 113, 1))];
        assert_eq!(look_up_all(&table, &outside, 3), 0);
        assert_eq!(a, addresses_in_ranges(&table, 1000), "deterministic");
        assert!(addresses_in_ranges(&PrefixTable::empty(), 10).is_empty());
        assert_eq!(count_to_measure(1_000_000), 1_000_000);
        assert_eq!(count_to_measure(u32::MAX), MAX_COUNT);
    }
}
