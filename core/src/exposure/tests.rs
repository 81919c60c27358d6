#![allow(clippy::unwrap_used)]

use super::*;
use crate::deps::{Classes, DepOutcome};
use crate::exposure::MAX_VIA;
use crate::health::HealthState;
use crate::reach::{group, headline, what_if, GroupBy, Target};
use crate::summary::SiteSummary;

fn rules() -> Rules {
    Rules::builtin().unwrap()
}

/// A host on `hosting` (its own cloud unless `cloud` says otherwise), DNS by `dns`.
fn class(hosting: Option<&str>, region: Option<&str>, dns: &[&str]) -> HostClass {
    HostClass {
        cloud: hosting.map(str::to_owned),
        hosting: hosting.map(str::to_owned),
        region: region.map(str::to_owned),
        dns: dns.first().map(|d| (*d).to_owned()),
        dns_also: dns.iter().skip(1).map(|d| (*d).to_owned()).collect(),
        resolved: true,
        ..HostClass::default()
    }
}

fn site(name: &str) -> SiteRecord {
    SiteRecord::new(name, &format!("www.{name}"), 1)
}

fn keys(list: &[Exposed]) -> Vec<String> {
    list.iter()
        .map(|e| format!("{:?}:{}:{:?}", e.layer, e.key(), e.paths))
        .collect()
}

#[test]
fn route_53_dns_is_a_dependency_on_aws() {
    let r = site("shop.example");
    let mut c = Classes::new();
    c.insert(
        r.main_host.clone(),
        class(Some("gcp"), Some("europe-west1"), &["aws"]),
    );
    let e = exposure(&r, &c, &rules());
    assert_eq!(
        keys(&e.critical),
        [
            "Cloud:aws:[Dns]",
            "Cloud:gcp:[Hosting]",
            "Region:gcp europe-west1:[Hosting]",
            "Dns:aws:[Dns]"
        ]
    );
    assert!(e.non_critical.is_empty());
}

#[test]
fn redundant_dns_is_not_critical() {
    let rules = rules();
    let r = site("shop.example");
    // Route 53 and NS1 both serve the zone: either can fail.
    let mut c = Classes::new();
    c.insert(
        r.main_host.clone(),
        class(Some("gcp"), None, &["aws", "ns1"]),
    );
    let e = exposure(&r, &c, &rules);
    assert_eq!(keys(&e.critical), ["Cloud:gcp:[Hosting]"]);
    assert_eq!(
        keys(&e.non_critical),
        ["Cloud:aws:[Dns]", "Dns:aws:[Dns]", "Dns:ns1:[Dns]"]
    );
    assert!(e.non_critical.iter().all(|x| x.redundant));
    // Route 53 beside the site's own name servers: redundant too.
    let mut own = class(Some("gcp"), None, &["aws"]);
    own.own_dns = true;
    c.insert(r.main_host.clone(), own);
    let e = exposure(&r, &c, &rules);
    assert_eq!(keys(&e.critical), ["Cloud:gcp:[Hosting]"]);
    // Only its own name servers: no DNS provider at all.
    let mut own_only = class(Some("gcp"), None, &[]);
    own_only.own_dns = true;
    c.insert(r.main_host.clone(), own_only);
    let e = exposure(&r, &c, &rules);
    assert_eq!(keys(&e.critical), ["Cloud:gcp:[Hosting]"]);
    assert!(e.non_critical.is_empty());
}

#[test]
fn behind_a_cdn_with_no_origin_evidence_the_site_counts_under_the_cdn() {
    let r = site("blog.example");
    let mut c = Classes::new();
    c.insert(
        r.main_host.clone(),
        HostClass {
            edge: Some("cloudflare".into()),
            dns: Some("cloudflare".into()),
            resolved: true,
            ..HostClass::default()
        },
    );
    let e = exposure(&r, &c, &rules());
    assert_eq!(
        keys(&e.critical),
        [
            "Cloud:cloudflare:[Edge]",
            "Edge:cloudflare:[Edge]",
            "Dns:cloudflare:[Dns]"
        ]
    );
    let s = SiteSummary::of(&r, &c, &rules(), 1, 1, MAX_VIA);
    assert!(s.class.origin_unknown());
    assert_eq!(s.class.cloud, None, "never a cloud it may not use");
    // Spread over two CDNs: neither alone takes it down.
    c.get_mut(&r.main_host).unwrap().edge_also = vec!["fastly".into()];
    let e = exposure(&r, &c, &rules());
    assert_eq!(keys(&e.critical), ["Dns:cloudflare:[Dns]"]);
}

