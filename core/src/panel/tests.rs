//! The views the pages get, built from hand-made rows: what each holds, what it leaves out, and
//! the exports.

#![allow(clippy::unwrap_used)]

use super::rows::{cloud_of, failing, matches, sort, Column};
use super::*;
use crate::date::DAY_MS;
use crate::deps::HostClass;
use crate::deps::{Blame, DepOutcome};
use crate::exposure::Exposed;
use crate::exposure::Path;
use crate::exposure::MAX_VIA;
use crate::health::HealthState;
use crate::reach::Target;
use crate::site_record::stored_classes;
use crate::testkit::{blog, class, record, row, row_with, rules, shop, summary};
use words::{
    also_loads, blame_text, clouds, host_list, loads_via, more_text, partly_on, via_text, ViaWords,
};

use export::{csv_field, to_csv, to_json};

/// The shop (on Google Cloud, its API on AWS us-east-1, a login on AWS us-west-2), the blog
/// (AWS us-east-1, the same login), a news site on AWS us-west-2 and a plain one on Google
/// Cloud; the blog is down.
/// Rows as the views make them from full summaries.
fn row_of(s: &SiteSummary) -> Row {
    Row::of(s, &rules())
}

fn four() -> Vec<SiteSummary> {
    let mut blog = summary(&blog());
    blog.status = HealthState::Down;
    vec![
        summary(&shop()),
        blog,
        row("news.example", Some("aws"), Some("us-west-2")),
        row("plain.example", Some("gcp"), None),
    ]
}

/// The popup's view of `sites` for `q`, with no banners and no feeds, on day 11.
fn popup_for(sites: &[SiteSummary], q: &PopupQuery) -> PopupView {
    popup(
        sites,
        &rules(),
        &row_of,
        q,
        Banners::default(),
        FeedStatus::default(),
        11 * DAY_MS,
    )
}

#[test]
fn the_popup_gets_counts_and_only_the_members_of_the_groups_it_opened() {
    let sites = four();
    let closed = popup_for(&sites, &PopupQuery::default());
    assert_eq!((closed.total, closed.shown, closed.failing), (4, 4, 1));
    assert_eq!(closed.failing_rows.len(), 1);
    assert_eq!(closed.failing_rows[0].site, "blog.example");
    let counts: Vec<(Option<&str>, usize)> = closed
        .groups
        .iter()
        .map(|g| (g.key.as_ref().map(|k| k.provider.as_str()), g.count))
        .collect();
    assert_eq!(counts, vec![(Some("aws"), 3), (Some("gcp"), 2)]);
    assert!(closed.groups.iter().all(|g| g.members.is_empty()));
    assert_eq!(
        closed.headline.as_ref().unwrap().cloud,
        Some(("aws".into(), 3))
    );

    let open = popup_for(
        &sites,
        &PopupQuery {
            open: vec![closed.groups[1].key.clone()],
            ..PopupQuery::default()
        },
    );
    let members: Vec<&str> = open.groups[1]
        .members
        .iter()
        .map(|s| s.site.as_str())
        .collect();
    assert_eq!(members, vec!["shop.example", "plain.example"]);
    assert!(open.groups[0].members.is_empty());

    // The filter narrows the lists, not the headline.
    let west = popup_for(
        &sites,
        &PopupQuery {
            filter: "  US-West-2 ".into(),
            ..PopupQuery::default()
        },
    );
    assert_eq!((west.total, west.shown), (4, 3));
    assert_eq!(west.headline, closed.headline);
}

