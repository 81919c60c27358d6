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
use serde_json::Value;

const FEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/feeds");

const N: usize = 1_000_000;

// ---------------------------------------------------------------------------------------------
// STAND-IN: a minimal extraction of prefixes from the fixture feeds, only for benchmarking.
// To be replaced by the real parsers of `onebasket::feeds` once that module lands.

fn read(file: &str) -> String {
    std::fs::read_to_string(format!("{FEEDS}/{file}")).unwrap()
}

fn json(file: &str) -> Value {
    serde_json::from_str(&read(file)).unwrap()
}

fn push(
    out: &mut Vec<PrefixRecord>,
    p: &str,
    provider: &str,
    region: Option<&str>,
    service: Option<&str>,
) {
    if let Ok(net) = p.trim().parse::<IpNet>() {
        out.push(PrefixRecord::new(net, provider, region, service));
    }
}

fn arr(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

/// Records from every fixture feed (stand-in for `onebasket::feeds`, see above).
fn fixture_records() -> (Vec<PrefixRecord>, Vec<FeedInfo>) {
    let mut out = Vec::new();
    let mut feeds = Vec::new();
    let mut feed = |out: &mut Vec<PrefixRecord>, file: &str, provider: &str, before: usize| {
        feeds.push(FeedInfo {
            file: file.into(),
            provider: provider.into(),
            date: None,
            version: None,
            records: (out.len() - before) as u32,
        });
    };

    let b = out.len();
    let aws = json("ip-ranges.json");
    for p in arr(&aws["prefixes"]) {
        push(
            &mut out,
            p["ip_prefix"].as_str().unwrap_or(""),
            "aws",
            p["region"].as_str(),
            p["service"].as_str(),
        );
    }
    for p in arr(&aws["ipv6_prefixes"]) {
        push(
            &mut out,
            p["ipv6_prefix"].as_str().unwrap_or(""),
            "aws",
            p["region"].as_str(),
            p["service"].as_str(),
        );
    }
    feed(&mut out, "ip-ranges.json", "aws", b);

    let b = out.len();
    let gcp = json("cloud.json");
    for p in arr(&gcp["prefixes"]) {
        let net = p["ipv4Prefix"]
            .as_str()
            .or(p["ipv6Prefix"].as_str())
            .unwrap_or("");
        push(
            &mut out,
            net,
            "gcp",
            p["scope"].as_str(),
            p["service"].as_str(),
        );
    }
    feed(&mut out, "cloud.json", "gcp", b);

    let b = out.len();
    let azure = json("ServiceTags_Public.json");
    for v in arr(&azure["values"]) {
        let props = &v["properties"];
        let region = props["region"].as_str();
        for p in arr(&props["addressPrefixes"]) {
            push(
                &mut out,
                p.as_str().unwrap_or(""),
                "azure",
                region,
                v["name"].as_str(),
            );
        }
    }
    feed(&mut out, "ServiceTags_Public.json", "azure", b);

    let b = out.len();
    let meta = json("meta.json");
    if let Some(obj) = meta.as_object() {
        for (key, list) in obj {
            for p in arr(list) {
                // Non-CIDR strings (ssh keys) fail to parse and are skipped by `push`.
                push(
                    &mut out,
                    p.as_str().unwrap_or(""),
                    "github",
                    None,
                    Some(key),
                );
            }
        }
    }
    feed(&mut out, "meta.json", "github", b);

    let b = out.len();
    let oci = json("public_ip_ranges.json");
    for r in arr(&oci["regions"]) {
        for c in arr(&r["cidrs"]) {
            push(
                &mut out,
                c["cidr"].as_str().unwrap_or(""),
                "oracle",
                r["region"].as_str(),
                None,
            );
        }
    }
    feed(&mut out, "public_ip_ranges.json", "oracle", b);

    for (file, provider) in [
        ("google.csv", "digitalocean"),
        ("linode-geofeed.csv", "linode"),
    ] {
        let b = out.len();
        for line in read(file).lines().filter(|l| !l.starts_with('#')) {
            push(
                &mut out,
                line.split(',').next().unwrap_or(""),
                provider,
                None,
                None,
            );
        }
        feed(&mut out, file, provider, b);
    }

    for file in ["ips-v4", "ips-v6"] {
        let b = out.len();
        for line in read(file).lines() {
            push(&mut out, line, "cloudflare", None, None);
        }
        feed(&mut out, file, "cloudflare", b);
    }

    let b = out.len();
    let fastly = json("public-ip-list.json");
    for p in arr(&fastly["addresses"])
        .iter()
        .chain(arr(&fastly["ipv6_addresses"]))
    {
        push(&mut out, p.as_str().unwrap_or(""), "fastly", None, None);
    }
    feed(&mut out, "public-ip-list.json", "fastly", b);

    (out, feeds)
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

    let mut g = c.benchmark_group("snapshot");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(snap.len() as u64));
    g.bench_function("encode", |b| b.iter(|| black_box(&table).to_snapshot()));
    g.bench_function("load", |b| {
        b.iter(|| PrefixTable::from_snapshot(black_box(&snap)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
