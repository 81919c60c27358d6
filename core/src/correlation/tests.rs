#![allow(clippy::unwrap_used)]

use super::*;
use crate::exposure::{Exposed, ExposureLayer, Path};
use crate::health::HealthState;

/// An entry of a site's own stack.
fn own(layer: ExposureLayer, provider: &str, region: Option<&str>, path: Path) -> Exposed {
    Exposed {
        layer,
        provider: provider.to_owned(),
        region: region.map(str::to_owned),
        own: true,
        paths: vec![path],
        via: Vec::new(),
        more: 0,
        third_party: false,
        redundant: false,
    }
}

/// A site hosted on `host` in `region`, its DNS at `dns`.
fn facts(site: &str, state: HealthState, host: &str, region: &str, dns: &str) -> SiteFacts {
    SiteFacts {
        site: site.to_owned(),
        state,
        exposure: vec![
            own(ExposureLayer::Cloud, host, None, Path::Hosting),
            own(ExposureLayer::Region, host, Some(region), Path::Hosting),
            own(ExposureLayer::Dns, dns, None, Path::Dns),
        ],
        blamed: Vec::new(),
    }
}

/// The same site behind a CDN.
fn with_edge(f: &mut SiteFacts, edge: &str) {
    f.exposure
        .push(own(ExposureLayer::Edge, edge, None, Path::Edge));
}

/// The same site with no known region.
fn without_region(f: &mut SiteFacts) {
    f.exposure.retain(|e| e.layer != ExposureLayer::Region);
}

fn names(id: &str) -> String {
    match id {
        "aws" => "AWS".to_owned(),
        "gcp" => "Google Cloud".to_owned(),
        "cloudflare" => "Cloudflare".to_owned(),
        other => other.to_owned(),
    }
}

/// 5 failing (4 on aws us-east-1, 1 on gcp) and 12 healthy, none on aws us-east-1.
fn regional_outage() -> Vec<SiteFacts> {
    use HealthState::*;
    let mut v = Vec::new();
    for i in 0..4 {
        let state = if i == 0 { Degraded } else { Down };
        v.push(facts(
            &format!("f{i}.example"),
            state,
            "aws",
            "us-east-1",
            "cloudflare",
        ));
    }
    v.push(facts(
        "f4.example",
        Down,
        "gcp",
        "us-central1",
        "cloudflare",
    ));
    for i in 0..6 {
        v.push(facts(
            &format!("h{i}.example"),
            Up,
            "aws",
            "eu-west-1",
            "cloudflare",
        ));
    }
    for i in 6..12 {
        v.push(facts(
            &format!("h{i}.example"),
            Up,
            "gcp",
            "europe-west1",
            "cloudflare",
        ));
    }
    // Unknown sites count nowhere, even on the failing region.
    for i in 0..5 {
        v.push(facts(
            &format!("u{i}.example"),
            Unknown,
            "aws",
            "us-east-1",
            "cloudflare",
        ));
    }
    v
}

#[test]
fn regional_failure_is_reported() {
    let out = correlate(&regional_outage(), 2, DEFAULT_ALPHA, &names);
    assert_eq!(out.len(), 1, "{out:#?}");
    let c = &out[0];
    assert_eq!(c.layer, ExposureLayer::Region);
    assert_eq!(c.key, "aws us-east-1");
    assert_eq!((c.failing_in_group, c.failing_total), (4, 5));
    assert_eq!((c.healthy_in_group, c.healthy_total), (0, 12));
    assert_eq!(
        c.message,
        "4 of 5 failing sites are on AWS us-east-1; 0 of 12 healthy sites are there"
    );
    assert_eq!(
        c.sites,
        ["f0.example", "f1.example", "f2.example", "f3.example"]
    );
    // C(4,4)·C(13,1) / C(17,5) = 13 / 6188.
    assert!((c.p_value - 13.0 / 6188.0).abs() < 1e-12, "{}", c.p_value);
    // AWS as a whole (4 of its 10 sites failing, against 5 of 17 overall) is weak evidence:
    // (C(10,4)·C(7,1) + C(10,5)) / C(17,5) = 1722 / 6188 ≈ 0.28.
    assert_eq!(correlate(&regional_outage(), 2, 0.05, &names).len(), 1);
    let all = correlate(&regional_outage(), 2, 1.0, &names);
    assert_eq!(all[0].key, "aws us-east-1");
    let cloud = all
        .iter()
        .find(|c| c.layer == ExposureLayer::Cloud && c.key == "aws")
        .unwrap();
    assert!((cloud.p_value - 1722.0 / 6188.0).abs() < 1e-12);
    // Everyone uses the same DNS: that explains nothing (p = 1, but still listed at alpha 1).
    let dns = all.iter().find(|c| c.layer == ExposureLayer::Dns).unwrap();
    assert!((dns.p_value - 1.0).abs() < 1e-12);
}