#[test]
fn a_row_says_in_words_what_a_list_shows_of_a_site() {
    let r = rules();
    let mut shop = shop();
    shop.status = HealthState::Down;
    shop.depend(
        "auth.idp.example",
        "idp.example",
        true,
        "script",
        None,
        DepOutcome::Failed("net::ERR_CONNECTION_REFUSED"),
        10 * DAY_MS + 1,
    );
    let s = SiteSummary::of(
        &shop,
        &stored_classes([&shop]),
        &r,
        10 * DAY_MS + 2,
        60_000,
        MAX_VIA,
    );
    let row = Row::of(&s, &r);
    assert_eq!(row.cloud.as_deref(), Some("gcp"));
    assert_eq!(row.partly, partly_on(&r, &s));
    assert!(row
        .partly
        .as_deref()
        .unwrap()
        .starts_with("partly on AWS: api.shop.example"));
    assert!(row
        .also
        .as_deref()
        .unwrap()
        .starts_with("Also loads images from p.pics.example (Fastly)"));
    assert!(row
        .blame
        .as_deref()
        .unwrap()
        .starts_with("fails because login through auth.idp.example"));
    assert_eq!((row.origin, row.dns, row.dns_line), (None, None, None));
    // Behind a CDN with nothing known behind it, on Route 53 beside its own name servers.
    let cf = row_with(
        "cf.example",
        Some(HostClass {
            edge: Some("cloudflare".into()),
            dns: Some("aws".into()),
            own_dns: true,
            ..HostClass::default()
        }),
    );
    let row = Row::of(&cf, &r);
    assert_eq!(row.cloud, None, "never the CDN as the cloud");
    assert_eq!(
        row.origin.as_deref(),
        Some("origin unknown behind Cloudflare")
    );
    assert_eq!(row.dns.as_deref(), Some("Route 53 + own name servers"));
    assert_eq!(
        row.dns_line.as_deref(),
        Some("redundant DNS: Route 53 + own name servers")
    );
    // On the wire, a row without extra lines is its layers and figures only.
    let plain = Row::of(&row_with("p.example", None), &r);
    let wire = serde_json::to_string(&plain).unwrap();
    assert_eq!(
        wire,
        r#"{"site":"p.example","mainHost":"www.p.example","status":"up","lastSeen":864000000,"visits":1}"#
    );
}

#[test]
fn the_dashboard_gets_a_page_of_sorted_rows_and_the_chosen_scenario() {
    let sites = four();
    let r = rules();
    let q = DashboardQuery {
        sort: Column::Site,
        descending: false,
        limit: Some(2),
        what_if: Some(Target::Region("aws".into(), "us-west-2".into())),
        ..DashboardQuery::default()
    };
    let v = dashboard(&sites, &r, &row_of, &q, Banners::default(), 11 * DAY_MS);
    assert_eq!((v.total, v.matched), (4, 4));
    let names: Vec<&str> = v.rows.iter().map(|s| s.site.as_str()).collect();
    assert_eq!(names, vec!["blog.example", "news.example"]);
    let w = v.what_if.unwrap();
    assert_eq!((w.total, w.hits.len()), (4, 3));
    assert_eq!((w.counts.hosted, w.counts.third_party), (1, 2));
    let shop = w.hits.iter().find(|h| h.site == "shop.example").unwrap();
    assert_eq!(shop.through, Through::ThirdParty);
    assert_eq!(shop.host.as_deref(), Some("auth.idp.example"));
    let news = w.hits.iter().find(|h| h.site == "news.example").unwrap();
    assert_eq!(
        (news.through, news.host.as_deref()),
        (Through::Main(Path::Hosting), None)
    );
    assert_eq!(v.choices.hosts[0], (Target::Provider("aws".into()), 3));
    // All rows when asked; none but the count when nothing matches.
    let all = dashboard(
        &sites,
        &r,
        &row_of,
        &DashboardQuery {
            limit: None,
            ..DashboardQuery::default()
        },
        Banners::default(),
        0,
    );
    assert_eq!(all.rows.len(), 4);
    assert!(all.what_if.is_none());
    let none = dashboard(
        &sites,
        &r,
        &row_of,
        &DashboardQuery {
            filter: "nothing-like-it".into(),
            ..DashboardQuery::default()
        },
        Banners::default(),
        0,
    );
    assert_eq!((none.matched, none.rows.len(), none.total), (0, 0, 4));
}

