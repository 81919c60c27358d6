//! The overlap rules of ARCHITECTURE.md, on the real fixtures (`shared/fixtures/feeds`, the
//! 2026-08 `goog.json` of `feeds-extra`, and the fixture's offline IP→AS table):
//! (a) GitHub's rented lists are overlays on Azure, never its service;
//! (b) Google's space outside cloud.json is Google Cloud where its origin AS is Google Cloud's;
//! (c) GitHub Pages is one provider whether seen by address or by a github.io CNAME;
//! (d) an address outside every feed takes the provider of its origin AS.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::OnceLock;

use onebasket::classify::{Classifier, IpBasis, IpVerdict};
use onebasket::dns::cymru::CymruOrigin;
use onebasket::evidence::HostEvidence;
use onebasket::feeds::{AsnTable, FeedSet, FeedSpec};
use onebasket::knowledge;
use onebasket::rules::Rules;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures");

fn fixture(path: &str) -> Vec<u8> {
    let p = PathBuf::from(FIXTURES).join(path);
    std::fs::read(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// Every built-in feed whose file is in `feeds/`, with `goog` read from `goog_path`.
fn classifier(goog_path: &str) -> Classifier {
    let specs: Vec<FeedSpec> = knowledge::all_feed_specs(&Rules::builtin().unwrap());
    let mut set = FeedSet::new();
    for spec in &specs {
        let path = if spec.file == "goog.json" {
            goog_path.to_owned()
        } else {
            format!("feeds/{}", spec.file)
        };
        if PathBuf::from(FIXTURES).join(&path).is_file() {
            set.apply(spec, &fixture(&path)).unwrap();
        }
    }
    knowledge::classifier(knowledge::build_table(&set, &specs)).unwrap()
}

fn fixtures_2024() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(|| classifier("feeds/goog.json"))
}

fn with_goog_2026() -> &'static Classifier {
    static C: OnceLock<Classifier> = OnceLock::new();
    C.get_or_init(|| classifier("feeds-extra/goog.json"))
}

/// The fixture's IP→AS table (RouteViews, the RIRs and DB-IP; see feeds/SOURCES.md).
fn asn_table() -> &'static AsnTable {
    static T: OnceLock<AsnTable> = OnceLock::new();
    T.get_or_init(|| {
        let mut table = AsnTable::new();
        for file in ["asn-ipv4.csv.gz", "asn-ipv6.csv.gz"] {
            let mut csv = Vec::new();
            flate2::read::GzDecoder::new(&fixture(&format!("feeds/{file}"))[..])
                .read_to_end(&mut csv)
                .unwrap();
            table.add_csv(file, &csv).unwrap();
        }
        table
    })
}

fn with_as(c: &Classifier, addr: &str) -> IpVerdict {
    let ip: IpAddr = addr.parse().unwrap();
    let asn = asn_table().lookup(ip).map(|e| (e.asn, e.holder));
    c.classify_ip_with_asn(ip, asn)
}

fn ip(c: &Classifier, addr: &str) -> IpVerdict {
    c.classify_ip(addr.parse().unwrap())
}

fn observe(addresses: &[&str], cname_chain: &[&str], origin: Option<u32>) -> HostEvidence {
    HostEvidence {
        name: "www.example.test".into(),
        addresses: addresses.iter().map(|a| a.parse().unwrap()).collect(),
        cname_chain: cname_chain.iter().map(|c| (*c).to_owned()).collect(),
        origin: origin.map(|asn| {
            Box::new(CymruOrigin {
                asns: vec![asn],
                prefix: "0.0.0.0/0".parse().unwrap(),
                country: String::new(),
                registry: String::new(),
                allocated: String::new(),
            })
        }),
        ..HostEvidence::default()
    }
}

const ACTIONS_NOTE: &str = "GitHub actions may run here (Microsoft Azure space GitHub rents)";

