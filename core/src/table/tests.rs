#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

use super::*;

fn rec(p: &str, provider: &str, region: Option<&str>, service: Option<&str>) -> PrefixRecord {
    PrefixRecord::new(p.parse().unwrap(), provider, region, service)
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// (prefix, provider) of every match, in answer order.
fn answer(t: &PrefixTable, a: &str) -> Vec<(String, String)> {
    t.lookup(ip(a))
        .map(|r| (r.prefix.to_string(), r.provider.to_owned()))
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

fn feed(file: &str, provider: &str) -> FeedInfo {
    FeedInfo {
        file: file.into(),
        provider: provider.into(),
        date: Some("2026-05-05".into()),
        version: None,
        records: 1,
    }
}

/// Tiny deterministic PRNG (xorshift64*), so the tests need no `rand`.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}

fn sample_table() -> PrefixTable {
    let records = vec![
        rec("13.32.0.0/15", "aws", Some("GLOBAL"), Some("CLOUDFRONT")),
        rec("13.32.0.0/16", "aws", None, Some("AMAZON")),
        rec("13.32.5.0/24", "fastly", None, None),
        rec("13.32.5.0/24", "cloudflare", None, None),
        rec("20.0.0.0/8", "azure", Some("eastus"), Some("AzureCloud")),
        rec("20.0.0.0/8", "azure", Some("eastus"), Some("AzureCloud")), // duplicate
        rec("20.1.2.0/23", "github", None, Some("actions")),
        rec("2600:1f00::/24", "aws", Some("us-east-1"), None),
        rec("2600:1f00:1::/48", "aws", Some("us-east-1"), Some("EC2")),
    ];
    PrefixTable::build(&records, vec![feed("ip-ranges.json", "aws")])
}

#[test]
fn overlaps_answer_most_specific_first() {
    let t = sample_table();
    assert_eq!(t.len(), 8, "identical records are deduplicated");
    assert_eq!(
        answer(&t, "13.32.5.7"),
        pairs(&[
            ("13.32.5.0/24", "cloudflare"),
            ("13.32.5.0/24", "fastly"),
            ("13.32.0.0/16", "aws"),
            ("13.32.0.0/15", "aws"),
        ])
    );
    assert_eq!(t.lookup(ip("13.32.5.7")).len(), 4);
    assert_eq!(answer(&t, "13.33.0.1"), pairs(&[("13.32.0.0/15", "aws")]));
    assert_eq!(
        answer(&t, "20.1.3.255"),
        pairs(&[("20.1.2.0/23", "github"), ("20.0.0.0/8", "azure")])
    );
    let first = t.first(ip("20.1.2.9")).unwrap();
    assert_eq!(first.provider, "github");
    assert_eq!(first.service, Some("actions"));
    assert_eq!(first.region, None);
    let az = t.lookup(ip("20.200.0.1")).next().unwrap();
    assert_eq!(
        (az.region, az.service),
        (Some("eastus"), Some("AzureCloud"))
    );
    assert!(t.first(ip("8.8.8.8")).is_none());
    assert_eq!(t.lookup(ip("8.8.8.8")).len(), 0);
}

#[test]
fn boundaries() {
    let records = vec![
        rec("10.0.0.0/24", "a", None, None),
        rec("10.0.1.0/24", "b", None, None), // adjacent to the previous one
        rec("10.0.0.255/32", "c", None, None),
        rec("0.0.0.0/0", "all", None, None),
        rec("255.255.255.255/32", "top", None, None),
        rec("255.255.255.0/24", "top24", None, None),
        rec("::/0", "all6", None, None),
        rec("2001:db8::1/128", "host6", None, None),
        rec(
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
            "top6",
            None,
            None,
        ),
        rec("2001:db8::/32", "doc", None, None),
    ];
    let t = PrefixTable::build(&records, vec![]);
    let provs =
        |a: &str| -> Vec<String> { t.lookup(ip(a)).map(|r| r.provider.to_owned()).collect() };
    assert_eq!(provs("9.255.255.255"), ["all"]);
    assert_eq!(provs("10.0.0.0"), ["a", "all"]);
    assert_eq!(provs("10.0.0.254"), ["a", "all"]);
    assert_eq!(provs("10.0.0.255"), ["c", "a", "all"]);
    assert_eq!(provs("10.0.1.0"), ["b", "all"]);
    assert_eq!(provs("10.0.1.255"), ["b", "all"]);
    assert_eq!(provs("10.0.2.0"), ["all"]);
    assert_eq!(provs("0.0.0.0"), ["all"]);
    assert_eq!(provs("255.255.255.254"), ["top24", "all"]);
    assert_eq!(provs("255.255.255.255"), ["top", "top24", "all"]);
    assert_eq!(provs("255.255.254.255"), ["all"]);
    assert_eq!(provs("::"), ["all6"]);
    assert_eq!(provs("2001:db8::"), ["doc", "all6"]);
    assert_eq!(provs("2001:db8::1"), ["host6", "doc", "all6"]);
    assert_eq!(provs("2001:db8::2"), ["doc", "all6"]);
    assert_eq!(
        provs("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        ["doc", "all6"]
    );
    assert_eq!(provs("2001:db9::"), ["all6"]);
    assert_eq!(
        provs("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        ["top6", "all6"]
    );
    assert_eq!(provs("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), ["all6"]);
}

#[test]
fn ipv4_and_ipv6_are_separate_and_mapped_ipv6_is_ipv4() {
    let records = vec![
        rec("1.2.3.0/24", "v4", None, None),
        rec("::/0", "v6-all", None, None),
        rec("::102:300/120", "v6-compat", None, None), // ::1.2.3.0/120, IPv4-compatible form
    ];
    let t = PrefixTable::build(&records, vec![]);
    let provs = |a: IpAddr| -> Vec<String> { t.lookup(a).map(|r| r.provider.to_owned()).collect() };
    assert_eq!(
        provs(ip("1.2.3.4")),
        ["v4"],
        "IPv4 never matches IPv6 prefixes"
    );
    // ::ffff:1.2.3.4 is the IPv4 address in IPv6 clothing: looked up as IPv4.
    let mapped = IpAddr::V6(Ipv4Addr::new(1, 2, 3, 4).to_ipv6_mapped());
    assert_eq!(provs(mapped), ["v4"]);
    // ::1.2.3.4 (deprecated IPv4-compatible) is a plain IPv6 address.
    assert_eq!(provs(ip("::1.2.3.4")), ["v6-compat", "v6-all"]);
    assert_eq!(provs(ip("2001:db8::1")), ["v6-all"]);
    assert_eq!(t.lookup_v4(0x0102_0304).len(), 1);
    assert_eq!(t.lookup_v6(u128::from(Ipv6Addr::LOCALHOST)).len(), 1);
    // IPv6 lookups without mapping see only IPv6 prefixes.
    let m = u128::from(Ipv4Addr::new(1, 2, 3, 4).to_ipv6_mapped());
    assert_eq!(
        t.lookup_v6(m).map(|r| r.provider).collect::<Vec<_>>(),
        ["v6-all"]
    );
}

#[test]
fn build_is_order_independent_truncates_and_counts() {
    let mut records = vec![
        rec("192.0.2.0/24", "x", Some("r1"), None),
        rec("192.0.2.0/25", "y", None, Some("s")),
        rec("2001:db8::/32", "x", None, None),
    ];
    // Host bits set via the public field: build must still clear them.
    records.push(PrefixRecord {
        prefix: "192.0.2.77/24".parse().unwrap(),
        provider: "x".into(),
        region: Some("r1".into()),
        service: None,
    });
    let a = PrefixTable::build(&records, vec![feed("f", "x")]);
    records.reverse();
    let b = PrefixTable::build(&records, vec![feed("f", "x")]);
    assert_eq!(a, b);
    assert_eq!(a.len(), 3);
    assert!(!a.is_empty());
    assert_eq!(a.feeds(), &[feed("f", "x")]);
    let all: Vec<String> = a.records().map(|r| r.prefix.to_string()).collect();
    assert_eq!(all, ["192.0.2.0/24", "192.0.2.0/25", "2001:db8::/32"]);
    assert_ne!(a, PrefixTable::build(&records, vec![]));
    let e = PrefixTable::empty();
    assert!(e.is_empty());
    assert_eq!(e.len(), 0);
    assert!(e.first(ip("1.1.1.1")).is_none());
    assert!(e.first(ip("::1")).is_none());
    assert_eq!(e, PrefixTable::build(&[], vec![]));
    assert_eq!(
        a.records().next().unwrap().to_record(),
        records[3].clone().normalized()
    );
}

trait Normalized {
    fn normalized(self) -> PrefixRecord;
}

impl Normalized for PrefixRecord {
    fn normalized(self) -> PrefixRecord {
        PrefixRecord::new(
            self.prefix,
            &self.provider,
            self.region.as_deref(),
            self.service.as_deref(),
        )
    }
}

/// Random records clustered around a few anchors so that nesting, adjacency and equal
/// prefixes with different providers all occur often.
fn random_records(rng: &mut Rng, n: usize) -> Vec<PrefixRecord> {
    random_records_spread(rng, n, 0x00ff_ffff, 0)
}

/// Like [`random_records`]; IPv4 addresses vary in the bits of `mask4`, IPv6 ones only below
/// bit `128 - skip6`, and lengths are biased to be longer when the spread is small.
fn random_records_spread(rng: &mut Rng, n: usize, mask4: u32, skip6: u32) -> Vec<PrefixRecord> {
    let anchors4: Vec<u32> = (0..6).map(|_| rng.next() as u32).collect();
    let anchors6: Vec<u128> = (0..6).map(|_| rng.u128()).collect();
    let providers = ["aws", "azure", "gcp", "fastly"];
    let regions = [None, Some("eu"), Some("us")];
    let services = [None, Some("EC2"), Some("S3")];
    (0..n)
        .map(|_| {
            let prefix: IpNet = if rng.below(3) > 0 {
                let a = anchors4[rng.below(6) as usize] ^ (rng.next() as u32 & mask4);
                let min = mask4.leading_zeros();
                let len = match rng.below(10) {
                    0 => rng.below(u64::from(min) + 1) as u8,
                    _ => (min + rng.below(u64::from(33 - min)) as u32) as u8,
                };
                IpNet::V4(Ipv4Net::new(Ipv4Addr::from(a), len).unwrap())
            } else {
                let shift = skip6 + rng.below(u64::from(128 - skip6)) as u32;
                let a = anchors6[rng.below(6) as usize] ^ (rng.u128() >> shift);
                let len = match rng.below(10) {
                    0 => rng.below(u64::from(skip6.max(16)) + 1) as u8,
                    _ => (skip6.max(16) + rng.below(u64::from(129 - skip6.max(16))) as u32) as u8,
                };
                IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), len).unwrap())
            };
            PrefixRecord::new(
                prefix,
                providers[rng.below(4) as usize],
                regions[rng.below(3) as usize],
                services[rng.below(3) as usize],
            )
        })
        .collect()
}

/// Probe addresses: random, plus the edges of every prefix and their neighbours.
fn probes(rng: &mut Rng, records: &[PrefixRecord]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for r in records {
        match r.prefix {
            IpNet::V4(n) => {
                let (s, e) = (u32::from(n.network()), u32::from(n.broadcast()));
                for a in [s.wrapping_sub(1), s, e, e.wrapping_add(1)] {
                    out.push(IpAddr::V4(Ipv4Addr::from(a)));
                }
            }
            IpNet::V6(n) => {
                let (s, e) = (u128::from(n.network()), u128::from(n.broadcast()));
                for a in [s.wrapping_sub(1), s, e, e.wrapping_add(1)] {
                    out.push(IpAddr::V6(Ipv6Addr::from(a)));
                }
            }
        }
    }
    for _ in 0..2000 {
        out.push(IpAddr::V4(Ipv4Addr::from(rng.next() as u32)));
        out.push(IpAddr::V6(Ipv6Addr::from(rng.u128())));
    }
    out
}

/// Reference answer: linear scan, deduplicated, most specific first, canonical among equals.
fn naive(records: &[PrefixRecord], a: IpAddr) -> Vec<PrefixRecord> {
    let mut hits: Vec<PrefixRecord> = records
        .iter()
        .filter(|r| r.prefix.contains(&a))
        .cloned()
        .collect();
    hits.sort();
    hits.dedup();
    hits.sort_by_key(|r| std::cmp::Reverse(r.prefix.prefix_len()));
    hits
}

#[test]
fn randomized_cross_check_against_linear_scan() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..20 {
        let n = [0, 1, 5, 50, 300][round % 5];
        let records = random_records(&mut rng, n);
        let t = PrefixTable::build(&records, vec![]);
        for a in probes(&mut rng, &records) {
            let got: Vec<PrefixRecord> = t.lookup(a).map(|r| r.to_record()).collect();
            assert_eq!(got, naive(&records, a), "round {round}, address {a}");
            assert_eq!(t.lookup(a).len(), got.len());
        }
        // The snapshot path rebuilds the same structures.
        let u = PrefixTable::from_snapshot(&t.to_snapshot()).unwrap();
        assert_eq!(u, t);
        assert_eq!(u.interval_counts(), t.interval_counts());
    }
}

#[test]
fn randomized_dense_clusters_exercise_the_deep_index() {
    // Thousands of prefixes inside a few /16s (IPv4) and /40s (IPv6): index slots overflow
    // `LEAF_MAX` and get child nodes down to the last level.
    let mut rng = Rng(0xDEAD_BEEF);
    for (mask4, skip6) in [(0xffff, 40), (0x0fff, 100), (0x3_ffff, 60)] {
        let records = random_records_spread(&mut rng, 1500, mask4, skip6);
        let t = PrefixTable::build(&records, vec![]);
        assert!(t.v4.nodes.len() > (1 << 16) + 1, "no child node built");
        assert!(t.v6.nodes.len() > (1 << 16) + 1, "no child node built");
        for a in probes(&mut rng, &records) {
            let got: Vec<PrefixRecord> = t.lookup(a).map(|r| r.to_record()).collect();
            assert_eq!(got, naive(&records, a), "address {a}");
        }
    }
}

#[test]
fn snapshot_round_trip_is_exact() {
    let mut rng = Rng(42);
    let mut tables = vec![PrefixTable::empty(), sample_table()];
    let records = random_records(&mut rng, 500);
    tables.push(PrefixTable::build(
        &records,
        vec![
            feed("ip-ranges.json", "aws"),
            FeedInfo {
                file: "ServiceTags_Public.json".into(),
                provider: "azure".into(),
                date: None,
                version: Some("398".into()),
                records: 100_000,
            },
        ],
    ));
    for t in tables {
        let bytes = t.to_snapshot();
        let u = PrefixTable::from_snapshot(&bytes).unwrap();
        assert_eq!(u, t);
        assert_eq!(u.to_snapshot(), bytes);
        let all_t: Vec<_> = t.records().collect();
        let all_u: Vec<_> = u.records().collect();
        assert_eq!(all_t, all_u);
    }
}

#[test]
fn every_truncation_errors() {
    let bytes = sample_table().to_snapshot();
    for n in 0..bytes.len() {
        let err = PrefixTable::from_snapshot(&bytes[..n]).unwrap_err();
        match err {
            SnapshotError::BadMagic | SnapshotError::Truncated { .. } => {}
            other => panic!("prefix of {n} bytes: unexpected {other:?}"),
        }
    }
    // One extra byte is rejected too.
    let mut long = bytes.clone();
    long.push(0);
    assert!(matches!(
        PrefixTable::from_snapshot(&long),
        Err(SnapshotError::Corrupt(_))
    ));
}

#[test]
fn flipped_bytes_error() {
    let bytes = sample_table().to_snapshot();
    for i in 0..bytes.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= mask;
            assert!(
                PrefixTable::from_snapshot(&b).is_err(),
                "flip {mask:#x} at {i} accepted"
            );
        }
    }
    let mut b = bytes.clone();
    let last = b.len() - 1;
    b[last] ^= 1;
    assert!(matches!(
        PrefixTable::from_snapshot(&b),
        Err(SnapshotError::Checksum { .. })
    ));
    b = bytes;
    b[0] = b'X';
    assert!(matches!(
        PrefixTable::from_snapshot(&b),
        Err(SnapshotError::BadMagic)
    ));
}

