//! Parses the real feed snapshots in `shared/fixtures/feeds` (see its SOURCES.md).
#![allow(clippy::unwrap_used)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Instant;

use onebasket::feeds::{parse, FeedSet, FeedSpec, ParsedFeed};
use onebasket::knowledge;
use onebasket::rules::Rules;
use onebasket::PrefixRecord;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/feeds");

fn read(file: &str) -> Vec<u8> {
    let dir = PathBuf::from(FIXTURES);
    assert!(
        dir.is_dir(),
        "feed fixtures missing: expected the directory {} (shared/fixtures/feeds next to the repo checkout)",
        dir.display()
    );
    let path = dir.join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// The feed entries of the built-in rules whose file is in `shared/fixtures/feeds` (the rest are
/// in `feeds-extra`, tested in `feeds_extra.rs`): the tests check the shipped data, not a copy.
fn specs() -> Vec<FeedSpec> {
    knowledge::all_feed_specs(&Rules::builtin().unwrap())
        .into_iter()
        .filter(|s| PathBuf::from(FIXTURES).join(&s.file).is_file())
        .collect()
}

fn parsed(file: &str) -> ParsedFeed {
    let spec = specs().into_iter().find(|s| s.file == file).unwrap();
    parse(&spec, &read(file)).unwrap_or_else(|e| panic!("{e}"))
}

/// Records covering `addr`, most specific first (what a prefix table would answer).
fn covering<'a>(records: &'a [PrefixRecord], addr: &str) -> Vec<&'a PrefixRecord> {
    let addr: IpAddr = addr.parse().unwrap();
    let mut hits: Vec<_> = records
        .iter()
        .filter(|r| r.prefix.contains(&addr))
        .collect();
    hits.sort_by_key(|r| std::cmp::Reverse(r.prefix.prefix_len()));
    hits
}

/// The single most specific record covering `addr`, as (prefix, provider, region, service).
fn lookup(
    records: &[PrefixRecord],
    addr: &str,
) -> (String, String, Option<String>, Option<String>) {
    let hits = covering(records, addr);
    let r = hits
        .first()
        .unwrap_or_else(|| panic!("no record covers {addr}"));
    (
        r.prefix.to_string(),
        r.provider.clone(),
        r.region.clone(),
        r.service.clone(),
    )
}

fn owned(
    p: &str,
    provider: &str,
    region: Option<&str>,
    service: Option<&str>,
) -> (String, String, Option<String>, Option<String>) {
    (
        p.into(),
        provider.into(),
        region.map(Into::into),
        service.map(Into::into),
    )
}

fn count_v4_v6(feed: &ParsedFeed) -> (usize, usize) {
    let v4 = feed
        .records
        .iter()
        .filter(|r| r.prefix.addr().is_ipv4())
        .count();
    (v4, feed.records.len() - v4)
}

#[test]
fn aws() {
    let feed = parsed("ip-ranges.json");
    assert_eq!(feed.date.as_deref(), Some("2026-08-22"));
    assert_eq!(feed.version.as_deref(), Some("1787411825"));
    // SOURCES.md: 10,668 [7,905 unique] v4 / 6,160 [3,108 unique] v6 entries; one record per
    // unique prefix because no AWS prefix is listed under two regions.
    assert_eq!(count_v4_v6(&feed), (7_905, 3_108));
    let r = &feed.records;
    assert_eq!(
        lookup(r, "216.244.7.10"),
        owned("216.244.7.0/24", "aws", Some("us-east-1"), Some("EC2"))
    );
    assert_eq!(
        lookup(r, "2600:f0f0:2::1"),
        owned("2600:f0f0:2::/48", "aws", Some("us-east-1"), Some("EC2"))
    );
    assert_eq!(
        lookup(r, "3.5.140.1"),
        owned(
            "3.5.140.0/22",
            "aws",
            Some("ap-northeast-2"),
            Some("EC2,S3")
        )
    );
    assert_eq!(
        lookup(r, "23.228.249.1"),
        owned("23.228.249.0/24", "aws", Some("GLOBAL"), Some("CLOUDFRONT"))
    );
    assert_eq!(
        lookup(r, "3.4.12.4"),
        owned("3.4.12.4/32", "aws", Some("eu-west-1"), Some("AMAZON"))
    );
    assert!(r.iter().all(|x| x.service.is_some() && x.region.is_some()));
}