#[test]
fn a_github_actions_overlay_never_becomes_azures_service() {
    let c = fixtures_2024();
    // 4.156.0.0/15 is both AzureCloud.eastus and a GitHub `actions` range: an ordinary Azure
    // VM there is Azure eastus (no narrower tag), with the overlay beside it.
    let v = ip(c, "4.156.0.10");
    assert_eq!(
        (
            v.provider.as_deref(),
            v.region.as_deref(),
            v.service.as_deref()
        ),
        (Some("azure"), Some("eastus"), None)
    );
    assert_eq!(v.prefix.as_deref(), Some("4.156.0.0/15"));
    let overlay = v.also.iter().find(|m| m.note.is_some()).unwrap();
    assert_eq!(overlay.note.as_deref(), Some(ACTIONS_NOTE));
    assert_eq!(overlay.service.as_deref(), Some("github-actions"));
    // An actions /23 inside Azure's eastus /22: the answer is the Azure range, not the overlay.
    let v = ip(c, "20.20.108.5");
    assert_eq!(
        (
            v.provider.as_deref(),
            v.region.as_deref(),
            v.prefix.as_deref()
        ),
        (Some("azure"), Some("eastus"), Some("20.20.108.0/22"))
    );
    assert!(v
        .also
        .iter()
        .any(|m| m.prefix == "20.20.108.0/23" && m.note.as_deref() == Some(ACTIONS_NOTE)));
    // Azure's own service shows where it has one; IPv6 alike.
    let v = ip(c, "20.119.1.1");
    assert_eq!(
        (v.region.as_deref(), v.service.as_deref()),
        (Some("eastus"), Some("AppService"))
    );
    let v = ip(c, "2603:1030:20c::1");
    assert_eq!(
        (v.provider.as_deref(), v.region.as_deref()),
        (Some("azure"), Some("eastus"))
    );
    assert!(v.also.iter().any(|m| m.note.is_some()));

    // The lookup path: hosting is Azure eastus, the overlay is evidence, and the one-line
    // stack the popup shows says nothing of GitHub.
    let p = c.classify(&observe(&["4.156.0.10"], &[], None));
    assert_eq!(p.hosting.provider.as_deref(), Some("azure"));
    assert_eq!(p.hosting.region.as_deref(), Some("eastus"));
    assert_eq!(p.hosting.service, None);
    assert!(p.evidence.iter().any(|e| e.text.contains(ACTIONS_NOTE)));
    assert_eq!(c.stack_line(&p), "Microsoft Azure eastus");
}

#[test]
fn no_rented_range_anywhere_reads_as_a_github_service() {
    // Every range of GitHub's rented lists (actions, codespaces), at its first and last address.
    let c = fixtures_2024();
    let meta: serde_json::Value = serde_json::from_slice(&fixture("feeds/meta.json")).unwrap();
    let (mut checked, mut with_region) = (0, 0);
    for list in ["actions", "codespaces"] {
        for cidr in meta[list].as_array().unwrap() {
            let net: ipnet::IpNet = cidr.as_str().unwrap().parse().unwrap();
            for addr in [net.network(), net.broadcast()] {
                let v = c.classify_ip(addr);
                // Azure's, or GitHub's own where GitHub also lists the range as its own
                // (`actions_macos`): never the overlay's service.
                assert!(
                    matches!(v.provider.as_deref(), Some("azure" | "github")),
                    "{addr}: {:?}",
                    v.provider
                );
                assert!(
                    !v.service.as_deref().unwrap_or("").contains("github-"),
                    "{addr}: {:?}",
                    v.service
                );
                assert!(v.also.iter().any(|m| m.note.is_some()), "{addr}");
                checked += 1;
                with_region += usize::from(v.region.is_some());
            }
        }
    }
    println!("{checked} addresses of rented ranges; {with_region} with an Azure region");
    // meta.json: 5,314 `actions` and 185 `codespaces` CIDRs.
    assert_eq!(checked, 2 * (5_314 + 185));
    assert!(with_region * 10 > checked * 9, "{with_region} of {checked}");
}

/// Counts the first and last address of every `google` (goog − cloud) IPv4 range by what it
/// becomes with the AS table: (gcp by AS, google, of which AS15169).
fn google_split(c: &Classifier) -> (usize, usize, usize) {
    let mut out = (0, 0, 0);
    for r in c.table().records().filter(|r| r.provider == "google") {
        if !r.prefix.addr().is_ipv4() {
            continue;
        }
        for addr in [r.prefix.network(), r.prefix.broadcast()] {
            let v = with_as(c, &addr.to_string());
            match v.provider.as_deref() {
                Some("gcp") => {
                    assert_eq!(v.asn, Some(396_982));
                    assert_eq!(v.basis, Some(IpBasis::RangeAndAsn));
                    out.0 += 1;
                }
                Some("google") => {
                    assert_ne!(v.asn, Some(396_982));
                    assert_eq!(v.basis, Some(IpBasis::Range));
                    out.1 += 1;
                    out.2 += usize::from(v.asn == Some(15_169));
                }
                other => panic!("{addr}: {other:?}"),
            }
        }
    }
    out
}

