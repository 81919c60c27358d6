#![allow(clippy::unwrap_used)]

use super::*;
use crate::correlation::correlate;
use crate::exposure::MAX_VIA;
use crate::exposure::{exposure, Exposed, ExposureLayer, Through};
use crate::health::HealthState;
use crate::reach::{what_if, Target};
use crate::site_record::{stored_classes, SiteRecord};
use crate::summary::SiteSummary;

fn rules() -> crate::rules::Rules {
    crate::rules::Rules::builtin().unwrap()
}

/// What the record's own (stored) classes say.
fn cls(r: &SiteRecord) -> Classes {
    stored_classes([r])
}

/// A host seen only behind a CDN (its origin unknown).
fn edge_only(edge: &str) -> HostClass {
    HostClass {
        edge: Some(edge.to_owned()),
        resolved: true,
        ..HostClass::default()
    }
}

fn class(cloud: &str, hosting: &str, region: Option<&str>, edge: Option<&str>) -> HostClass {
    HostClass {
        cloud: Some(cloud.to_owned()),
        hosting: Some(hosting.to_owned()),
        region: region.map(str::to_owned),
        edge: edge.map(str::to_owned),
        resolved: true,
        at: 1,
        ..HostClass::default()
    }
}

/// A site on Cloudflare with a login script on AWS us-west-2 (third party), an API of its own on
/// AWS us-east-1, and images from Google Cloud.
fn shop() -> SiteRecord {
    let mut r = SiteRecord::new("shop.example", "www.shop.example", 1);
    let ok = DepOutcome::Status(200);
    r.depend(
        "auth.idp.example",
        "idp.example",
        true,
        "script",
        None,
        ok,
        10,
    );
    r.depend(
        "api.shop.example",
        "shop.example",
        false,
        "xmlhttprequest",
        None,
        ok,
        11,
    );
    r.depend(
        "img.pics.example",
        "pics.example",
        true,
        "image",
        None,
        ok,
        12,
    );
    r.deps.get_mut("auth.idp.example").unwrap().class =
        Some(Box::new(class("aws", "aws", Some("us-west-2"), None)));
    r.deps.get_mut("api.shop.example").unwrap().class =
        Some(Box::new(class("aws", "aws", Some("us-east-1"), None)));
    r.deps.get_mut("img.pics.example").unwrap().class =
        Some(Box::new(class("gcp", "gcp", Some("europe-west1"), None)));
    r
}

#[test]
fn critical_types() {
    for t in [
        "main_frame",
        "sub_frame",
        "script",
        "xmlhttprequest",
        "stylesheet",
        "websocket",
    ] {
        assert!(is_critical_type(t), "{t}");
    }
    for t in [
        "image",
        "imageset",
        "font",
        "media",
        "ping",
        "beacon",
        "csp_report",
        "other",
        "",
    ] {
        assert!(!is_critical_type(t), "{t}");
    }
}

#[test]
fn depend_records_hosts_types_and_outcomes_only() {
    let mut r = SiteRecord::new("shop.example", "www.shop.example", 1);
    let private = "10.0.0.7".parse().ok();
    r.depend(
        "cdn.x.example",
        "x.example",
        true,
        "image",
        private,
        DepOutcome::Status(200),
        5,
    );
    r.depend(
        "cdn.x.example",
        "x.example",
        true,
        "font",
        None,
        DepOutcome::Status(200),
        6,
    );
    r.depend(
        "cdn.x.example",
        "x.example",
        true,
        "image",
        None,
        DepOutcome::Status(503),
        7,
    );
    let d = r.deps.get("cdn.x.example").unwrap();
    assert_eq!(d.types.iter().collect::<Vec<_>>(), ["font", "image"]);
    assert!(!d.critical);
    assert_eq!(d.requests, 3);
    assert_eq!(d.last_ip, None, "a private address is never kept");
    assert!(d.failing());
    assert_eq!(d.last_error.as_deref(), Some("HTTP 503"));
    r.depend(
        "cdn.x.example",
        "x.example",
        true,
        "script",
        None,
        DepOutcome::Status(200),
        8,
    );
    let d = r.deps.get("cdn.x.example").unwrap();
    assert!(d.critical, "one script makes it critical");
    assert!(!d.failing());
    // The main host is the site itself, not a dependency.
    r.depend(
        "www.shop.example",
        "shop.example",
        false,
        "script",
        None,
        DepOutcome::Unknown,
        9,
    );
    assert!(!r.deps.contains_key("www.shop.example"));
    // Overlong error text is cut.
    let long = "x".repeat(10_000);
    r.depend(
        "a.example",
        "a.example",
        true,
        "script",
        None,
        DepOutcome::Failed(&long),
        9,
    );
    assert!(
        r.deps
            .get("a.example")
            .unwrap()
            .last_error
            .as_ref()
            .unwrap()
            .len()
            <= 120
    );
    // The serialized record holds hostnames, never a URL.
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("://"));
}