#[test]
fn gcp_and_goog_minus_cloud() {
    let cloud = parsed("cloud.json");
    assert_eq!(cloud.date.as_deref(), Some("2026-05-05"));
    assert_eq!(cloud.version.as_deref(), Some("1778033048194"));
    assert_eq!(count_v4_v6(&cloud), (889, 48));
    let r = &cloud.records;
    let eu = Some("europe-west1");
    let gc = Some("Google Cloud");
    assert_eq!(lookup(r, "34.76.1.2"), owned("34.76.0.0/14", "gcp", eu, gc));
    assert_eq!(
        lookup(r, "2600:1900:4010::1"),
        owned("2600:1900:4010::/44", "gcp", eu, gc)
    );

    let goog = parsed("goog.json");
    assert_eq!(goog.date.as_deref(), Some("2024-04-25"));
    assert_eq!(goog.version.as_deref(), Some("1714053903689"));
    assert_eq!(count_v4_v6(&goog), (73, 11));
    assert!(goog
        .records
        .iter()
        .all(|x| x.region.is_none() && x.service.is_none()));

    let mut set = FeedSet::new();
    set.insert(cloud);
    set.insert(goog);
    let all = set.records(&specs());
    let google: Vec<_> = all
        .iter()
        .filter(|x| x.provider == "google")
        .cloned()
        .collect();
    // goog − cloud, split into CIDRs (cross-checked with Python's ipaddress.address_exclude).
    assert_eq!(google.len(), 311);
    assert_eq!(
        google.iter().filter(|x| x.prefix.addr().is_ipv4()).count(),
        231
    );
    assert_eq!(
        lookup(&google, "8.8.8.8"),
        owned("8.8.8.0/24", "google", None, None)
    );
    // 34.76.0.0/14 is cloud space inside goog's 34.64.0.0/10: no "google" record may cover it.
    assert!(covering(&google, "34.76.1.2").is_empty());
    assert_eq!(lookup(&all, "34.76.1.2").1, "gcp");
}

#[test]
fn azure() {
    let feed = parsed("ServiceTags_Public.json");
    assert_eq!(feed.date, None, "the file carries no date");
    assert_eq!(feed.version.as_deref(), Some("398"));
    // SOURCES.md: 41,749 unique v4 / 14,976 unique v6 prefixes.
    assert_eq!(count_v4_v6(&feed), (41_749, 14_976));
    let r = &feed.records;
    let east = Some("eastus");
    assert_eq!(
        lookup(r, "13.68.163.33"),
        owned("13.68.163.32/28", "azure", east, Some("Storage"))
    );
    assert_eq!(
        lookup(r, "2603:1030:213::1"),
        owned("2603:1030:213::/49", "azure", east, Some("Storage"))
    );
    assert_eq!(
        lookup(r, "4.145.22.161"),
        owned(
            "4.145.22.160/29",
            "azure",
            None,
            Some("AzureFrontDoor.Frontend")
        )
    );
    let services = r.iter().filter(|x| x.service.is_some()).count();
    let regions = r.iter().filter(|x| x.region.is_some()).count();
    println!(
        "azure: {} records, {services} with service, {regions} with region",
        r.len()
    );
    assert!(r.iter().all(|x| x
        .service
        .as_deref()
        .is_none_or(|s| !s.split(',').any(|t| t.starts_with("AzureCloud")))));
}

#[test]
fn cloudflare() {
    let v4 = parsed("ips-v4");
    let v6 = parsed("ips-v6");
    assert_eq!((v4.date.as_deref(), v4.version.as_deref()), (None, None));
    assert_eq!(count_v4_v6(&v4), (15, 0));
    assert_eq!(count_v4_v6(&v6), (0, 7));
    assert_eq!(
        lookup(&v4.records, "104.18.1.1"),
        owned("104.16.0.0/13", "cloudflare", None, None)
    );
    assert_eq!(
        lookup(&v6.records, "2606:4700::1111"),
        owned("2606:4700::/32", "cloudflare", None, None)
    );
}

#[test]
fn fastly() {
    let feed = parsed("public-ip-list.json");
    assert_eq!(feed.date, None);
    assert_eq!(count_v4_v6(&feed), (19, 2));
    assert_eq!(
        lookup(&feed.records, "151.101.1.69"),
        owned("151.101.0.0/16", "fastly", None, None)
    );
    assert_eq!(
        lookup(&feed.records, "2a04:4e42::1"),
        owned("2a04:4e42::/32", "fastly", None, None)
    );
}

#[test]
fn oracle() {
    let feed = parsed("public_ip_ranges.json");
    assert_eq!(feed.date.as_deref(), Some("2025-07-21"));
    assert_eq!(count_v4_v6(&feed), (896, 0));
    let regions: std::collections::BTreeSet<_> = feed
        .records
        .iter()
        .filter_map(|r| r.region.as_deref())
        .collect();
    assert_eq!(regions.len(), 45);
    let r = &feed.records;
    assert_eq!(
        lookup(r, "129.80.1.1"),
        owned("129.80.0.0/16", "oracle", Some("us-ashburn-1"), Some("OCI"))
    );
    assert_eq!(
        lookup(r, "79.76.100.1"),
        owned(
            "79.76.96.0/19",
            "oracle",
            Some("eu-frankfurt-1"),
            Some("OCI")
        )
    );
    assert_eq!(
        r.iter()
            .filter(|x| x.service.as_deref() == Some("OBJECT_STORAGE,OSN"))
            .count(),
        48
    );
}

