//! Re-deriving every stored verdict after a table change (issue "verdicts follow the
//! knowledge"): 1,000 sites, each with 50 dependency hosts of its own (51,000 hosts' evidence),
//! against the real fixture feeds. Target ≤ 50 ms natively.
//!
//! Then the pages' views over the same sites.
//!
//! Run: `cargo bench -p onebasket --bench tracker -- --measurement-time 5 --warm-up-time 1`

#![allow(clippy::unwrap_used, missing_docs)]

use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use onebasket::deps::DepOutcome;
use onebasket::evidence::HostEvidence;
use onebasket::panel::{DashboardQuery, PopupQuery};
use onebasket::profile::Resolution;
use onebasket::reach::Target;
use onebasket::site_record::SiteRecord;
use onebasket::table::PrefixTable;
use onebasket::tracker::{Capabilities, Stored, Tracker};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

const SITES: usize = 1_000;
const DEPS: usize = 50;

fn fixture_table() -> PrefixTable {
    let rules = onebasket::rules::Rules::builtin().unwrap();
    let specs = onebasket::knowledge::feed_specs(&rules).unwrap();
    let mut set = onebasket::feeds::FeedSet::new();
    // Every feed a snapshot exists of (the official ones in `feeds/`, more in `feeds-extra/`);
    // those published only by hand (no snapshot) are left out, as a user without them has.
    for spec in &specs {
        let bytes = ["feeds", "feeds-extra"]
            .iter()
            .find_map(|dir| std::fs::read(format!("{FIXTURES}/{dir}/{}", spec.file)).ok());
        if let Some(bytes) = bytes {
            set.apply(spec, &bytes).unwrap();
        }
    }
    onebasket::knowledge::build_table(&set, &specs)
}

/// Evidence like a look-up leaves: an address inside some feed's range (every provider in
/// turn), a CNAME for one host in four, NS names of a known DNS provider for one in three.
fn evidence(name: &str, n: usize, addresses: &[IpAddr]) -> HostEvidence {
    HostEvidence {
        name: name.to_owned(),
        site: Some(name.split_once('.').map_or(name, |(_, s)| s).to_owned()),
        at: 1_800_000_000_000,
        ttl: Some(60),
        addresses: vec![addresses[n % addresses.len()]],
        cname_chain: if n % 4 == 0 {
            vec![format!("d{n}.cloudfront.net")]
        } else {
            Vec::new()
        },
        nameservers: if n % 3 == 0 {
            vec!["ns-1.awsdns-12.org".into(), "ns-2.awsdns-34.net".into()]
        } else {
            vec![format!("ns1.dns{n}.example")]
        },
        resolution: Some(Resolution::Ok),
        ..HostEvidence::default()
    }
}

fn bench(c: &mut Criterion) {
    let table = fixture_table();
    // One address per 97th record: every feed and both families.
    let addresses: Vec<IpAddr> = table
        .records()
        .step_by(97)
        .map(|r| r.prefix.addr())
        .collect();
    let now = 1_800_000_000_000;
    let mut sites = Vec::with_capacity(SITES);
    let mut hosts = Vec::with_capacity(SITES * (DEPS + 1));
    for i in 0..SITES {
        let main = format!("www.site{i}.example");
        let mut r = SiteRecord::new(&format!("site{i}.example"), &main, now);
        hosts.push(evidence(&main, i, &addresses));
        for j in 0..DEPS {
            let host = format!("cdn{j}.vendor{i}x{j}.example");
            let kind = if j % 2 == 0 { "script" } else { "image" };
            r.depend(
                &host,
                "vendor.example",
                true,
                kind,
                None,
                DepOutcome::Status(200),
                now,
            );
            hosts.push(evidence(&host, i * DEPS + j, &addresses));
        }
        sites.push(r);
    }
    let stored = Stored {
        sites,
        hosts,
        table_complete: true,
        ..Stored::default()
    };
    let classifier = onebasket::knowledge::classifier(table.clone()).unwrap();
    let mut tracker = Tracker::restore(stored, classifier, Capabilities::default(), now);
    assert_eq!(tracker.stats().classes as usize, SITES * (DEPS + 1));
    let mut g = c.benchmark_group("rederive");
    g.sample_size(20);
    // A refresh: a new table, most verdicts as they were.
    g.bench_function("1000_sites_x_50_deps", |b| {
        b.iter_batched(
            || table.clone(),
            |t| tracker.table_changed(t, now),
            BatchSize::LargeInput,
        );
    });
    // The first table landing: every verdict goes from "waiting for IP ranges" to a provider.
    let empty = PrefixTable::build(&[], Vec::new());
    g.bench_function("1000_sites_x_50_deps/first_table", |b| {
        b.iter_custom(|iters| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                tracker.table_changed(empty.clone(), now);
                let full = table.clone();
                let t0 = std::time::Instant::now();
                tracker.table_changed(full, now);
                total += t0.elapsed();
            }
            total
        });
    });
    g.finish();
    // The queue only holds the pages' notice; drained so the figure is of the derivation alone.
    while tracker.poll_effect().is_some() {}

    // What a page asks for (issue "a lighter, faster worker"): each view is built from every
    // site's exposure, derived at the time of asking.
    let mut g = c.benchmark_group("views");
    g.sample_size(10);
    g.bench_function("1000_sites_x_50_deps/popup", |b| {
        b.iter(|| tracker.popup_view(&PopupQuery::default(), now));
    });
    let query = DashboardQuery {
        what_if: Some(Target::Provider("aws".into())),
        ..DashboardQuery::default()
    };
    g.bench_function("1000_sites_x_50_deps/dashboard", |b| {
        b.iter(|| tracker.dashboard_view(&query, now));
    });
    g.bench_function("1000_sites_x_50_deps/summaries", |b| {
        b.iter(|| tracker.summaries(now));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
