//! Parses every snapshot in `shared/fixtures/feeds-extra` (see its SOURCES.md) through the feed
//! entries of the built-in rules: counts per family, publication dates, known addresses.
//! Counts are unique prefixes, cross-checked with Python's `ipaddress` on the same files.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::PathBuf;

use onebasket::feeds::{parse, FeedFormat, FeedSpec, ParsedFeed};
use onebasket::knowledge;
use onebasket::rules::Rules;
use onebasket::PrefixRecord;

const EXTRA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/feeds-extra"
);

fn read(file: &str) -> Vec<u8> {
    let path = PathBuf::from(EXTRA).join(file);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read fixture {} (shared/fixtures/feeds-extra next to the repo checkout): {e}",
            path.display()
        )
    })
}

/// The rules' entry for `file`.
fn entry(file: &str) -> FeedSpec {
    knowledge::all_feed_specs(&Rules::builtin().unwrap())
        .into_iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| panic!("providers.toml has no [[feed]] for {file}"))
}

/// The specs for the two snapshots that are conversions of an official feed (SOURCES.md): the
/// same parsers with the layout the conversion has. No `[[feed]]` names them, because no
/// official URL serves them.
fn converted(file: &str) -> Option<FeedSpec> {
    match file {
        // `jq -r '.addresses[]'` of Gcore's JSON: one /32 per line.
        "gcore-public-ip-list-addresses.txt" => {
            Some(FeedSpec::new(file, "", "gcore", FeedFormat::CidrText))
        }
        // Bunny's two official arrays re-wrapped as {"ipv4": [...], "ipv6": [...]}.
        "bunnycdn-edgeserverlist-combined.json" => Some(FeedSpec {
            lists: vec!["ipv4".into(), "ipv6".into()],
            ..entry("bunny-edgeserverlist.json")
        }),
        _ => None,
    }
}

fn parsed(file: &str) -> ParsedFeed {
    let spec = converted(file).unwrap_or_else(|| entry(file));
    parse(&spec, &read(file)).unwrap_or_else(|e| panic!("{e}"))
}

fn v4_v6(feed: &ParsedFeed) -> (usize, usize) {
    let v4 = feed
        .records
        .iter()
        .filter(|r| r.prefix.addr().is_ipv4())
        .count();
    (v4, feed.records.len() - v4)
}

/// The most specific record covering `addr`: (prefix, provider, region, service).
fn at(feed: &ParsedFeed, addr: &str) -> (String, String, Option<String>, Option<String>) {
    let ip: IpAddr = addr.parse().unwrap();
    let r: &PrefixRecord = feed
        .records
        .iter()
        .filter(|r| r.prefix.contains(&ip))
        .max_by_key(|r| r.prefix.prefix_len())
        .unwrap_or_else(|| panic!("{}: nothing covers {addr}", feed.file));
    (
        r.prefix.to_string(),
        r.provider.clone(),
        r.region.clone(),
        r.service.clone(),
    )
}

fn want(
    prefix: &str,
    provider: &str,
    region: Option<&str>,
    service: Option<&str>,
) -> (String, String, Option<String>, Option<String>) {
    (
        prefix.into(),
        provider.into(),
        region.map(Into::into),
        service.map(Into::into),
    )
}

#[test]
fn every_file_in_the_folder_is_covered() {
    let tested: BTreeSet<&str> = [
        "akamai-ipv4.txt",
        "akamai-ipv6.txt",
        "bunnycdn-edgeserverlist-combined.json",
        "cachefly-cdn.txt",
        "cdn77-public_lmax_prefixes.json",
        "cloudfront-ips.json",
        "gcore-public-ip-list-addresses.txt",
        "gcore-public-ip-list.json",
        "goog.json",
        "imperva-ips.json",
        "public_ip_ranges.json",
        "quic-cloud-ips.txt",
        "vultr-geofeed.json",
        "zscaler-cenr.json",
        "zscaler-hubs-cidr-recommended.json",
    ]
    .into();
    let on_disk: BTreeSet<String> = std::fs::read_dir(EXTRA)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md")
        .collect();
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    assert_eq!(
        on_disk, tested,
        "a snapshot without a test, or a test without a snapshot"
    );
    // Each one parses with the rules' own entry (or, for the two conversions, the same parser).
    for file in &tested {
        let feed = parsed(file);
        assert!(!feed.records.is_empty(), "{file}");
        assert!(converted(file).is_some() || entry(file).file == *file);
    }
}