#[test]
fn geofeeds() {
    let digitalocean = parsed("google.csv");
    assert_eq!(digitalocean.date, None);
    assert_eq!(count_v4_v6(&digitalocean), (1_037, 145));
    let r = &digitalocean.records;
    assert_eq!(
        lookup(r, "46.101.68.1"),
        owned(
            "46.101.68.0/22",
            "digitalocean",
            Some("DE-HE Frankfurt"),
            None
        )
    );
    assert_eq!(
        lookup(r, "2400:6180:0:d0::1"),
        owned(
            "2400:6180:0:d0::/64",
            "digitalocean",
            Some("SG-05 Singapore"),
            None
        )
    );

    let linode = parsed("linode-geofeed.csv");
    assert_eq!(linode.date.as_deref(), Some("2025-07-24"));
    assert_eq!(count_v4_v6(&linode), (4_464, 88));
    assert_eq!(
        lookup(&linode.records, "2400:8902::1"),
        owned("2400:8902::/32", "linode", Some("JP-13 Tokyo"), None)
    );
    assert!(linode
        .records
        .iter()
        .all(|x| x.region.is_some() && x.service.is_none()));
}

#[test]
fn github() {
    let feed = parsed("meta.json");
    assert_eq!(feed.date, None);
    // 5,603 unique CIDRs (4,623 v4 / 980 v6); 311 of them are in both `actions` (rented from
    // Azure) and `actions_macos`, so they get one record per provider: 5,914 records; the
    // 10 `pages` CIDRs (6 v4, 4 v6) are GitHub Pages' own records.
    assert_eq!(count_v4_v6(&feed), (4_934, 980));
    assert_eq!(
        feed.records
            .iter()
            .filter(|x| x.provider == "azure")
            .count(),
        5_499
    );
    assert_eq!(
        feed.records
            .iter()
            .filter(|x| x.provider == "github")
            .count(),
        405
    );
    // The `pages` list is GitHub Pages' own space (owners = { pages = "github-pages" }), the
    // provider a github.io CNAME names too.
    assert_eq!(
        feed.records
            .iter()
            .filter(|x| x.provider == "github-pages")
            .count(),
        10
    );
    let r = &feed.records;
    assert_eq!(
        lookup(r, "4.148.1.1"),
        owned("4.148.0.0/16", "azure", None, Some("github-actions"))
    );
    assert_eq!(
        lookup(r, "20.42.11.17"),
        owned("20.42.11.16/28", "azure", None, Some("github-codespaces"))
    );
    assert_eq!(
        lookup(r, "185.199.108.153"),
        owned("185.199.108.153/32", "github-pages", None, Some("pages"))
    );
    let hooks = lookup(r, "2a0a:a440::1");
    assert_eq!(
        (hooks.0.as_str(), hooks.1.as_str()),
        ("2a0a:a440::/29", "github")
    );
    assert!(hooks.3.unwrap().split(',').any(|s| s == "hooks"));
}

#[test]
fn every_fixture_parses_and_the_set_merges() {
    let specs = specs();
    let mut set = FeedSet::new();
    let mut total = 0;
    for spec in &specs {
        let bytes = read(&spec.file);
        let start = Instant::now();
        let feed = set.apply(spec, &bytes).unwrap_or_else(|e| panic!("{e}"));
        println!(
            "{:<26} {:>9} bytes {:>6} records  {:>8.2} ms  date {:?} version {:?}",
            spec.file,
            bytes.len(),
            feed.records.len(),
            start.elapsed().as_secs_f64() * 1e3,
            feed.date,
            feed.version
        );
        total += feed.records.len();
    }
    assert_eq!(total, 81_346);
    let start = Instant::now();
    let all = set.records(&specs);
    println!(
        "FeedSet::records: {} records in {:.2} ms",
        all.len(),
        start.elapsed().as_secs_f64() * 1e3
    );
    assert!(all.windows(2).all(|w| w[0] < w[1]));
    // goog.json's 84 prefixes become the 311 CIDRs of goog − cloud; nothing else overlaps exactly.
    assert_eq!(all.len(), 81_346 - 84 + 311);
    // A truncated download of a big feed is rejected and the good copy stays.
    let aws = &specs[0];
    let bytes = read(&aws.file);
    let err = set.apply(aws, &bytes[..bytes.len() / 2]).unwrap_err();
    assert!(
        err.to_string().starts_with("ip-ranges.json: line "),
        "{err}"
    );
    assert_eq!(set.get("ip-ranges.json").unwrap().records.len(), 11_013);
}

#[test]
fn parse_timing() {
    let specs = specs();
    let inputs: Vec<_> = specs.iter().map(|s| (s, read(&s.file))).collect();
    const ROUNDS: u32 = 5;
    let mut best = vec![f64::MAX; inputs.len()];
    for _ in 0..ROUNDS {
        for (i, (spec, bytes)) in inputs.iter().enumerate() {
            let start = Instant::now();
            let feed = parse(spec, bytes).unwrap();
            std::hint::black_box(feed);
            best[i] = best[i].min(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    for ((spec, _), ms) in inputs.iter().zip(&best) {
        println!("parse {:<26} best of {ROUNDS}: {ms:>8.2} ms", spec.file);
    }
    println!("parse all fixtures: {:.2} ms", best.iter().sum::<f64>());
}