#[test]
fn a_third_party_script_on_aws_is_a_critical_dependency_an_image_is_not() {
    let mut r = site("shop.example");
    let ok = DepOutcome::Status(200);
    r.depend(
        "auth.idp.example",
        "idp.example",
        true,
        "script",
        None,
        ok,
        2,
    );
    r.depend(
        "img.pics.example",
        "pics.example",
        true,
        "image",
        None,
        ok,
        2,
    );
    let mut c = Classes::new();
    c.insert(r.main_host.clone(), class(Some("gcp"), None, &["gcp"]));
    c.insert(
        "auth.idp.example".into(),
        class(Some("aws"), Some("us-west-2"), &[]),
    );
    c.insert("img.pics.example".into(), class(Some("fastly"), None, &[]));
    let e = exposure(&r, &c, &rules());
    let aws = e.critical.iter().find(|x| x.key() == "aws").unwrap();
    assert!(!aws.own);
    assert_eq!(aws.through(), Some(Through::ThirdParty));
    assert_eq!(aws.via[0].host, "auth.idp.example");
    assert!(e
        .non_critical
        .iter()
        .any(|x| x.key() == "fastly" && !x.redundant));
}

#[test]
fn a_platform_on_a_cloud_is_reached_through_the_platform() {
    let r = site("app.example");
    let mut c = Classes::new();
    c.insert(
        r.main_host.clone(),
        HostClass {
            cloud: Some("aws".into()),
            hosting: Some("vercel".into()),
            resolved: true,
            ..HostClass::default()
        },
    );
    let e = exposure(&r, &c, &rules());
    assert_eq!(
        keys(&e.critical),
        ["Cloud:aws:[Platform]", "Hosting:vercel:[Hosting]"]
    );
}

#[test]
fn a_cdn_whose_own_dns_is_another_provider_is_a_dependency_on_it() {
    let r = site("news.example");
    let mut c = Classes::new();
    c.insert(
        r.main_host.clone(),
        HostClass {
            edge: Some("fastly".into()),
            edge_dns: Some("aws".into()),
            dns: Some("cloudflare".into()),
            resolved: true,
            ..HostClass::default()
        },
    );
    let e = exposure(&r, &c, &rules());
    let dns: Vec<String> = keys(&e.critical)
        .into_iter()
        .filter(|k| k.contains("aws"))
        .collect();
    assert_eq!(dns, ["Cloud:aws:[EdgeDns]", "Dns:aws:[EdgeDns]"]);
}

/// The four sites, all with Route 53 DNS: on AWS, on Cloudflare loading a script from
/// an AWS host, on Google Cloud, on Azure.
fn four() -> Vec<SiteSummary> {
    let rules = rules();
    let mut c = Classes::new();
    let mut rows = Vec::new();
    for (name, hosting) in [
        ("on-aws.example", Some("aws")),
        ("on-cf.example", None),
        ("on-gcp.example", Some("gcp")),
        ("on-azure.example", Some("azure")),
    ] {
        let mut r = site(name);
        r.last_seen = 10;
        r.status = HealthState::Up;
        let mut k = class(hosting, None, &["aws"]);
        if hosting.is_none() {
            k.edge = Some("cloudflare".into());
            r.depend(
                "js.vendor.example",
                "vendor.example",
                true,
                "script",
                None,
                DepOutcome::Status(200),
                2,
            );
            c.insert(
                "js.vendor.example".into(),
                class(Some("aws"), Some("us-east-1"), &[]),
            );
        }
        c.insert(r.main_host.clone(), k);
        rows.push(SiteSummary::of(&r, &c, &rules, 10, 1, MAX_VIA));
    }
    rows
}

#[test]
fn one_figure_from_headline_to_groups_to_what_if() {
    let rows = four();
    let idx: Vec<usize> = (0..rows.len()).collect();
    let clouds = group(&rows, &idx, GroupBy::Cloud);
    let aws = clouds
        .iter()
        .find(|g| g.key.as_ref().is_some_and(|k| k.provider == "aws"))
        .unwrap();
    assert_eq!(aws.sites.len(), 4);
    assert_eq!((aws.by.hosted, aws.by.dns), (1, 3));
    let h = headline(&rows, 20).unwrap();
    assert_eq!(h.cloud, Some(("aws".to_owned(), 4)));
    assert_eq!(h.by.dns, 3);
    assert_eq!(
        what_if(&rows, &Target::Provider("aws".into())).hits.len(),
        4
    );
    assert_eq!(what_if(&rows, &Target::Dns("aws".into())).hits.len(), 4);
    let dns = group(&rows, &idx, GroupBy::Dns);
    assert_eq!(dns.len(), 1);
    assert_eq!(dns[0].sites.len(), 4);
}