#[test]
fn akamai_text_lists_with_trailing_tabs() {
    let v4 = parsed("akamai-ipv4.txt");
    let v6 = parsed("akamai-ipv6.txt");
    assert_eq!((v4_v6(&v4), v4_v6(&v6)), ((19, 0), (0, 3)));
    assert_eq!(v4.date, None);
    assert_eq!(
        at(&v4, "23.50.1.1"),
        want("23.32.0.0/11", "akamai", None, None)
    );
    assert_eq!(
        at(&v4, "184.87.255.255"),
        want("184.84.0.0/14", "akamai", None, None)
    );
    assert_eq!(
        at(&v6, "2a02:26f0:1::1"),
        want("2a02:26f0::/32", "akamai", None, None)
    );
    assert!(entry("akamai-ipv4.txt").manual, "published only in a zip");
}

#[test]
fn bunny_edge_servers() {
    let feed = parsed("bunnycdn-edgeserverlist-combined.json");
    assert_eq!(v4_v6(&feed), (590, 323));
    assert_eq!(
        at(&feed, "89.187.188.227"),
        want("89.187.188.227/32", "bunny", None, None)
    );
    assert_eq!(
        at(&feed, "2400:52e0:1500::714:1"),
        want("2400:52e0:1500::714:1/128", "bunny", None, None)
    );
    // The official feed is two bare arrays, which the same parser reads without `lists`.
    let json = String::from_utf8(read("bunnycdn-edgeserverlist-combined.json")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let v6_array = serde_json::to_vec(&doc["ipv6"]).unwrap();
    let official = parse(&entry("bunny-edgeserverlist-ipv6.json"), &v6_array).unwrap();
    assert_eq!(v4_v6(&official), (0, 323));
}

#[test]
fn cachefly_cdn_list() {
    let feed = parsed("cachefly-cdn.txt");
    assert_eq!(v4_v6(&feed), (10, 0));
    assert_eq!(
        at(&feed, "205.234.175.10"),
        want("205.234.175.0/24", "cachefly", None, None)
    );
    assert_eq!(
        at(&feed, "82.80.224.190"),
        want("82.80.224.190/32", "cachefly", None, None)
    );
}

#[test]
fn cdn77_objects_and_date() {
    let feed = parsed("cdn77-public_lmax_prefixes.json");
    assert_eq!(v4_v6(&feed), (36, 0));
    assert_eq!(feed.date.as_deref(), Some("2026-07-27"));
    assert_eq!(
        at(&feed, "89.222.125.7"),
        want("89.222.125.0/26", "cdn77", None, None)
    );
}

#[test]
fn cloudfront_list_is_aws_edge() {
    let feed = parsed("cloudfront-ips.json");
    // 88 global + 49 regional-edge caches, all IPv4.
    assert_eq!(v4_v6(&feed), (137, 0));
    assert!(feed
        .records
        .iter()
        .all(|r| r.provider == "aws" && r.service.as_deref() == Some("CLOUDFRONT")));
    assert_eq!(
        at(&feed, "13.32.1.1"),
        want("13.32.0.0/15", "aws", None, Some("CLOUDFRONT"))
    );
    assert_eq!(
        at(&feed, "13.113.196.70"),
        want("13.113.196.64/26", "aws", None, Some("CLOUDFRONT"))
    );
    assert!(Rules::builtin()
        .unwrap()
        .is_edge_service("aws", "CLOUDFRONT"));
}

#[test]
fn gcore_json_and_its_conversion() {
    let json = parsed("gcore-public-ip-list.json");
    assert_eq!(v4_v6(&json), (606, 576));
    assert_eq!(
        at(&json, "92.223.116.233"),
        want("92.223.116.233/32", "gcore", None, None)
    );
    assert_eq!(
        at(&json, "2a03:90c0:11:2801::151"),
        want("2a03:90c0:11:2801::151/128", "gcore", None, None)
    );
    // 2026-08, IPv4 only: 984 lines, one of them a repeat.
    let text = parsed("gcore-public-ip-list-addresses.txt");
    assert_eq!(v4_v6(&text), (983, 0));
    assert_eq!(
        at(&text, "92.223.118.26"),
        want("92.223.118.26/32", "gcore", None, None)
    );
}

#[test]
fn goog_2026_08() {
    let feed = parsed("goog.json");
    assert_eq!(feed.date.as_deref(), Some("2026-08-21"));
    assert_eq!(feed.version.as_deref(), Some("1787299542583"));
    assert_eq!(v4_v6(&feed), (99, 15));
    assert_eq!(
        at(&feed, "8.8.8.8"),
        want("8.8.8.0/24", "google", None, None)
    );
    assert_eq!(
        at(&feed, "2c0f:fb50::1"),
        want("2c0f:fb50::/32", "google", None, None)
    );
}

#[test]
fn imperva_ranges() {
    let feed = parsed("imperva-ips.json");
    assert_eq!(v4_v6(&feed), (11, 1));
    assert_eq!(
        at(&feed, "45.60.12.1"),
        want("45.60.0.0/16", "imperva", None, None)
    );
    assert_eq!(
        at(&feed, "2a02:e980::1"),
        want("2a02:e980::/29", "imperva", None, None)
    );
}

#[test]
fn oracle_2026_07() {
    let feed = parsed("public_ip_ranges.json");
    assert_eq!(feed.date.as_deref(), Some("2026-07-27"));
    assert_eq!(v4_v6(&feed), (1_102, 0));
    let regions: BTreeSet<_> = feed
        .records
        .iter()
        .filter_map(|r| r.region.as_deref())
        .collect();
    assert_eq!(regions.len(), 56);
    assert_eq!(
        at(&feed, "129.80.1.1"),
        want("129.80.0.0/16", "oracle", Some("us-ashburn-1"), Some("OCI"))
    );
}

#[test]
fn quic_cloud_addresses() {
    let feed = parsed("quic-cloud-ips.txt");
    assert_eq!(v4_v6(&feed), (152, 0));
    assert_eq!(
        at(&feed, "102.221.36.98"),
        want("102.221.36.98/32", "quic-cloud", None, None)
    );
    // The official page joins the same addresses with <br /> tags; the parser reads both.
    let text = String::from_utf8(read("quic-cloud-ips.txt")).unwrap();
    let page = text.lines().collect::<Vec<_>>().join("<br />");
    let from_page = parse(&entry("quic-cloud-ips.txt"), page.as_bytes()).unwrap();
    assert_eq!(from_page.records, feed.records);
}

#[test]
fn vultr_json_geofeed() {
    let feed = parsed("vultr-geofeed.json");
    assert_eq!(feed.date.as_deref(), Some("2024-04-18"));
    assert_eq!(v4_v6(&feed), (459, 54));
    assert_eq!(
        at(&feed, "8.3.29.10"),
        want("8.3.29.0/24", "vultr", Some("US-CA Los Angeles"), None)
    );
    assert_eq!(
        at(&feed, "2602:ffb0::1"),
        want("2602:ffb0::/48", "vultr", Some("US-NJ Piscataway"), None)
    );
    assert!(feed.records.iter().all(|r| r.region.is_some()));
}

#[test]
fn zscaler_nodes_and_hubs() {
    let cenr = parsed("zscaler-cenr.json");
    // 935 entries, 673 unique ranges; the 168 svpnIPs are single addresses inside them.
    assert_eq!(v4_v6(&cenr), (569, 104));
    assert_eq!(
        at(&cenr, "147.161.156.1"),
        want("147.161.156.0/23", "zscaler", Some("Amsterdam II"), None)
    );
    // Listed under 27 European cities: the continent.
    assert_eq!(
        at(&cenr, "136.226.200.1"),
        want("136.226.200.0/23", "zscaler", Some("EMEA"), None)
    );
    assert_eq!(
        at(&cenr, "2a03:eec0:3900::1"),
        want("2a03:eec0:3900::/40", "zscaler", Some("Abu Dhabi II"), None)
    );
    let hubs = parsed("zscaler-hubs-cidr-recommended.json");
    assert_eq!(v4_v6(&hubs), (30, 50));
    assert_eq!(
        at(&hubs, "165.225.1.1"),
        want("165.225.0.0/17", "zscaler", None, None)
    );
    assert_eq!(
        at(&hubs, "2400:7aa0:131b::1"),
        want("2400:7aa0:131b::/48", "zscaler", None, None)
    );
}