#[test]
fn google_space_originated_by_google_cloud_is_google_cloud() {
    let c = fixtures_2024();
    // Without an AS the range's own answer stands: Google.
    let v = ip(c, "34.3.8.1");
    assert_eq!(
        (v.provider.as_deref(), v.basis),
        (Some("google"), Some(IpBasis::Range))
    );
    // 8.8.8.8 is AS15169, Google's own: still Google.
    let v = with_as(c, "8.8.8.8");
    assert_eq!(
        (v.provider.as_deref(), v.asn, v.asn_holder.as_deref()),
        (Some("google"), Some(15_169), Some("Google LLC"))
    );
    // 34.3.8.0/21 is goog.json space cloud.json does not list, originated by AS396982.
    let v = with_as(c, "34.3.8.1");
    assert_eq!(
        (v.provider.as_deref(), v.asn, v.basis),
        (Some("gcp"), Some(396_982), Some(IpBasis::RangeAndAsn))
    );
    assert_eq!(v.prefix.as_deref(), Some("34.3.8.0/21"));
    // goog.json of 2024-04 minus cloud.json of 2026-05: 231 IPv4 ranges, 462 ends; 338 of
    // them are originated by AS396982 (by address: 1.27 M of the 2.64 M, issue 15's figure).
    // Cross-checked with Python's ipaddress over the same files.
    assert_eq!(google_split(c), (338, 124, 107));
    // goog.json of 2026-08 (feeds-extra): 253 ranges; 3.82 M of 5.31 M addresses AS396982.
    assert_eq!(google_split(with_goog_2026()), (360, 146, 123));

    // The lookup path does the same with the Team Cymru origin.
    let p = c.classify(&observe(&["34.3.8.1"], &[], Some(396_982)));
    assert_eq!(p.hosting.provider.as_deref(), Some("gcp"));
    assert_eq!(p.cloud.as_deref(), Some("gcp"));
    assert!(p.evidence.iter().any(|e| e
        .text
        .contains("belongs to Google Cloud, inside Google's range")));
    let p = c.classify(&observe(&["8.8.8.8"], &[], Some(15_169)));
    assert_eq!(p.hosting.provider.as_deref(), Some("google"));
}

#[test]
fn github_pages_is_one_answer_by_address_or_by_cname() {
    let c = fixtures_2024();
    let v = ip(c, "185.199.108.153");
    assert_eq!(
        (v.provider.as_deref(), v.service.as_deref()),
        (Some("github-pages"), Some("pages"))
    );
    let v = ip(c, "2606:50c0:8000::153");
    assert_eq!(v.provider.as_deref(), Some("github-pages"));
    // A github.io CNAME to a Pages address: hosting GitHub Pages, on Fastly.
    let by_both = c.classify(&observe(&["185.199.108.153"], &["octocat.github.io"], None));
    // The same CNAME answered from one of Fastly's own ranges: still GitHub Pages.
    let on_fastly = c.classify(&observe(&["151.101.1.195"], &["octocat.github.io"], None));
    for p in [&by_both, &on_fastly] {
        assert_eq!(p.hosting.provider.as_deref(), Some("github-pages"));
        assert_eq!(p.hosting.platform, None);
        assert_eq!(p.cloud.as_deref(), Some("fastly"));
    }
    assert_eq!(on_fastly.edge.provider.as_deref(), Some("fastly"));
    assert_eq!(c.stack_line(&by_both), "GitHub Pages → Fastly");
}

#[test]
fn addresses_outside_every_feed_take_their_as_provider() {
    let c = fixtures_2024();
    for (addr, provider, asn) in [
        ("1.44.96.10", "aws", 16_509),
        ("2.28.0.5", "hetzner", 24_940),
        ("2620:dd:a000::1", "hetzner", 24_940),
        ("2.26.132.5", "ovh", 16_276),
        ("51.15.0.1", "scaleway", 12_876),
        ("45.223.42.1", "imperva", 62_571),
        ("23.1.232.1", "akamai", 35_994),
        ("8.34.34.1", "zscaler", 22_616),
        ("37.19.192.1", "cdn77", 60_068),
        ("2.56.220.1", "gcore", 199_524),
        ("45.88.132.1", "cachefly", 30_081),
        ("110.232.176.1", "edgio", 15_133),
        ("89.255.248.1", "leaseweb", 60_626),
    ] {
        assert_eq!(ip(c, addr).provider, None, "{addr} is in no fixture feed");
        let v = with_as(c, addr);
        assert_eq!(
            (v.provider.as_deref(), v.asn, v.basis, v.prefix.as_deref()),
            (Some(provider), Some(asn), Some(IpBasis::Asn), None),
            "{addr}"
        );
    }
    // An AS no provider claims, and a private address, stay unknown.
    let v = with_as(c, "1.0.4.1");
    assert_eq!((v.provider, v.asn, v.basis), (None, Some(38_803), None));
    assert_eq!(with_as(c, "192.168.1.1").provider, None);
    // A range answer is never overridden by an unrelated AS (Cloudflare's range, any AS).
    let v = c.classify_ip_with_asn("104.16.1.1".parse().unwrap(), Some((16_509, "x")));
    assert_eq!(
        (v.provider.as_deref(), v.basis),
        (Some("cloudflare"), Some(IpBasis::Range))
    );
}