#[test]
fn the_set_is_bounded_and_evicts_the_least_used_non_critical_first() {
    let mut r = SiteRecord::new("big.example", "www.big.example", 1);
    r.depend(
        "keep.example",
        "keep.example",
        true,
        "script",
        None,
        DepOutcome::Unknown,
        2,
    );
    for i in 0..MAX_DEPS + 50 {
        let host = format!("h{i}.example");
        r.depend(
            &host,
            &host,
            true,
            "image",
            None,
            DepOutcome::Unknown,
            10 + i as u64,
        );
        r.depend(
            &host,
            &host,
            true,
            "image",
            None,
            DepOutcome::Unknown,
            10 + i as u64,
        );
    }
    assert_eq!(r.deps.len(), MAX_DEPS);
    assert!(
        r.deps.contains_key("keep.example"),
        "the critical one stays"
    );
    assert!(r.deps.contains_key(&format!("h{}.example", MAX_DEPS + 49)));
    assert!(
        !r.deps.contains_key("h0.example"),
        "the oldest image host went first"
    );
}

#[test]
fn exposure_keeps_critical_and_non_critical_apart() {
    let e = exposure(&shop(), &cls(&shop()), &rules());
    let keys: Vec<(ExposureLayer, String)> =
        e.critical.iter().map(|x| (x.layer, x.key())).collect();
    assert_eq!(
        keys,
        [
            (ExposureLayer::Cloud, "aws".to_owned()),
            (ExposureLayer::Region, "aws us-east-1".to_owned()),
            (ExposureLayer::Region, "aws us-west-2".to_owned()),
        ]
    );
    let aws = &e.critical[0];
    assert!(!aws.own, "no profile for the main host yet");
    let via: Vec<(&str, bool, &str)> = aws
        .via
        .iter()
        .map(|v| (v.host.as_str(), v.third_party, v.role.as_str()))
        .collect();
    assert_eq!(
        via,
        [
            ("api.shop.example", false, "API"),
            ("auth.idp.example", true, "login")
        ]
    );
    assert!(aws.third_party);
    let non: Vec<String> = e.non_critical.iter().map(Exposed::key).collect();
    assert_eq!(non, ["gcp", "gcp europe-west1"]);
    // A platform on a cloud is an entry of its own, so "what if Vercel fails" finds the host.
    let mut r = shop();
    r.deps.get_mut("auth.idp.example").unwrap().class =
        Some(Box::new(class("aws", "vercel", None, None)));
    let e = exposure(&r, &cls(&r), &rules());
    assert!(e
        .critical
        .iter()
        .any(|x| x.layer == ExposureLayer::Hosting && x.provider == "vercel"));
    assert!(!e
        .critical
        .iter()
        .any(|x| x.layer == ExposureLayer::Hosting && x.provider == "aws"));
    // A provider both critical and not is listed as critical only.
    let mut r = shop();
    r.depend(
        "img.pics.example",
        "pics.example",
        true,
        "script",
        None,
        DepOutcome::Unknown,
        20,
    );
    let e = exposure(&r, &cls(&r), &rules());
    assert!(e.critical.iter().any(|x| x.key() == "gcp"));
    assert!(e.non_critical.is_empty());
}

/// The site's login provider (`auth.idp.example`, a critical third party) refuses connections
/// at 100 while the site's own hosts answer: the site is degraded.
fn login_fails(r: &mut SiteRecord) {
    r.status = HealthState::Degraded;
    r.depend(
        "auth.idp.example",
        "idp.example",
        true,
        "script",
        None,
        DepOutcome::Failed("net::ERR_CONNECTION_REFUSED"),
        100,
    );
    r.fail("auth.idp.example", "net::ERR_CONNECTION_REFUSED", 100);
}

#[test]
fn blame_goes_to_a_failing_critical_third_party_only_when_own_hosts_answer() {
    let mut r = shop();
    login_fails(&mut r);
    let b = r.blame(&cls(&r), 200, 600_000).unwrap();
    assert_eq!(b.host, "auth.idp.example");
    assert_eq!(b.role, "login");
    assert_eq!(b.class.unwrap().region.as_deref(), Some("us-west-2"));
    // Out of the window: no longer blamed.
    assert_eq!(r.blame(&cls(&r), 100 + 600_000, 600_000), None);
    // A failing image host is never blamed.
    let mut r2 = shop();
    r2.status = HealthState::Degraded;
    r2.depend(
        "img.pics.example",
        "pics.example",
        true,
        "image",
        None,
        DepOutcome::Status(502),
        100,
    );
    assert_eq!(r2.blame(&cls(&r2), 200, 600_000), None);
    // The site's own host failing too: its own problem.
    r.fail("www.shop.example", "HTTP 503", 150);
    assert_eq!(r.blame(&cls(&r), 200, 600_000), None);
    // A healthy site blames nobody.
    let mut r3 = shop();
    r3.status = HealthState::Up;
    assert_eq!(r3.blame(&cls(&r3), 200, 600_000), None);
}

