//! Benchmarks of `onebasket::table` on the real feed snapshots in `shared/fixtures/feeds`, with a
//! `prefix_trie::PrefixMap` row for comparison.
//!
//! Run: `cargo bench -p onebasket --bench table -- --measurement-time 3 --warm-up-time 1`

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use onebasket::table::{FeedInfo, PrefixTable};
use onebasket::PrefixRecord;
use prefix_trie::PrefixMap;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

/// A feed's snapshot: the official ones in `feeds/`, more in `feeds-extra/`; `None` for those
/// published only by hand (no snapshot), which a user without them lacks too.
fn fixture_file(name: &str) -> Option<Vec<u8>> {
    ["feeds", "feeds-extra"]
        .iter()
        .find_map(|dir| std::fs::read(format!("{FIXTURES}/{dir}/{name}")).ok())
}

const N: usize = 1_000_000;

/// Records and feed infos from every fixture feed, through the real parsers.
fn fixture_records() -> (Vec<PrefixRecord>, Vec<FeedInfo>) {
    let rules = onebasket::rules::Rules::builtin().unwrap();
    let specs = onebasket::knowledge::feed_specs(&rules).unwrap();
    let mut set = onebasket::feeds::FeedSet::new();
    for (spec, bytes) in specs
        .iter()
        .filter_map(|s| Some((s, fixture_file(&s.file)?)))
    {
        set.apply(spec, &bytes).unwrap();
    }
    let table = onebasket::knowledge::build_table(&set, &specs);
    (set.records(&specs), table.feeds().to_vec())
}

/// Every fixture file, read once, for the parse benchmark.
fn fixture_files() -> Vec<(onebasket::feeds::FeedSpec, Vec<u8>)> {
    let rules = onebasket::rules::Rules::builtin().unwrap();
    onebasket::knowledge::feed_specs(&rules)
        .unwrap()
        .into_iter()
        .filter_map(|spec| Some((fixture_file(&spec.file)?, spec)))
        .map(|(bytes, spec)| (spec, bytes))
        .collect()
}

// ---------------------------------------------------------------------------------------------

/// xorshift64* — deterministic addresses without a `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}

/// A random address inside `net`.
fn inside(rng: &mut Rng, net: &IpNet) -> IpAddr {
    match net {
        IpNet::V4(n) => {
            let host = (rng.next() as u32)
                .checked_shr(u32::from(n.prefix_len()))
                .unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(n.network()) | host))
        }
        IpNet::V6(n) => {
            let host = rng
                .u128()
                .checked_shr(u32::from(n.prefix_len()))
                .unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(n.network()) | host))
        }
    }
}