#[test]
fn wrong_version_errors() {
    let mut b = sample_table().to_snapshot();
    b[4..6].copy_from_slice(&(SNAPSHOT_VERSION + 1).to_le_bytes());
    match PrefixTable::from_snapshot(&b) {
        Err(SnapshotError::UnsupportedVersion { found, supported }) => {
            assert_eq!(found, SNAPSHOT_VERSION + 1);
            assert_eq!(supported, SNAPSHOT_VERSION);
        }
        other => panic!("unexpected {other:?}"),
    }
    // Only the version is wrong: the rest would still have parsed.
    b[4..6].copy_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    assert!(PrefixTable::from_snapshot(&b).is_ok());
}

/// The snapshot's CRC-32 is zlib's: the catalogue's check value, and crc32fast (a second
/// implementation) on every length around the 16-byte slices and on a real snapshot.
#[test]
fn snapshot_checksum_is_zlibs_crc32() {
    assert_eq!(snapshot::checksum(b"123456789"), 0xCBF4_3926);
    assert_eq!(snapshot::checksum(b""), 0);
    let bytes: Vec<u8> = (0..200u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for len in 0..=bytes.len() {
        let b = &bytes[..len];
        assert_eq!(snapshot::checksum(b), crc32fast::hash(b), "length {len}");
    }
    let snap = sample_table().to_snapshot();
    assert_eq!(snapshot::checksum(&snap), crc32fast::hash(&snap));
}

/// Wrap `body` in a valid header (magic, version, length, CRC) so the structural checks run.
fn with_header(body: &[u8]) -> Vec<u8> {
    with_header_of(SNAPSHOT_VERSION, body)
}

/// [`with_header`] of `version`.
fn with_header_of(version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = b"OBPT".to_vec();
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn empty_region_and_service_names() {
    // From the snapshot fuzz target: a body whose service table holds "" loaded, giving a
    // table that no build produces (build makes an empty service none).
    let body = b"\x03\x03aws\ncloudflape\x03gcp\x02\tus-east-0\tus-west-2\x01\x00\x01\x0eip-ranges.json\x03aw\r\x00\x0b\tus-west-2\x05\x07\x08\x03\x00\x00\x01\x16\x03\x05\x8c\x00\x02\x00\x18\x03\x05\x8c\x00\x00\x00\rh\x10\x01\x00\x00\x10h\x10\x02\x00\x00!\x02\x00\x00A&p\x1f\x18\x00\x01\x00";
    match PrefixTable::from_snapshot(&with_header_of(1, body)) {
        Err(SnapshotError::Corrupt(m)) => assert_eq!(m, "empty service name"),
        other => panic!("{:?}", other.map(|t| t.len())),
    }
    // Records carrying Some("") build as none, and round-trip.
    let mut r = rec("10.0.0.0/8", "p", None, None);
    r.region = Some(String::new());
    r.service = Some(String::new());
    let t = PrefixTable::build(&[r], vec![]);
    let back = PrefixTable::from_snapshot(&t.to_snapshot()).unwrap();
    assert_eq!(
        back.records().map(|r| r.to_record()).collect::<Vec<_>>(),
        [rec("10.0.0.0/8", "p", None, None)]
    );
}

#[test]
fn hostile_bodies_error_without_panicking() {
    let mut rng = Rng(7);
    let good = sample_table().to_snapshot();
    let body = &good[14..];
    assert_eq!(with_header(body), good);
    for _ in 0..20_000 {
        // Mutate a valid body in a few places, or make one up, then fix the CRC.
        let mut b = if rng.below(4) == 0 {
            (0..rng.below(64)).map(|_| rng.next() as u8).collect()
        } else {
            body.to_vec()
        };
        if !b.is_empty() {
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(b.len() as u64) as usize;
                b[i] = rng.next() as u8;
            }
        }
        if let Ok(t) = PrefixTable::from_snapshot(&with_header(&b)) {
            // Anything accepted is canonical.
            assert_eq!(t.to_snapshot(), with_header(&b));
        }
    }
    // Huge counts must not allocate: a body claiming 2^60 providers.
    let mut huge = Vec::new();
    super::snapshot::put_varint(&mut huge, 1 << 60);
    assert!(matches!(
        PrefixTable::from_snapshot(&with_header(&huge)),
        Err(SnapshotError::Truncated { .. })
    ));
    // Random whole inputs.
    for len in 0..200 {
        let b: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(PrefixTable::from_snapshot(&b).is_err());
    }
}

#[test]
fn non_canonical_version_1_bodies_are_rejected() {
    let with_header = |b: &[u8]| with_header_of(1, b);
    // providers ["a"], no regions/services, no feeds, records as given.
    let body = |records: &[u8]| -> Vec<u8> {
        let mut b = vec![1, 1, b'a', 0, 0, 0];
        b.extend_from_slice(records);
        b
    };
    let ok = with_header(&body(&[1, 24, 10, 0, 0, 0, 0, 0]));
    let t = PrefixTable::from_snapshot(&ok).unwrap();
    assert_eq!(
        t.first(ip("10.0.0.1")).unwrap().prefix.to_string(),
        "10.0.0.0/24"
    );
    let bad: &[(&str, Vec<u8>)] = &[
        ("host bits", body(&[1, 23, 10, 0, 1, 0, 0, 0])),
        ("v6 host bits", body(&[1, 33 + 7, 0x21, 0, 0, 0])),
        ("bad code", body(&[1, 33 + 129, 0, 0, 0])),
        ("provider out of range", body(&[1, 0, 1, 0, 0])),
        ("region out of range", body(&[1, 0, 0, 1, 0])),
        ("non-minimal varint", body(&[1, 0, 0x80, 0x00, 0, 0])),
        ("duplicate record", body(&[2, 0, 0, 0, 0, 0, 0, 0, 0])),
        ("unsorted", body(&[2, 8, 10, 0, 0, 0, 0, 0, 0, 0])),
        ("unused provider", body(&[0])),
        ("trailing", body(&[1, 0, 0, 0, 0, 9])),
        ("unsorted strings", vec![2, 1, b'b', 1, b'a', 0, 0, 0, 0]),
        ("bad utf-8", vec![1, 1, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]),
    ];
    for (what, b) in bad {
        assert!(
            PrefixTable::from_snapshot(&with_header(b)).is_err(),
            "{what} accepted"
        );
    }
}

#[test]
fn path_compressed_ipv6_cluster() {
    // 300 /48s under 2603:1000::/32 share 32 bits beyond the root's 16: the index skips them.
    // Probes in the same root slot but outside the shared prefix must still be answered from
    // the slot's range (before the first start / after the last start).
    let mut records: Vec<PrefixRecord> = (0..300u32)
        .map(|i| {
            let p = format!("2603:1000:{:x}::/48", i * 3);
            rec(&p, "azure", None, Some("AzureCloud"))
        })
        .collect();
    records.push(rec("2603::/16", "ms", None, None));
    records.push(rec("2603:1000::/24", "azure", None, None));
    let t = PrefixTable::build(&records, vec![]);
    assert!(t.v6.nodes.len() > (1 << 16) + 1, "no child node built");
    let provs =
        |a: &str| -> Vec<String> { t.lookup(ip(a)).map(|r| r.prefix.to_string()).collect() };
    assert_eq!(
        provs("2603:1000:3:ffff::1"),
        ["2603:1000:3::/48", "2603:1000::/24", "2603::/16"]
    );
    assert_eq!(provs("2603:1000:4::"), ["2603:1000::/24", "2603::/16"]);
    assert_eq!(provs("2603:0fff:ffff::"), ["2603::/16"]);
    assert_eq!(provs("2603:1001::1"), ["2603:1000::/24", "2603::/16"]);
    assert_eq!(provs("2603:2000::1"), ["2603::/16"]);
    assert_eq!(
        provs("2603:1000:37e::1"),
        ["2603:1000:37e::/48", "2603:1000::/24", "2603::/16"]
    );
    assert_eq!(provs("2604::"), Vec::<String>::new());
    for a in probes(&mut Rng(3), &records) {
        let got: Vec<PrefixRecord> = t.lookup(a).map(|r| r.to_record()).collect();
        assert_eq!(got, naive(&records, a), "address {a}");
    }
}

#[test]
fn first_answer_without_the_packed_shortcut_is_the_same() {
    // 70 providers and 1,100 regions do not fit the packed `heads` entries: those records are
    // answered from the full record, the others from `heads`; both must agree with a scan.
    let mut records = Vec::new();
    for i in 0..1100u32 {
        let provider = format!("p{:02}", i % 70);
        let region = format!("r{i:04}");
        let (hi, lo) = (i / 256, i % 256);
        records.push(rec(
            &format!("10.{hi}.{lo}.0/24"),
            &provider,
            Some(&region),
            None,
        ));
        records.push(rec(
            &format!("2001:db8:{i:x}::/48"),
            &provider,
            Some(&region),
            Some("svc"),
        ));
    }
    records.push(rec("10.0.0.0/8", "p00", None, None));
    let t = PrefixTable::build(&records, vec![]);
    assert!(t.heads.contains(&NO_HEAD) && t.heads.iter().any(|&h| h != NO_HEAD));
    let mapped: Vec<PrefixRecord> = t
        .lookup(ip("::ffff:10.3.1.7"))
        .map(|r| r.to_record())
        .collect();
    assert_eq!(mapped, naive(&records, ip("10.3.1.7")));
    for a in probes(&mut Rng(11), &records) {
        let want = naive(&records, a);
        let got: Vec<PrefixRecord> = t.lookup(a).map(|r| r.to_record()).collect();
        assert_eq!(got, want, "address {a}");
        // The exact length is right before and after the first answer.
        let mut m = t.lookup(a);
        assert_eq!(m.len(), want.len(), "address {a}");
        if m.next().is_some() {
            assert_eq!(m.len(), want.len() - 1, "address {a}");
            assert_eq!(m.count(), want.len() - 1, "address {a}");
        }
    }
}

#[test]
fn deep_ipv6_shortcut_answers_like_the_full_walk() {
    // Azure-like: /40 regions, /48s and /64s inside, and /120–/128s inside those /64s (some
    // /64s hold one long prefix, some dozens), plus random records all over the space.
    let mut rng = Rng(0xA2);
    let mut records = Vec::new();
    for region in 0..6u128 {
        let r40 = (0x2603_1000u128 << 96) | (region << 88);
        records.push(PrefixRecord::new(
            IpNet::V6(Ipv6Net::new(Ipv6Addr::from(r40), 40).unwrap()),
            "azure",
            Some(&format!("region{region}")),
            None,
        ));
        for k in 0..40u128 {
            let n64 = r40 | (rng.below(1 << 24) as u128) << 64;
            // Most such /64s are not published themselves, only their /40.
            if k % 4 == 0 {
                records.push(PrefixRecord::new(
                    IpNet::V6(Ipv6Net::new(Ipv6Addr::from(n64), 64).unwrap()),
                    "azure",
                    None,
                    Some("AzureCloud"),
                ));
            }
            if k % 3 == 2 {
                // A prefix at the top of the /64: the intervals before and after the
                // cluster answer differently.
                let top = n64 | u128::from(u64::MAX - 0xff);
                records.push(PrefixRecord::new(
                    IpNet::V6(Ipv6Net::new(Ipv6Addr::from(top), 120).unwrap()),
                    "azure",
                    None,
                    Some("Top"),
                ));
            }
            for _ in 0..(1 + (k % 5) * 7) {
                let len = 120 + rng.below(9) as u8;
                // Azure's long prefixes mostly sit low in their /64 (`…::1:a00/120`), so
                // the starts share many leading zero bits below bit 64: the walk must not
                // skip those bits unchecked for addresses higher up in the /64.
                // Others cluster high up (`8000::…`): addresses below the cluster but in
                // the /64 are answered before the /64's node.
                let low = match k % 3 {
                    0 => rng.next() >> 40,
                    1 => rng.next(),
                    _ => 1 << 63 | rng.next() >> 40,
                };
                let a = n64 | u128::from(low);
                records.push(PrefixRecord::new(
                    IpNet::V6(Ipv6Net::new(Ipv6Addr::from(a), len).unwrap().trunc()),
                    "azure",
                    None,
                    Some(["Storage", "Sql", "AzureFrontDoor"][rng.below(3) as usize]),
                ));
            }
        }
    }
    records.extend(random_records(&mut rng, 300));
    let t = PrefixTable::build(&records, vec![]);
    assert!(
        t.v6.deep.iter().filter(|e| e.hi != 0).count() >= 200,
        "deep /64s indexed"
    );
    assert!(t.v4.deep.is_empty(), "IPv4 has no bits below 64");
    let mut probes = probes(&mut rng, &records);
    // Addresses in an indexed /64 but before, between and after its long prefixes.
    for e in t.v6.deep.iter().filter(|e| e.hi != 0) {
        let base = u128::from(e.key) << 64;
        for low in [0, 1, u128::from(rng.next()), u128::from(u64::MAX)] {
            probes.push(IpAddr::V6(Ipv6Addr::from(base | low)));
        }
    }
    for a in probes {
        if let IpAddr::V6(v6) = a {
            let x = u128::from(v6);
            assert_eq!(t.v6.find(x), t.v6.walk(x, 0, 0, ROOT_BITS), "address {a}");
        }
        let got: Vec<PrefixRecord> = t.lookup(a).map(|r| r.to_record()).collect();
        assert_eq!(got, naive(&records, a), "address {a}");
    }
    let u = PrefixTable::from_snapshot(&t.to_snapshot()).unwrap();
    assert!(
        u.v6.deep == t.v6.deep,
        "the table is rebuilt the same on load"
    );
}

#[test]
fn bits_of_a_u128_from_its_halves_match_the_128_bit_shifts() {
    let mut rng = Rng(0x5eed_b175);
    for _ in 0..100 {
        let a = rng.u128();
        for shift in 0..128u32 {
            for width in 1..=(128 - shift).min(64) {
                let want = ((a << shift) >> (128 - width)) as u64;
                assert_eq!(
                    a.bits(shift, width),
                    want,
                    "{a:#x} from bit {shift}, {width} bits"
                );
                assert_eq!(bits128(a, shift, width), want, "{a:#x}: {shift}, {width}");
            }
        }
    }
}

#[test]
fn a_table_loaded_without_its_index_answers_the_same_before_and_after_indexing() {
    let mut rng = Rng(0xdefe_44ed);
    let records = random_records_spread(&mut rng, 3000, 0xff00_0000, 40);
    let indexed = PrefixTable::build(&records, vec![feed("f", "p")]);
    let snap = indexed.to_snapshot();
    let mut lazy = PrefixTable::from_snapshot_unindexed(&snap).unwrap();
    assert!(indexed.is_indexed());
    assert!(!lazy.is_indexed());
    assert_eq!(lazy, indexed);
    let probes = probes(&mut rng, &records);
    let all = |t: &PrefixTable, a: IpAddr| t.lookup(a).map(|r| r.to_record()).collect::<Vec<_>>();
    for &a in &probes {
        assert_eq!(all(&lazy, a), all(&indexed, a), "{a} before indexing");
    }
    lazy.index();
    assert!(lazy.is_indexed());
    for &a in &probes {
        assert_eq!(all(&lazy, a), all(&indexed, a), "{a} after indexing");
    }
    assert_eq!(lazy.heap_bytes(), indexed.heap_bytes());
    assert_eq!(
        PrefixTable::from_snapshot(&snap).unwrap().heap_bytes(),
        indexed.heap_bytes()
    );
}

/// The snapshot's records are read, and the sweep runs, in chunks of `snapshot::CHUNK` records
/// (each a call of its own, for V8's tier-up): what crosses a chunk's end must carry over. Here
/// a /8 and a /12 stay open across every chunk, and each /24 is given twice (two providers),
/// so one prefix's records straddle the end of the first chunk (records 0–2 are the /8, the
/// /12 and a /16, so the pairs start at odd positions).
#[test]
fn chunks_carry_the_sweep_and_the_order_across_their_ends() {
    let chunk = super::snapshot::CHUNK;
    assert_eq!(chunk % 2, 0, "the pairs must straddle a chunk's end");
    let mut records = vec![
        rec("10.0.0.0/8", "outer", None, None),
        rec("10.0.0.0/12", "middle", None, None),
        rec("10.0.0.0/16", "inner", None, None),
    ];
    let pairs = chunk + 40;
    for i in 0..pairs {
        let net = format!("10.{}.{}.0/24", i / 256, i % 256);
        records.push(rec(&net, "a", None, None));
        records.push(rec(&net, "b", None, None));
    }
    let t = PrefixTable::build(&records, vec![]);
    let u = PrefixTable::from_snapshot(&t.to_snapshot()).unwrap();
    assert_eq!(u, t);
    assert_eq!(u.interval_counts(), t.interval_counts());
    // The pair that straddles the first chunk's end, its neighbours, a /24 in the /16's first
    // block, the last one, and addresses between and beyond.
    let straddling = (chunk - 4) / 2;
    let mut probes: Vec<IpAddr> = [0, straddling - 1, straddling, straddling + 1, pairs - 1]
        .iter()
        .map(|i| ip(&format!("10.{}.{}.7", i / 256, i % 256)))
        .collect();
    probes.extend(["10.0.255.255", "10.200.0.1", "11.0.0.0", "9.255.255.255"].map(ip));
    for a in probes {
        for table in [&t, &u] {
            let got: Vec<PrefixRecord> = table.lookup(a).map(|r| r.to_record()).collect();
            assert_eq!(got, naive(&records, a), "address {a}");
        }
    }
    let a = ip(&format!("10.{}.{}.7", straddling / 256, straddling % 256));
    assert_eq!(
        u.lookup(a).len(),
        4,
        "{a}: two /24 records, the /12 and the /8"
    );

    // The order is checked across a chunk's end: /32s in ascending order, then the two at
    // its end swapped.
    let body = |swap: bool| {
        let mut b = vec![1, 1, b'a', 0, 0, 0];
        let n = chunk + 2;
        super::snapshot::put_varint(&mut b, n as u64);
        for i in 0..n {
            let i = match (swap, i) {
                (true, i) if i == chunk - 1 => chunk,
                (true, i) if i == chunk => chunk - 1,
                (_, i) => i,
            };
            b.push(32);
            b.extend_from_slice(&(i as u32).to_be_bytes());
            b.extend_from_slice(&[0, 0, 0]);
        }
        with_header_of(1, &b)
    };
    assert_eq!(
        PrefixTable::from_snapshot(&body(false)).unwrap().len(),
        chunk + 2
    );
    match PrefixTable::from_snapshot(&body(true)) {
        Err(SnapshotError::Corrupt(m)) => assert!(m.contains("not strictly sorted"), "{m}"),
        other => panic!("{:?}", other.map(|t| t.len())),
    }
}

/// A table with no records (a new user's, until the feeds arrive) builds no index: its root
/// alone was 2^16 slots per family, 1 MB and milliseconds of every start before the feeds came.
#[test]
fn an_empty_table_builds_no_index_and_answers_nothing() {
    let snap = PrefixTable::build(&[], vec![feed("f", "p")]).to_snapshot();
    for t in [
        PrefixTable::empty(),
        PrefixTable::build(&[], Vec::new()),
        PrefixTable::from_snapshot(&snap).unwrap(),
    ] {
        assert!(t.is_indexed());
        assert!(t.heap_bytes() < 1024, "{}", t.heap_bytes());
        for a in [
            "0.0.0.0",
            "10.1.2.3",
            "255.255.255.255",
            "::",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert_eq!(t.lookup(ip(a)).count(), 0, "{a}");
        }
    }
}

/// A table read around some addresses answers each of them as the whole table does (every
/// record containing it, in the same order), and says the whole table's size and feeds; an
/// empty list keeps no record but is no empty table; a damaged snapshot fails as a whole read.
#[test]
fn a_table_read_around_addresses_answers_them_as_the_whole_table() {
    let mut rng = Rng(0x00a7_0c4d);
    for (n, mask4, skip6) in [(3000, 0xff00_0000, 40), (400, 0xffff, 100)] {
        let records = random_records_spread(&mut rng, n, mask4, skip6);
        let whole = PrefixTable::build(&records, vec![feed("f", "p"), feed("g", "q")]);
        let snap = whole.to_snapshot();
        let all =
            |t: &PrefixTable, a: IpAddr| t.lookup(a).map(|r| r.to_record()).collect::<Vec<_>>();
        let probes = probes(&mut rng, &records);
        for some in probes.chunks(7) {
            let mut some = some.to_vec();
            // IPv4-mapped IPv6 is looked up as IPv4: kept as such.
            if let Some(IpAddr::V4(a)) = some.first().copied() {
                some.push(IpAddr::V6(a.to_ipv6_mapped()));
            }
            let around = PrefixTable::from_snapshot_around(&snap, &some).unwrap();
            for &a in &some {
                assert_eq!(all(&around, a), all(&whole, a), "{a}");
            }
            assert_eq!(around.len(), whole.len());
            assert_eq!(around.feeds(), whole.feeds());
            assert!(around.records().len() <= some.len() * 129);
        }
        let none = PrefixTable::from_snapshot_around(&snap, &[]).unwrap();
        assert_eq!((none.records().len(), none.len()), (0, whole.len()));
        assert!(!none.is_empty());
        let mut damaged = snap.clone();
        if let Some(b) = damaged.last_mut() {
            *b ^= 1;
        }
        assert!(PrefixTable::from_snapshot_around(&damaged, &probes[..3]).is_err());
    }
}

/// A version 1 snapshot (what an older version stored) loads as the same table, answers around
/// addresses as the whole table does, and writes back as the current version; a damaged one
/// fails, mangled ones never panic, and what loads is canonical version 1.
#[test]
fn version_1_snapshots_still_load_and_write_back_as_the_current_version() {
    let mut rng = Rng(0x0b1d);
    let records = random_records(&mut rng, 600);
    let tables = [
        PrefixTable::empty(),
        sample_table(),
        PrefixTable::build(&records, vec![feed("f", "p"), feed("g", "q")]),
    ];
    for t in &tables {
        let old = snapshot::encode_v1(t);
        assert_eq!(old[4..6], 1u16.to_le_bytes());
        assert!(PrefixTable::is_older_snapshot(&old));
        assert!(!PrefixTable::is_older_snapshot(&t.to_snapshot()));
        let u = PrefixTable::from_snapshot(&old).unwrap();
        assert_eq!(&u, t);
        assert_eq!(u.to_snapshot(), t.to_snapshot());
        assert_eq!(u.to_snapshot()[4..6], SNAPSHOT_VERSION.to_le_bytes());
        assert_eq!(&PrefixTable::from_snapshot_unindexed(&old).unwrap(), t);
    }
    let old = snapshot::encode_v1(&tables[2]);
    for some in probes(&mut rng, &records).chunks(5) {
        let around = PrefixTable::from_snapshot_around(&old, some).unwrap();
        for &a in some {
            let got: Vec<_> = around.lookup(a).map(|r| r.to_record()).collect();
            assert_eq!(got, naive(&records, a), "{a}");
        }
    }
    assert!(!PrefixTable::is_older_snapshot(b"OBP"));
    assert!(!PrefixTable::is_older_snapshot(b"XBPT\x01\x00"));
    let mut damaged = old.clone();
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x10;
    assert!(matches!(
        PrefixTable::from_snapshot(&damaged),
        Err(SnapshotError::Checksum { .. })
    ));
    let body = &snapshot::encode_v1(&tables[1])[14..];
    for _ in 0..5_000 {
        let mut b = body.to_vec();
        for _ in 0..1 + rng.below(3) {
            let i = rng.below(b.len() as u64) as usize;
            b[i] = rng.next() as u8;
        }
        if let Ok(t) = PrefixTable::from_snapshot(&with_header_of(1, &b)) {
            assert_eq!(snapshot::encode_v1(&t), with_header_of(1, &b));
        }
    }
}

/// A version 2 body: providers "a" and "b", no regions, services or feeds, `tags` as given
/// (provider, region + 1, service + 1), then the IPv4 and IPv6 records as given (address,
/// prefix length, tag in one byte).
fn body_v2(tags: &[[u8; 3]], v4: &[(u32, u8, u8)], v6: &[(u128, u8, u8)]) -> Vec<u8> {
    let mut b = vec![2, 1, b'a', 1, b'b', 0, 0, 0];
    b.push(tags.len() as u8);
    tags.iter().for_each(|t| b.extend_from_slice(t));
    super::snapshot::put_varint(&mut b, v4.len() as u64);
    for &(a, len, tag) in v4 {
        b.extend_from_slice(&a.to_be_bytes());
        b.extend_from_slice(&[len, tag]);
    }
    super::snapshot::put_varint(&mut b, v6.len() as u64);
    for &(a, len, tag) in v6 {
        b.extend_from_slice(&a.to_be_bytes());
        b.extend_from_slice(&[len, tag]);
    }
    b
}

#[test]
fn non_canonical_version_2_bodies_are_rejected() {
    const TEN: u32 = 10 << 24;
    const DOC: u128 = 0x2001_0db8 << 96;
    let tags = [[0, 0, 0], [1, 0, 0]];
    let ok = body_v2(&tags, &[(TEN, 8, 0), (TEN, 8, 1)], &[(DOC, 32, 1)]);
    let t = PrefixTable::from_snapshot(&with_header(&ok)).unwrap();
    assert_eq!(t.to_snapshot(), with_header(&ok));
    let providers = |a: &str| {
        t.lookup(ip(a))
            .map(|r| r.provider.to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(providers("10.1.2.3"), ["a", "b"]);
    assert_eq!(providers("2001:db8::1"), ["b"]);
    assert!(providers("11.0.0.1").is_empty());

    let v6 = [(DOC, 32, 1)];
    let bad: &[(&str, Vec<u8>)] = &[
        ("host bits", body_v2(&tags, &[(TEN | 1, 8, 0)], &v6)),
        (
            "v6 host bits",
            body_v2(&tags, &[(TEN, 8, 0)], &[(DOC | 1, 32, 1)]),
        ),
        ("IPv4 length 33", body_v2(&tags, &[(TEN, 33, 0)], &v6)),
        (
            "IPv6 length 129",
            body_v2(&tags, &[(TEN, 8, 0)], &[(DOC, 129, 1)]),
        ),
        ("tag out of range", body_v2(&tags, &[(TEN, 8, 2)], &v6)),
        (
            "duplicate record",
            body_v2(&tags, &[(TEN, 8, 0), (TEN, 8, 0)], &v6),
        ),
        (
            "unsorted records",
            body_v2(&tags, &[(TEN, 8, 1), (TEN, 8, 0)], &v6),
        ),
        (
            "unsorted by length",
            body_v2(&tags, &[(TEN, 16, 0), (TEN, 8, 1)], &v6),
        ),
        (
            "unsorted tags",
            body_v2(&[[1, 0, 0], [0, 0, 0]], &[(TEN, 8, 0)], &v6),
        ),
        ("unused tag", body_v2(&tags, &[(TEN, 8, 1)], &v6)),
        ("unused provider", body_v2(&tags[1..], &[(TEN, 8, 0)], &[])),
        (
            "provider out of range",
            body_v2(&[[2, 0, 0]], &[(TEN, 8, 0)], &[]),
        ),
        (
            "region out of range",
            body_v2(&[[0, 1, 0]], &[(TEN, 8, 0)], &[]),
        ),
        ("trailing", [ok.as_slice(), &[0]].concat()),
        ("truncated", ok[..ok.len() - 1].to_vec()),
    ];
    for (what, b) in bad {
        assert!(
            PrefixTable::from_snapshot(&with_header(b)).is_err(),
            "{what} accepted"
        );
    }

    // The order is checked across a chunk's end: /32s in ascending order, then the two at its
    // end swapped.
    let chunk = super::snapshot::CHUNK;
    let mut v4: Vec<(u32, u8, u8)> = (0..chunk as u32 + 2).map(|i| (i, 32, 0)).collect();
    let whole = with_header(&body_v2(&tags, &v4, &v6));
    assert_eq!(PrefixTable::from_snapshot(&whole).unwrap().len(), chunk + 3);
    v4.swap(chunk - 1, chunk);
    match PrefixTable::from_snapshot(&with_header(&body_v2(&tags, &v4, &v6))) {
        Err(SnapshotError::Corrupt(m)) => assert!(m.contains("not strictly sorted"), "{m}"),
        other => panic!("{:?}", other.map(|t| t.len())),
    }
}

/// Tags take the fewest bytes that hold the largest: one byte up to 256 tags, two beyond.
#[test]
fn tags_take_the_fewest_bytes() {
    let table = |tags: usize| {
        let records: Vec<_> = (0..tags)
            .map(|i| rec("10.0.0.0/8", "p", Some(&format!("r{i:04}")), None))
            .collect();
        PrefixTable::build(&records, vec![])
    };
    let (t256, t257) = (table(256), table(257));
    let records_bytes = |t: &PrefixTable, per_tag: usize| {
        // Header, the three string tables (regions "rNNNN": 6 bytes each), no feeds, the tags
        // (provider 0, region id + 1 as a varint, service 0), then the two blocks' counts.
        let regions = t.len();
        let tags_bytes: usize = (1..=regions).map(|r| if r < 128 { 3 } else { 4 }).sum();
        let count = |n: usize| if n < 128 { 1 } else { 2 };
        14 + (1 + 2)
            + (count(regions) + 6 * regions)
            + 1
            + 1
            + count(regions)
            + tags_bytes
            + count(regions)
            + regions * (4 + 1 + per_tag)
            + 1
    };
    assert_eq!(t256.to_snapshot().len(), records_bytes(&t256, 1));
    assert_eq!(t257.to_snapshot().len(), records_bytes(&t257, 2));
    for t in [t256, t257] {
        assert_eq!(PrefixTable::from_snapshot(&t.to_snapshot()).unwrap(), t);
    }
}
