//! Hand-made records and rows for the tests of the views, in the core and in the pages (which
//! enable the `testkit` feature as a dev-dependency): one shop, one blog, rows on a cloud.

#![allow(clippy::expect_used)]

use crate::date::DAY_MS;
use crate::deps::{Classes, DepOutcome, HostClass};
use crate::exposure::MAX_VIA;
use crate::health::HealthState;
use crate::profile::{
    Confidence, DnsLayer, EdgeLayer, Hosting, Resolution, ResolvedBy, SiteProfile,
};
use crate::rules::Rules;
use crate::site_record::{stored_classes, SiteRecord};
use crate::summary::SiteSummary;

/// The built-in rules.
pub fn rules() -> Rules {
    Rules::builtin().expect("the built-in rules load")
}

/// A record's row, its hosts' layers as the record itself holds them.
pub fn summary(r: &SiteRecord) -> SiteSummary {
    SiteSummary::of(r, &stored_classes([r]), &rules(), 0, 0, MAX_VIA)
}

/// The row of `site`, whose main host runs as `class` says, seen on day 10, up.
pub fn row_with(site: &str, class: Option<HostClass>) -> SiteSummary {
    let mut r = SiteRecord::new(site, &format!("www.{site}"), 10 * DAY_MS);
    r.status = HealthState::Up;
    r.visits = 1;
    let mut c = Classes::new();
    if let Some(class) = class {
        c.insert(r.main_host.clone(), class);
    }
    SiteSummary::of(&r, &c, &rules(), 0, 0, MAX_VIA)
}

/// The row of `site` on `cloud` (its own host), in `region`.
pub fn row(site: &str, cloud: Option<&str>, region: Option<&str>) -> SiteSummary {
    row_with(
        site,
        cloud.map(|c| HostClass {
            region: region.map(str::to_owned),
            ..class(c, c, None)
        }),
    )
}

/// A host's brief: cloud, hosting, region.
pub fn class(cloud: &str, hosting: &str, region: Option<&str>) -> HostClass {
    HostClass {
        cloud: Some(cloud.to_owned()),
        hosting: Some(hosting.to_owned()),
        region: region.map(str::to_owned),
        resolved: true,
        at: 1,
        ..HostClass::default()
    }
}

/// A stored record of `site` whose main host `www.<site>` runs on `main` (cloud = hosting,
/// region) and whose pages load `deps`: (host, its site key, resource type, what it runs on).
pub fn record(
    site: &str,
    main: (&str, Option<&str>),
    deps: &[(&str, &str, &str, Option<HostClass>)],
) -> SiteRecord {
    let now = 10 * DAY_MS;
    let mut r = SiteRecord::new(site, &format!("www.{site}"), now);
    r.profile = Some(SiteProfile {
        name: r.main_host.clone(),
        site: Some(site.to_owned()),
        addresses: Vec::new(),
        cname_chain: Vec::new(),
        dns: DnsLayer::default(),
        edge: EdgeLayer::default(),
        hosting: Hosting {
            provider: Some(main.0.to_owned()),
            region: main.1.map(str::to_owned),
            ..Hosting::default()
        },
        cloud: Some(main.0.to_owned()),
        confidence: Confidence::High,
        resolution: Resolution::Ok,
        resolved_by: ResolvedBy::Doh,
        ranges_missing: false,
        evidence: Vec::new(),
    });
    for (host, dep_site, kind, class) in deps {
        r.depend(
            host,
            dep_site,
            *dep_site != site,
            kind,
            None,
            DepOutcome::Status(200),
            now,
        );
        r.deps
            .get_mut(*host)
            .expect("the dependency was just recorded")
            .class = class.clone().map(Box::new);
    }
    r
}

/// A shop on Google Cloud whose own API runs on AWS us-east-1, with a login script on AWS
/// us-west-2 (a third party), its stylesheets beside it on Google Cloud, images from Fastly
/// and a beacon not looked up yet.
pub fn shop() -> SiteRecord {
    record(
        "shop.example",
        ("gcp", Some("europe-west1")),
        &[
            (
                "api.shop.example",
                "shop.example",
                "xmlhttprequest",
                Some(class("aws", "aws", Some("us-east-1"))),
            ),
            (
                "auth.idp.example",
                "idp.example",
                "script",
                Some(class("aws", "aws", Some("us-west-2"))),
            ),
            (
                "static.shop.example",
                "shop.example",
                "stylesheet",
                Some(class("gcp", "gcp", Some("europe-west1"))),
            ),
            (
                "p.pics.example",
                "pics.example",
                "image",
                Some(class("fastly", "fastly", None)),
            ),
            ("beacon.tracker.example", "tracker.example", "ping", None),
        ],
    )
}

/// A blog on AWS us-east-1 with the same login script (AWS us-west-2).
pub fn blog() -> SiteRecord {
    record(
        "blog.example",
        ("aws", Some("us-east-1")),
        &[(
            "auth.idp.example",
            "idp.example",
            "script",
            Some(class("aws", "aws", Some("us-west-2"))),
        )],
    )
}