fn bench(c: &mut Criterion) {
    let (records, feeds) = fixture_records();
    let table = PrefixTable::build(&records, feeds.clone());
    let snap = table.to_snapshot();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&snap).unwrap();
    let gz = gz.finish().unwrap();
    let (i4, i6) = table.interval_counts();
    eprintln!(
        "table heap (records, intervals, index): {} bytes; {table:?}",
        table.heap_bytes()
    );
    eprintln!(
        "fixture records: {} input, {} distinct; intervals v4 {i4}, v6 {i6}; snapshot {} bytes ({:.2} MiB), gzip -9 {} bytes ({:.2} MiB)",
        records.len(),
        table.len(),
        snap.len(),
        snap.len() as f64 / 1048576.0,
        gz.len(),
        gz.len() as f64 / 1048576.0,
    );

    let v4_nets: Vec<IpNet> = records
        .iter()
        .map(|r| r.prefix)
        .filter(|p| matches!(p, IpNet::V4(_)))
        .collect();
    let v6_nets: Vec<IpNet> = records
        .iter()
        .map(|r| r.prefix)
        .filter(|p| matches!(p, IpNet::V6(_)))
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let v4_random: Vec<IpAddr> = (0..N)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
        .collect();
    let v4_in: Vec<IpAddr> = (0..N)
        .map(|_| {
            let i = (rng.next() % v4_nets.len() as u64) as usize;
            inside(&mut rng, &v4_nets[i])
        })
        .collect();
    let v6_mix: Vec<IpAddr> = (0..N)
        .map(|k| {
            if k % 2 == 0 {
                let i = (rng.next() % v6_nets.len() as u64) as usize;
                inside(&mut rng, &v6_nets[i])
            } else {
                IpAddr::V6(Ipv6Addr::from(rng.u128()))
            }
        })
        .collect();

    // prefix_trie comparison: one map per family, value = index of the (first) record.
    let mut trie4: PrefixMap<Ipv4Net, u32> = PrefixMap::new();
    let mut trie6: PrefixMap<Ipv6Net, u32> = PrefixMap::new();
    for (i, r) in records.iter().enumerate() {
        match r.prefix {
            IpNet::V4(n) => {
                trie4.insert(n, i as u32);
            }
            IpNet::V6(n) => {
                trie6.insert(n, i as u32);
            }
        }
    }
    let trie_lookup = |a: &IpAddr| -> u32 {
        match a {
            IpAddr::V4(a) => trie4.get_lpm(&Ipv4Net::from(*a)).map_or(0, |(_, v)| *v),
            IpAddr::V6(a) => trie6.get_lpm(&Ipv6Net::from(*a)).map_or(0, |(_, v)| *v),
        }
    };

    let mut g = c.benchmark_group("lookup");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    for (name, addrs) in [
        ("ipv4_random_1M", &v4_random),
        ("ipv4_in_ranges_1M", &v4_in),
        ("ipv6_1M", &v6_mix),
    ] {
        // Share of addresses that match at least one record (sanity and context for the numbers).
        let hits = addrs.iter().filter(|a| table.first(**a).is_some()).count();
        eprintln!("lookup/{name}: {hits} of {N} addresses match");
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for a in addrs.iter() {
                    // Materialize the most specific record, as a caller would.
                    n += table
                        .lookup(black_box(*a))
                        .next()
                        .map_or(0, |r| r.provider.len());
                }
                n
            })
        });
        g.bench_function(format!("{name}/all_matches"), |b| {
            b.iter(|| {
                let mut n = 0usize;
                for a in addrs.iter() {
                    n += table
                        .lookup(black_box(*a))
                        .map(|r| r.provider.len())
                        .sum::<usize>();
                }
                n
            })
        });
        g.bench_function(format!("{name}/prefix_trie"), |b| {
            b.iter(|| {
                let mut n = 0u64;
                for a in addrs.iter() {
                    n += u64::from(trie_lookup(black_box(a)));
                }
                n
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.throughput(Throughput::Elements(records.len() as u64));
    g.bench_function("all_fixture_feeds", |b| {
        b.iter(|| PrefixTable::build(black_box(&records), feeds.clone()))
    });
    g.bench_function("all_fixture_feeds/prefix_trie", |b| {
        b.iter(|| {
            let mut t4: PrefixMap<Ipv4Net, u32> = PrefixMap::new();
            let mut t6: PrefixMap<Ipv6Net, u32> = PrefixMap::new();
            for (i, r) in black_box(&records).iter().enumerate() {
                match r.prefix {
                    IpNet::V4(n) => {
                        t4.insert(n, i as u32);
                    }
                    IpNet::V6(n) => {
                        t6.insert(n, i as u32);
                    }
                }
            }
            (t4, t6)
        })
    });
    g.finish();

    let files = fixture_files();
    let rules = onebasket::rules::Rules::builtin().unwrap();
    let specs = onebasket::knowledge::feed_specs(&rules).unwrap();
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(
        files.iter().map(|(_, b)| b.len() as u64).sum(),
    ));
    g.bench_function("all_fixture_feeds_to_table", |b| {
        b.iter(|| {
            let mut set = onebasket::feeds::FeedSet::new();
            for (spec, bytes) in &files {
                set.apply(spec, black_box(bytes)).unwrap();
            }
            onebasket::knowledge::build_table(&set, &specs)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(snap.len() as u64));
    g.bench_function("encode", |b| b.iter(|| black_box(&table).to_snapshot()));
    g.bench_function("load", |b| {
        b.iter(|| PrefixTable::from_snapshot(black_box(&snap)).unwrap())
    });
    // What a worker's start pays before its first answer (the index is built after it), and
    // the checksum's share of that.
    g.bench_function("load_unindexed", |b| {
        b.iter(|| PrefixTable::from_snapshot_unindexed(black_box(&snap)).unwrap())
    });
    // A woken worker's first answer: the records around a tab's ~40 addresses.
    let mut rng = Rng(0x5eed);
    let all: Vec<_> = table.records().map(|r| r.prefix).collect();
    let tab: Vec<IpAddr> = (0..40)
        .map(|_| {
            let net = all[(rng.next() % all.len() as u64) as usize];
            inside(&mut rng, &net)
        })
        .collect();
    g.bench_function("load_around", |b| {
        b.iter(|| PrefixTable::from_snapshot_around(black_box(&snap), black_box(&tab)).unwrap())
    });
    // The snapshot's CRC-32 (the `crc` crate's slice-by-16, its table built at run time) and
    // crc32fast's (SIMD where the CPU has it; the same slice-by-16 in wasm).
    let crc = crc::Crc::<u32, crc::Table<16>>::new(&crc::CRC_32_ISO_HDLC);
    g.bench_function("crc32", |b| b.iter(|| crc.checksum(black_box(&snap))));
    g.bench_function("crc32/crc32fast", |b| {
        b.iter(|| crc32fast::hash(black_box(&snap)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