#[test]
fn one_failing_site_never_correlates() {
    use HealthState::*;
    let mut v = vec![facts("only.example", Down, "aws", "us-east-1", "route53")];
    for i in 0..30 {
        v.push(facts(
            &format!("h{i}.example"),
            Up,
            "gcp",
            "us-central1",
            "cloudflare",
        ));
    }
    assert!(correlate(&v, 1, 1.0, &names).is_empty());
    // And min_failing raises the bar further.
    let out = correlate(&regional_outage(), 5, 1.0, &names);
    assert!(out.iter().all(|c| c.failing_in_group >= 5));
}

#[test]
fn failures_spread_evenly_correlate_nowhere() {
    use HealthState::*;
    let mut v = Vec::new();
    for (p, region) in [
        ("aws", "us-east-1"),
        ("gcp", "us-central1"),
        ("azure", "eastus"),
    ] {
        for i in 0..2 {
            v.push(facts(&format!("f{i}.{p}.example"), Down, p, region, p));
        }
        for i in 0..4 {
            v.push(facts(&format!("h{i}.{p}.example"), Up, p, region, p));
        }
    }
    assert!(correlate(&v, 2, 0.05, &names).is_empty());
}

#[test]
fn edge_and_dns_layers_and_grammar() {
    use HealthState::*;
    let mut v = Vec::new();
    for i in 0..3 {
        let mut f = facts(
            &format!("f{i}.example"),
            Down,
            "aws",
            "us-east-1",
            "cloudflare",
        );
        with_edge(&mut f, "cloudflare");
        without_region(&mut f);
        v.push(f);
    }
    let mut h = facts("h.example", Up, "aws", "us-east-1", "route53");
    without_region(&mut h);
    v.push(h);
    let out = correlate(&v, 2, 0.5, &names);
    let edge = out.iter().find(|c| c.layer == ExposureLayer::Edge).unwrap();
    assert_eq!(
        edge.message,
        "3 of 3 failing sites are on Cloudflare; 0 of 1 healthy site is there"
    );
    let dns = out.iter().find(|c| c.layer == ExposureLayer::Dns).unwrap();
    assert!(dns.message.contains("on Cloudflare DNS"), "{}", dns.message);
    // All sites on AWS: the cloud explains nothing.
    assert!(out.iter().all(|c| c.layer != ExposureLayer::Cloud));
    // p-values ascending.
    assert!(out.windows(2).all(|w| w[0].p_value <= w[1].p_value));
}

#[test]
fn hypergeometric_tail_is_sane_at_scale() {
    // Small exact cases.
    assert!((hypergeometric_tail(17, 4, 5, 4) - 13.0 / 6188.0).abs() < 1e-12);
    assert_eq!(hypergeometric_tail(10, 3, 4, 0), 1.0);
    assert_eq!(hypergeometric_tail(10, 3, 4, 4), 0.0);
    // Forced: 9 draws from 10 with 3 marked must hit at least 2.
    assert_eq!(hypergeometric_tail(10, 3, 9, 2), 1.0);
    assert_eq!(hypergeometric_tail(5, 9, 2, 1), 1.0);
    // Sum over the whole support is 1: P(X ≥ k) − P(X ≥ k + 1) are the point masses.
    let (n, k, d) = (40, 12, 15);
    let mut total = 0.0;
    for x in 0..=12 {
        total += hypergeometric_tail(n, k, d, x) - hypergeometric_tail(n, k, d, x + 1);
    }
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    // 1,000 sites: finite, tiny for a strong concentration, moderate for the expected count.
    let strong = hypergeometric_tail(1_000, 50, 40, 30);
    assert!(strong > 0.0 && strong < 1e-20, "{strong}");
    let expected = hypergeometric_tail(1_000, 100, 100, 10);
    assert!(expected > 0.3 && expected < 0.7, "{expected}");
    let huge = hypergeometric_tail(100_000, 5_000, 3_000, 150);
    assert!(huge.is_finite() && (0.0..=1.0).contains(&huge));
    // The Lanczos branch agrees with summation.
    let sum: f64 = (2..=40u32).map(|i| f64::from(i).ln()).sum();
    assert!((ln_factorial(40) - sum).abs() < 1e-9);
}

#[test]
fn correlation_over_a_thousand_sites() {
    use HealthState::*;
    let mut v = Vec::new();
    for i in 0..1_000 {
        let (host, region) = if i % 10 == 0 {
            ("aws", "us-east-1")
        } else {
            ("gcp", "us-central1")
        };
        let failing = host == "aws" && i % 20 == 0;
        v.push(facts(
            &format!("s{i}.example"),
            if failing { Down } else { Up },
            host,
            region,
            "x",
        ));
    }
    let out = correlate(&v, 3, DEFAULT_ALPHA, &names);
    assert!(!out.is_empty());
    assert!(out
        .iter()
        .all(|c| c.p_value.is_finite() && c.p_value < 1e-10));
    assert_eq!(out[0].failing_in_group, 50);
}