#[test]
fn what_if_counts_sites_through_third_parties() {
    let shop = shop();
    let mut own = SiteRecord::new("own.example", "www.own.example", 1);
    own.deps.clear();
    let mut c = cls(&shop);
    c.insert(
        "www.own.example".into(),
        class("aws", "aws", Some("us-west-2"), None),
    );
    let rows = [
        SiteSummary::of(&shop, &c, &rules(), 200, 600_000, MAX_VIA),
        SiteSummary::of(&own, &c, &rules(), 200, 600_000, MAX_VIA),
    ];
    let hit = what_if(&rows, &Target::Region("aws".into(), "us-west-2".into()));
    assert_eq!(hit.hits.len(), 2);
    assert_eq!(hit.hits[0].1.through, Through::ThirdParty);
    assert_eq!(hit.hits[0].1.host, Some("auth.idp.example"));
    assert!(matches!(hit.hits[1].1.through, Through::Main(_)));
    // Images do not count: Google Cloud takes nothing down.
    assert!(what_if(&rows, &Target::Provider("gcp".into()))
        .hits
        .is_empty());
}

#[test]
fn correlation_attributes_failures_to_the_third_party() {
    // Three shops fail because their login provider (AWS us-west-2) does; their own hosts
    // (Cloudflare) answer. Ten healthy sites are on Cloudflare, none uses that provider.
    let mut facts = Vec::new();
    for i in 0..3 {
        let mut r = shop();
        r.site = format!("shop{i}.example");
        login_fails(&mut r);
        let mut c = cls(&r);
        c.insert(r.main_host.clone(), edge_only("cloudflare"));
        let blamed = r
            .blamed(200, 600_000)
            .into_iter()
            .map(str::to_owned)
            .collect();
        facts.push(SiteSummary::of(&r, &c, &rules(), 200, 600_000, MAX_VIA).facts(blamed));
    }
    for i in 0..10 {
        let mut r = SiteRecord::new(&format!("ok{i}.example"), &format!("www.ok{i}.example"), 1);
        r.status = HealthState::Up;
        let mut c = Classes::new();
        c.insert(r.main_host.clone(), edge_only("cloudflare"));
        facts.push(SiteSummary::of(&r, &c, &rules(), 200, 600_000, MAX_VIA).facts(Vec::new()));
    }
    let names = |id: &str| id.to_uppercase();
    let c = correlate(&facts, 2, 0.01, &names);
    let keys: Vec<&str> = c.iter().map(|x| x.key.as_str()).collect();
    assert_eq!(keys, ["aws", "aws us-west-2"], "{c:#?}");
    let top = &c[1];
    assert_eq!(top.failing_in_group, 3);
    assert_eq!(top.through_third_party, 3);
    assert!(
        top.message.contains("(all through a third party)"),
        "{}",
        top.message
    );
    assert!(!c.iter().any(|x| x.key == "cloudflare"), "{c:#?}");
}

#[test]
fn stored_deps_in_any_order_read_back_sorted_and_exactly_sized() {
    // Storage keeps object keys in insertion order, which is not hostname order; a key given
    // twice keeps its last value, as the `BTreeMap` this replaced did.
    let json = r#"{"site":"a.example","mainHost":"www.a.example","firstSeen":1,"lastSeen":2,
        "visits":1,"hosts":{},"failures":[],"deps":{
        "z.cdn.example":{"site":"cdn.example","types":["script","image"]},
        "b.cdn.example":{"site":"cdn.example","requests":1},
        "m.cdn.example":{"site":"cdn.example"},
        "b.cdn.example":{"site":"cdn.example","requests":2}}}"#;
    let r: SiteRecord = serde_json::from_str(json).unwrap();
    let hosts: Vec<&str> = r.deps.keys().map(String::as_str).collect();
    assert_eq!(hosts, ["b.cdn.example", "m.cdn.example", "z.cdn.example"]);
    assert_eq!(r.deps.get("b.cdn.example").unwrap().requests, 2);
    let written = serde_json::to_value(&r).unwrap();
    let keys: Vec<&String> = written["deps"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["b.cdn.example", "m.cdn.example", "z.cdn.example"]);
    assert_eq!(
        written["deps"]["z.cdn.example"]["types"],
        serde_json::json!(["image", "script"])
    );
    let again: SiteRecord = serde_json::from_value(written).unwrap();
    assert_eq!(again, r);
    // Read without a size, the vector grew to 4 by doubling; kept, that is 1,000 sites' spare.
    assert_eq!(r.deps.into_tuple_vec().capacity(), 3);
}