#[test]
fn queries_and_views_cross_the_wire() {
    let q = PopupQuery {
        group_by: GroupBy::Region,
        filter: "x".into(),
        open: vec![None, Some(GroupKey::provider("aws"))],
    };
    let back: PopupQuery = serde_json::from_value(serde_json::to_value(&q).unwrap()).unwrap();
    assert_eq!(back, q);
    // A page that sends no query gets the defaults.
    let req: crate::protocol::Request = serde_json::from_str(r#"{"type":"getDashboard"}"#).unwrap();
    assert_eq!(
        req,
        crate::protocol::Request::GetDashboard {
            query: DashboardQuery::default()
        }
    );
    let d: DashboardQuery =
        serde_json::from_str(r#"{"sort":"visits","whatIf":"r:aws:us-east-1"}"#).unwrap();
    assert_eq!(d.sort, Column::Visits);
    assert_eq!(
        d.what_if,
        Some(Target::Region("aws".into(), "us-east-1".into()))
    );
    assert!(serde_json::from_str::<DashboardQuery>(r#"{"whatIf":"nonsense"}"#).is_err());
    let v = dashboard(
        &four(),
        &rules(),
        &row_of,
        &DashboardQuery {
            what_if: Some(Target::Provider("aws".into())),
            ..DashboardQuery::default()
        },
        Banners::default(),
        11 * DAY_MS,
    );
    let back: DashboardView = serde_json::from_value(serde_json::to_value(&v).unwrap()).unwrap();
    assert_eq!(back, v);
}

/// The popup's views cross packed (`protocol::packed`: postcard, read by position) and read
/// back equal, absent lines, floats and nested groups included; JSON still leaves a row's
/// absent lines out, and reads back equal too.
#[test]
fn views_read_back_packed_and_json_leaves_absent_lines_out() {
    use crate::protocol::packed::{pack, unpack, PackError};
    let sites = four();
    let r = rules();
    let all_open = popup_for(&sites, &PopupQuery::default())
        .groups
        .into_iter()
        .map(|g| g.key)
        .chain([None])
        .collect();
    let banners = Banners {
        offline: true,
        correlation: Some(Correlation {
            layer: crate::exposure::ExposureLayer::Region,
            key: "aws us-east-1".into(),
            failing_in_group: 4,
            failing_total: 5,
            healthy_in_group: 0,
            healthy_total: 12,
            p_value: 0.000_123_4,
            sites: vec!["blog.example".into()],
            through_third_party: 1,
            message: "4 of 5 failing sites are on AWS us-east-1".into(),
        }),
        incidents: vec![ProviderIncident {
            provider: "aws".into(),
            title: "Increased error rates".into(),
            severity: "major".into(),
            url: None,
            started: Some("2025-10-20".into()),
            affected: vec!["us-east-1".into()],
        }],
    };
    let feeds = FeedStatus {
        feeds: vec![crate::table::FeedInfo {
            file: "ip-ranges.json".into(),
            provider: "aws".into(),
            date: Some("2025-10-20".into()),
            version: None,
            records: 9,
        }],
        records: 9,
        refreshed_at: Some(DAY_MS),
        errors: vec!["gcp: timed out".into()],
    };
    let view = popup(
        &sites,
        &r,
        &row_of,
        &PopupQuery {
            open: all_open,
            ..PopupQuery::default()
        },
        banners,
        feeds,
        11 * DAY_MS,
    );
    assert!(view.groups.iter().all(|g| !g.members.is_empty()));
    assert!(!view.failing_rows.is_empty());
    assert_eq!(unpack::<PopupView>(&pack(&view).unwrap()).unwrap(), view);

    let s = summary(&shop());
    let panel = tab::tab_panel(
        Some("www.shop.example"),
        Some(&s.site),
        Some(&s),
        shop().profile.as_ref(),
        false,
        &r,
    );
    let site = panel.site.as_ref().unwrap();
    assert!(site.depends.is_some() && site.stack.is_some());
    assert_eq!(unpack::<TabPanel>(&pack(&panel).unwrap()).unwrap(), panel);
    let note = tab::tab_panel(None, None, None, None, false, &r);
    assert_eq!(unpack::<TabPanel>(&pack(&note).unwrap()).unwrap(), note);

    // The JSON of a row: absent lines left out, present ones kept.
    let plain = row_of(&sites[3]);
    assert_eq!(
        (plain.cloud.as_deref(), plain.region.as_deref()),
        (Some("gcp"), None)
    );
    let json = serde_json::to_value(&plain).unwrap();
    assert_eq!(json["cloud"], "gcp");
    assert_eq!(json["mainHost"], plain.main_host.as_str());
    assert!(
        json.get("region").is_none() && json.get("blame").is_none(),
        "{json}"
    );
    assert_eq!(serde_json::from_value::<Row>(json).unwrap(), plain);

    // What does not read is an error, never a panic.
    assert!(matches!(
        unpack::<PopupView>("not base64!"),
        Err(PackError::Base64(_))
    ));
    let packed = pack(&view).unwrap();
    let cut = &packed[..packed.len() / 2 / 4 * 4];
    assert!(matches!(
        unpack::<PopupView>(cut),
        Err(PackError::Decode(_))
    ));
}

#[test]
fn failing_sites_come_worst_first() {
    let mut sites = vec![
        row("a.com", Some("aws"), None),
        row("b.com", Some("aws"), None),
        row("c.com", Some("aws"), None),
    ];
    sites[0].status = HealthState::Degraded;
    sites[2].status = HealthState::Down;
    assert_eq!(failing(&sites, &[0, 1, 2]), vec![2, 0]);
    assert_eq!(failing(&sites, &[0, 1]), vec![0]);
}

#[test]
fn filter_matches_names_providers_regions_and_needed_hosts() {
    let r = rules();
    let sites = [
        row("example.com", None, None),
        row("shop.example.com", None, None),
    ];
    assert!(matches(&sites[0], "example", &r));
    assert!(!matches(&sites[0], "amazon", &r));
    let aws = row("x.com", Some("aws"), Some("us-east-1"));
    assert!(matches(&aws, "amazon", &r) && matches(&aws, "us-east", &r));
    assert!(matches(&aws, "", &r));
    let shop = summary(&shop());
    assert!(matches(&shop, "auth.idp", &r));
    assert!(matches(&shop, "us-west-2", &r));
}

#[test]
fn sorting_puts_unknown_last() {
    let r = rules();
    let sites = vec![
        row("b.com", None, None),
        row("a.com", Some("gcp"), None),
        row("c.com", Some("aws"), None),
    ];
    let mut idx = vec![0, 1, 2];
    sort(&sites, &mut idx, Column::Cloud, false, &r);
    assert_eq!(idx, vec![2, 1, 0]);
    sort(&sites, &mut idx, Column::Site, true, &r);
    assert_eq!(idx, vec![2, 0, 1]);
    // Behind a CDN with its origin unknown, no cloud: never the CDN.
    let cf = row_with(
        "cf.com",
        Some(HostClass {
            edge: Some("cloudflare".into()),
            ..HostClass::default()
        }),
    );
    assert_eq!(cloud_of(&cf), None);
    assert_eq!(cloud_of(&sites[2]), Some("aws"));
    assert!(Column::LastSeen.descending_first() && !Column::Site.descending_first());
}

#[test]
fn csv_is_quoted_and_neutralized() {
    assert_eq!(csv_field("a\"b,c"), "\"a\"\"b,c\"");
    assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    for bad in ["+1", "-1", "@x", "\tx"] {
        assert!(csv_field(bad).starts_with("\"'"), "{bad}");
    }
    let mut r = row("=cmd.com", Some("aws"), Some("us-east-1"));
    r.main_host = "a\nb".into();
    let csv = to_csv(&[r]);
    let mut lines = csv.split("\r\n");
    assert!(lines.next().unwrap().starts_with("site,main_host"));
    assert!(lines
        .next()
        .unwrap()
        .starts_with("\"'=cmd.com\",\"a\nb\",\"aws\""));
    assert!(csv.contains("\"1970-01-11T00:00:00Z\",1,0"));
}

#[test]
fn exports_carry_what_a_site_depends_on_beyond_its_main_host() {
    let s = summary(&shop());
    let csv = to_csv(std::slice::from_ref(&s));
    let mut lines = csv.split("\r\n");
    assert!(lines.next().unwrap().ends_with(",failures,depends_on"));
    let line = lines.next().unwrap();
    assert!(
        line.ends_with(",\"aws via api.shop.example auth.idp.example; gcp via static.shop.example; aws us-east-1 via api.shop.example; aws us-west-2 via auth.idp.example; gcp europe-west1 via static.shop.example\""),
        "{line}"
    );
    let json = to_json(&[s]);
    assert!(
        json.contains(
            r#""dependsOn":[{"on":"aws","via":["api.shop.example","auth.idp.example"]},"#
        ),
        "{json}"
    );
}

#[test]
fn json_export_escapes_and_keeps_one_site_a_line() {
    let mut r = row("a\"b\\c\u{1}.com", Some("aws"), None);
    r.class.edge = None;
    let json = to_json(&[r.clone(), r]);
    assert!(json.contains(r#""site":"a\"b\\c\u0001.com""#), "{json}");
    assert!(json.contains(r#""edge":null"#));
    assert!(json
        .contains(r#""status":"up","lastSeen":864000000,"visits":1,"failures":0,"dependsOn":[]}"#));
    assert_eq!(json.lines().count(), 4, "[, two sites, ]");
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2);
    assert_eq!(to_json(&[]), "[]\n");
}

#[test]
fn partly_on_names_other_hosts_and_third_parties() {
    let n = rules();
    let shop = summary(&shop());
    assert_eq!(
        partly_on(&n, &shop).unwrap(),
        "partly on AWS: api.shop.example (us-east-1); \
         login through auth.idp.example (AWS us-west-2)"
    );
    assert_eq!(
        also_loads(&n, &shop).unwrap(),
        "Also loads images from p.pics.example (Fastly) — not needed for the site to work"
    );
    // The main host's own cloud, through a third party in another region.
    let blog = summary(&blog());
    assert_eq!(
        partly_on(&n, &blog).unwrap(),
        "also on AWS: login through auth.idp.example (AWS us-west-2)"
    );
    assert_eq!(also_loads(&n, &blog), None);
    // Own hosts beside the main one add nothing to say.
    let same = record(
        "same.example",
        ("aws", Some("us-east-1")),
        &[(
            "api.same.example",
            "same.example",
            "fetch",
            Some(class("aws", "aws", Some("us-east-1"))),
        )],
    );
    assert_eq!(partly_on(&n, &summary(&same)), None);
    // Nothing known: nothing said.
    assert_eq!(partly_on(&n, &row("a.com", Some("aws"), None)), None);
    assert_eq!(also_loads(&n, &row("a.com", Some("aws"), None)), None);
    // A platform on a cloud is named; hosts past the list are counted.
    let ads = ["a", "b", "c", "d", "e"].map(|l| format!("{l}.ads.example"));
    let mut deps = vec![(
        "w.vendor.example",
        "vendor.example",
        "script",
        Some(class("aws", "vercel", Some("iad1"))),
    )];
    deps.extend(ads.iter().map(|h| {
        (
            h.as_str(),
            "ads.example",
            "script",
            Some(class("aws", "aws", None)),
        )
    }));
    deps.extend([
        (
            "i.photos.example",
            "photos.example",
            "image",
            Some(class("gcp", "gcp", None)),
        ),
        (
            "f.typeface.example",
            "typeface.example",
            "font",
            Some(class("gcp", "gcp", None)),
        ),
    ]);
    let news = record("news.example", ("cloudflare", None), &deps);
    let news = summary(&news);
    assert_eq!(
        partly_on(&n, &news).unwrap(),
        "partly on AWS: scripts through a.ads.example (AWS); \
         scripts through b.ads.example (AWS); scripts through c.ads.example (AWS); \
         scripts through d.ads.example (AWS); and 2 more hosts"
    );
    assert_eq!(
        also_loads(&n, &news).unwrap(),
        "Also loads fonts from f.typeface.example, images from i.photos.example \
         (Google Cloud) — not needed for the site to work"
    );
    let vercel = record(
        "v.example",
        ("gcp", None),
        &[(
            "w.vendor.example",
            "vendor.example",
            "script",
            Some(class("aws", "vercel", Some("iad1"))),
        )],
    );
    assert_eq!(
        partly_on(&n, &summary(&vercel)).unwrap(),
        "partly on AWS: scripts through w.vendor.example (VCL iad1)"
    );
}

#[test]
fn blame_and_the_depends_on_list() {
    let n = rules();
    let now = 10 * DAY_MS;
    let mut r = shop();
    r.status = HealthState::Down;
    r.depend(
        "auth.idp.example",
        "idp.example",
        true,
        "script",
        None,
        DepOutcome::Failed("net::ERR_CONNECTION_REFUSED"),
        now + 1,
    );
    let s = SiteSummary::of(
        &r,
        &stored_classes([&r]),
        &rules(),
        now + 2,
        60_000,
        MAX_VIA,
    );
    assert_eq!(
        blame_text(&n, s.blame.as_ref().unwrap()),
        "fails because login through auth.idp.example (AWS us-west-2) does not answer: \
         net::ERR_CONNECTION_REFUSED"
    );
    let bare = Blame {
        host: "pay.psp.example".into(),
        role: "payments".into(),
        class: None,
        error: None,
    };
    assert_eq!(
        blame_text(&n, &bare),
        "fails because payments through pay.psp.example does not answer"
    );
    // The popup's "Depends on": the hosts of each cloud, needed or not.
    let shown = |list: &[Exposed], text: ViaWords, sep: &str| {
        clouds(list)
            .map(|e| (e.provider.clone(), host_list(&n, e, text, sep)))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shown(&s.exposure.critical, via_text, "; "),
        vec![
            (
                "aws".to_owned(),
                "api.shop.example (us-east-1); login through auth.idp.example (AWS us-west-2)"
                    .to_owned()
            ),
            (
                "gcp".to_owned(),
                "static.shop.example (europe-west1)".to_owned()
            ),
        ]
    );
    assert_eq!(
        shown(&s.exposure.non_critical, loads_via, ", "),
        vec![("fastly".to_owned(), "images from p.pics.example".to_owned())]
    );
    assert_eq!(more_text(1), "and 1 more host");
}

// ---- The popup's tab panel ----

mod tab_panel {
    use super::*;
    use crate::profile::{Evidence, LayerKind, Resolution, ResolvedBy};
    use tab::{tab_panel, TabPanel};

    fn site_panel(s: &SiteSummary, p: &crate::profile::SiteProfile) -> tab::TabSite {
        let panel = tab_panel(
            Some("www.x"),
            Some(&s.site),
            Some(s),
            Some(p),
            false,
            &rules(),
        );
        assert_eq!(panel.note, None);
        panel.site.unwrap()
    }

    #[test]
    fn a_tab_without_a_recorded_site_says_why() {
        let r = rules();
        let note = |host, site| tab_panel(host, site, None, None, false, &r);
        assert_eq!(
            note(None, None),
            TabPanel {
                note: Some("This tab is not a website.".into()),
                site: None
            }
        );
        assert_eq!(
            note(Some("printer.local"), None).note.unwrap(),
            "printer.local is a private name or address: not recorded."
        );
        assert_eq!(
            note(Some("www.new.example"), Some("new.example"))
                .note
                .unwrap(),
            "www.new.example has not been seen yet: reload the tab to classify it."
        );
    }

    /// Behind a CDN with nothing saying where the site runs: the hosting layer says the origin
    /// is unknown, never a guess; each layer carries only its own evidence.
    #[test]
    fn behind_a_cdn_the_origin_is_said_unknown() {
        let s = summary(&shop());
        let mut p = shop().profile.unwrap();
        p.hosting = Default::default();
        p.cloud = None;
        p.edge.provider = Some("cloudflare".into());
        p.evidence = vec![
            Evidence {
                layer: LayerKind::Edge,
                text: "Server: cloudflare".into(),
            },
            Evidence {
                layer: LayerKind::Dns,
                text: "NS ns1.example".into(),
            },
        ];
        let stack = site_panel(&s, &p).stack.unwrap();
        let by = |k| stack.layers.iter().find(|l| l.kind == k).unwrap();
        assert_eq!(by(LayerKind::Edge).name, "Cloudflare");
        assert_eq!(by(LayerKind::Edge).evidence, ["Server: cloudflare"]);
        assert_eq!(by(LayerKind::Hosting).name, "origin unknown behind the CDN");
        assert_eq!(by(LayerKind::Hosting).provider, None);
        assert!(by(LayerKind::Hosting).evidence.is_empty());
        assert_eq!(by(LayerKind::Cloud).name, "unknown");
        assert_eq!(by(LayerKind::Dns).evidence, ["NS ns1.example"]);
        let titles: Vec<&str> = stack.layers.iter().map(|l| l.title.as_str()).collect();
        assert_eq!(titles, ["DNS", "Edge / CDN", "Hosting", "Cloud"]);
        assert_eq!(stack.failure, None);
        assert_eq!(
            stack.resolved_by,
            "Addresses from your DNS-over-HTTPS resolver."
        );
    }

    #[test]
    fn hosting_details_a_redundant_dns_set_and_a_failed_look_up_are_in_words() {
        let s = summary(&shop());
        let mut p = shop().profile.unwrap();
        p.hosting.service = Some("EC2".into());
        p.hosting.asn = Some(16509);
        p.hosting.asn_holder = Some("AMAZON-02".into());
        p.dns.provider = Some("aws".into());
        p.dns.also = vec!["ns1".into()];
        p.resolution = Resolution::ServFail;
        p.resolved_by = ResolvedBy::Browser;
        let stack = site_panel(&s, &p).stack.unwrap();
        let by = |k| stack.layers.iter().find(|l| l.kind == k).unwrap();
        assert_eq!(
            by(LayerKind::Hosting).detail.as_deref(),
            Some("europe-west1 · EC2 · AS16509 AMAZON-02")
        );
        assert_eq!(by(LayerKind::Dns).detail.as_deref(), Some("Route 53 + NS1"));
        assert_eq!(
            stack.failure.as_deref(),
            Some("the resolver failed (SERVFAIL)")
        );
        assert!(stack
            .resolved_by
            .starts_with("Addresses from the browser's own resolver"));
        assert_eq!(stack.hosting.as_deref(), Some("gcp"));
    }

    /// The shop needs its API and the login on AWS (critical) and only loads images from
    /// Fastly: the two lists, by cloud, with the hosts named.
    #[test]
    fn depends_on_splits_what_the_site_needs_from_what_it_only_loads() {
        let s = summary(&shop());
        let site = site_panel(&s, shop().profile.as_ref().unwrap());
        let d = site.depends.unwrap();
        let aws = d.critical.iter().find(|g| g.provider == "aws").unwrap();
        assert_eq!(aws.name, "Amazon Web Services");
        assert!(aws.hosts.contains("api.shop.example"), "{}", aws.hosts);
        assert!(aws.hosts.contains("auth.idp.example"), "{}", aws.hosts);
        assert!(d.other.iter().any(|g| g.provider == "fastly"));
        assert!(d.critical.iter().all(|g| g.provider != "fastly"));
        assert_eq!(site.badge.as_deref(), Some("gcp"));
        // A site that depends on nothing known has no section.
        let plain = row("plain.example", Some("gcp"), None);
        let p = shop().profile.unwrap();
        assert_eq!(site_panel(&plain, &p).depends, None);
    }
}
