//! The words the pages show for what the worker computed: group and target labels, the
//! headline and what-if sentences, a row's extra lines, ages. The figures themselves (groups,
//! headline, what-if, filtering, sorting, exports) are the core's (`onebasket::panel`), built
//! in the worker; a page gets one view per request.
//!
//! Everything here treats the views as external input: any string, any number, missing fields.

pub use onebasket::date::{days_old, iso_time, DAY_MS};
pub use onebasket::exposure::Through;
use onebasket::health::HealthState;
use onebasket::knowledge::FeedStatus;
pub use onebasket::panel::rows::Column;
pub use onebasket::panel::words::plural;
use onebasket::panel::GroupView;
use onebasket::reach::Counts;
pub use onebasket::reach::{percent, GroupBy, GroupKey, Headline, Target};

use crate::providers;

/// Display words of what the core computes: group labels, target labels, the headline and
/// what-if sentences. The figures themselves are `onebasket::reach`'s.
pub trait Label {
    /// The words a page shows for it.
    fn label(&self) -> String;
}

/// "Cloud", "Region", "DNS": the label of a grouping's toggle button.
pub fn group_by_label(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Cloud => "Cloud",
        GroupBy::Region => "Region",
        GroupBy::Dns => "DNS",
    }
}

/// A DNS provider's product name: "Route 53" for AWS, else the provider's name.
pub fn dns_name(id: &str) -> &str {
    providers::dns_name(id)
}

impl Label for GroupKey {
    /// "Amazon Web Services", "AWS us-east-1", "AWS (region unknown)", "Route 53 + NS1
    /// (redundant)".
    fn label(&self) -> String {
        if self.is_redundant() {
            let mut t = onebasket::panel::words::dns_set(
                &providers::Baked,
                Some(&self.provider),
                &self.also,
                self.own,
                self.other,
            );
            t.push_str(" (redundant)");
            return t;
        }
        match self.region.as_deref() {
            None => providers::name(&self.provider).to_owned(),
            Some("") => format!("{} (region unknown)", providers::badge(&self.provider)),
            Some(r) => format!("{} {r}", providers::badge(&self.provider)),
        }
    }
}

impl Label for GroupView {
    fn label(&self) -> String {
        self.key
            .as_ref()
            .map_or_else(|| "Unknown".to_owned(), Label::label)
    }
}

impl Label for Target {
    fn label(&self) -> String {
        match self {
            Target::Provider(p) => providers::name(p).to_owned(),
            Target::Region(h, r) => format!("{} {r}", providers::badge(h)),
            Target::Dns(p) => dns_name(p).to_owned(),
        }
    }
}

/// The colour of a group.
pub fn group_color(g: &GroupView) -> &'static str {
    g.key
        .as_ref()
        .map_or(providers::NEUTRAL, |k| providers::color(Some(&k.provider)))
}

/// How the sites depending on a provider do, beside running there: "DNS: 3; 1 through a third
/// party" for the headline (`short`), "3 through DNS, 1 through a third party" for a group;
/// `None` when they all run there.
pub fn through_text(c: &Counts, short: bool) -> Option<String> {
    let mut t = String::new();
    for (n, long, brief) in [
        (c.edge, "behind its CDN", "CDN: "),
        (c.dns, "through DNS", "DNS: "),
        (c.own_host, "through other hosts of theirs", "other hosts: "),
        (c.third_party, "through a third party", ""),
    ] {
        if n == 0 {
            continue;
        }
        if !t.is_empty() {
            t.push_str(if short { "; " } else { ", " });
        }
        let n = n.to_string();
        if short && !brief.is_empty() {
            t.push_str(brief);
            t.push_str(&n);
        } else {
            t.push_str(&n);
            t.push(' ');
            t.push_str(long);
        }
    }
    (!t.is_empty()).then_some(t)
}

/// "71 % of the sites you visited this week run on AWS; 40 % in us-east-1", or "… run on AWS
/// or depend on it (DNS: 3); …" when some depend on it otherwise than by running there.
pub fn headline_text(h: &Headline) -> String {
    let scope = if h.this_week {
        "the sites you visited this week"
    } else {
        "your sites"
    };
    let Some((cloud, n)) = &h.cloud else {
        return format!(
            "No cloud identified yet for {scope} ({} site{}).",
            h.total,
            plural(h.total)
        );
    };
    let mut t = format!(
        "{} % of {scope} run on {}",
        percent(*n, h.total),
        providers::badge(cloud)
    );
    if let Some(how) = through_text(&h.by, true) {
        t.push_str(" or depend on it (");
        t.push_str(&how);
        t.push(')');
    }
    if let Some((region, rn)) = &h.region {
        t.push_str(&format!("; {} % in {region}", percent(*rn, h.total)));
    }
    t
}

/// "400 of 1000 sites (40 %) would go down with AWS us-east-1." when the sites hit depend on
/// it one way (running there, or all through DNS); otherwise "If AWS us-west-2 fails, 3 of your
/// 4 sites break: 1 hosted there, 2 through a third party." ("directly" for a provider, which
/// may be a site's CDN rather than its host).
pub fn what_if_text(n: usize, total: usize, c: &Counts, target: &Target) -> String {
    let served = c.dns + c.edge;
    if c.third_party == 0 && (served == 0 || served == n) {
        return format!(
            "{n} of {total} sites ({} %) would go down with {}.",
            percent(n, total),
            target.label()
        );
    }
    let direct = match target {
        Target::Region(..) => "hosted there",
        _ => "directly",
    };
    let mut parts = vec![format!("{} {direct}", c.hosted + c.own_host)];
    if c.edge > 0 {
        parts.push(format!("{} behind its CDN", c.edge));
    }
    if c.dns > 0 {
        parts.push(format!("{} through DNS", c.dns));
    }
    if c.third_party > 0 {
        parts.push(format!("{} through a third party", c.third_party));
    }
    format!(
        "If {} fails, {n} of your {total} site{} break{}: {}.",
        target.label(),
        plural(total),
        if n == 1 { "s" } else { "" },
        parts.join(", ")
    )
}

/// Display word of a status.
pub fn status_label(s: HealthState) -> &'static str {
    s.word()
}

/// Header text of a column.
pub fn column_label(c: Column) -> &'static str {
    match c {
        Column::Site => "Site",
        Column::Cloud => "Cloud",
        Column::Region => "Region",
        Column::Edge => "Edge",
        Column::Dns => "DNS",
        Column::Status => "Status",
        Column::LastSeen => "Last seen",
        Column::Visits => "Visits",
    }
}

/// "just now", "5 min ago", "3 h ago", "2 days ago".
pub fn ago(now: u64, then: u64) -> String {
    let d = now.saturating_sub(then) / 1000;
    match d {
        0..=59 => "just now".to_owned(),
        60..=3599 => format!("{} min ago", d / 60),
        3600..=86_399 => format!("{} h ago", d / 3600),
        _ => {
            let days = d / 86_400;
            format!("{days} day{} ago", plural(days as usize))
        }
    }
}

/// The age of the IP-range data behind a provider: its feed's date (the oldest if several),
/// else the oldest feed overall. `None` when no feed has a date.
pub fn data_age(feeds: &FeedStatus, provider: Option<&str>, now: u64) -> Option<String> {
    let describe = |date: &str, whose: &str| match days_old(date, now) {
        Some(0) => format!("{whose} IP ranges of {date} (today)"),
        Some(n) => format!(
            "{whose} IP ranges of {date} ({n} day{} old)",
            plural(n as usize)
        ),
        None => format!("{whose} IP ranges of {date}"),
    };
    let oldest = |pred: &dyn Fn(&str) -> bool| {
        feeds
            .feeds
            .iter()
            .filter(|f| pred(&f.provider))
            .filter_map(|f| f.date.as_deref())
            .filter(|d| days_old(d, now).is_some())
            .min()
    };
    if let Some(p) = provider {
        if let Some(d) = oldest(&|fp| fp == p) {
            return Some(describe(d, providers::badge(p)));
        }
    }
    oldest(&|_| true).map(|d| describe(d, "Oldest"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use onebasket::deps::HostClass;
    use onebasket::exposure::Path;
    use onebasket::reach::{group, headline, what_if, what_if_choices, Group, Hit, WhatIf};
    use onebasket::summary::SiteSummary;
    use onebasket::table::FeedInfo;
    use onebasket::testkit::{blog, class, row, row_with, shop, summary};

    /// A group's label as the popup shows it.
    fn label(g: &Group) -> String {
        g.key
            .as_ref()
            .map_or_else(|| "Unknown".to_owned(), Label::label)
    }

    /// The what-if sentence of an answer.
    fn said(w: &WhatIf<'_>, t: &Target) -> String {
        what_if_text(w.hits.len(), w.total, &w.counts(), t)
    }

    #[test]
    fn groups_headline_and_unknown_last() {
        let mut sites = vec![
            row("a.com", Some("aws"), Some("us-east-1")),
            row("b.com", Some("aws"), Some("us-east-1")),
            row("c.com", Some("aws"), Some("eu-west-1")),
            row("d.com", Some("gcp"), None),
            row("e.com", None, None),
            row("f.com", None, None),
            row("g.com", None, None),
        ];
        sites[3].status = HealthState::Down;
        let idx: Vec<usize> = (0..sites.len()).collect();
        let g = group(&sites, &idx, GroupBy::Cloud);
        assert_eq!(label(&g[0]), "Amazon Web Services");
        assert_eq!(g[0].sites.len(), 3);
        assert_eq!(g[1].failing, 1);
        assert_eq!(
            g.last().unwrap().key,
            None,
            "unknown last even when largest"
        );
        let r = group(&sites, &idx, GroupBy::Region);
        assert_eq!(label(&r[0]), "AWS us-east-1");
        assert!(r.iter().any(|g| label(g) == "GCP (region unknown)"));
        let h = headline(&sites, 11 * DAY_MS).unwrap();
        assert_eq!(
            headline_text(&h),
            "43 % of the sites you visited this week run on AWS; 29 % in us-east-1"
        );
        let h = headline(&sites, 30 * DAY_MS).unwrap();
        assert!(!h.this_week);
        assert!(headline_text(&h).contains("of your sites"));
        assert_eq!(headline(&[], 0), None);
        let none = headline(&sites[4..], 11 * DAY_MS).unwrap();
        assert!(headline_text(&none).starts_with("No cloud identified"));
    }

    #[test]
    fn what_if_counts_every_layer() {
        let sites = vec![
            row("a.com", Some("aws"), Some("us-east-1")),
            row_with("b.com", Some(class("aws", "vercel", None))),
            row_with(
                "c.com",
                Some(HostClass {
                    edge: Some("cloudflare".into()),
                    dns: Some("aws".into()),
                    ..class("gcp", "gcp", None)
                }),
            ),
        ];
        let aws = Target::Provider("aws".into());
        assert_eq!(sites.iter().filter(|s| aws.hit(s).is_some()).count(), 3);
        let region = Target::Region("aws".into(), "us-east-1".into());
        assert_eq!(sites.iter().filter(|s| region.hit(s).is_some()).count(), 1);
        let c = what_if_choices(&sites);
        assert_eq!(c.hosts[0], (aws.clone(), 3));
        assert_eq!(c.edges, vec![(Target::Provider("cloudflare".into()), 1)]);
        assert_eq!(c.regions, vec![(region.clone(), 1)]);
        assert_eq!(c.dns, vec![(Target::Dns("aws".into()), 1)]);
        assert_eq!(Target::Dns("aws".into()).label(), "Route 53");
        for t in [aws, region, Target::Dns("aws".into())] {
            assert_eq!(Target::decode(&t.encode()), Some(t));
        }
        assert_eq!(Target::decode("x"), None);
    }

    /// The shop and the blog, a news site on AWS us-west-2 seen ten days in, a plain GCP site.
    fn four_sites() -> Vec<SiteSummary> {
        let mut news = row("news.example", Some("aws"), Some("us-west-2"));
        news.last_seen = 10 * DAY_MS;
        vec![
            summary(&shop()),
            summary(&blog()),
            news,
            row("plain.example", Some("gcp"), None),
        ]
    }

    #[test]
    fn groups_and_headline_count_sites_through_other_hosts() {
        let sites = four_sites();
        let idx: Vec<usize> = (0..sites.len()).collect();
        let g = group(&sites, &idx, GroupBy::Cloud);
        assert_eq!(label(&g[0]), "Amazon Web Services");
        assert_eq!(g[0].sites, vec![0, 1, 2]);
        assert_eq!((g[0].by.indirect(), g[0].by.third_party), (1, 0));
        assert_eq!(label(&g[1]), "Google Cloud");
        assert_eq!(g[1].sites, vec![0, 3]);
        let r = group(&sites, &idx, GroupBy::Region);
        let labels: Vec<(String, usize, usize)> = r
            .iter()
            .map(|g| (label(g), g.sites.len(), g.by.third_party))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("AWS us-west-2".to_owned(), 3, 2),
                ("AWS us-east-1".to_owned(), 2, 0),
                ("GCP (region unknown)".to_owned(), 1, 0),
                ("GCP europe-west1".to_owned(), 1, 0),
            ]
        );
        let h = headline(&sites, 11 * DAY_MS).unwrap();
        assert_eq!(
            headline_text(&h),
            "75 % of the sites you visited this week run on AWS or depend on it \
             (other hosts: 1); 75 % in us-west-2"
        );
        // Without dependencies, the same words as before.
        let plain: Vec<SiteSummary> = [shop(), blog()]
            .into_iter()
            .map(|mut r| {
                r.deps.clear();
                summary(&r)
            })
            .chain(sites[2..].iter().cloned())
            .collect();
        assert_eq!(
            headline_text(&headline(&plain, 11 * DAY_MS).unwrap()),
            "50 % of the sites you visited this week run on AWS; 25 % in us-east-1"
        );
    }

    #[test]
    fn what_if_splits_hosted_and_third_party() {
        let sites = four_sites();
        let west = Target::Region("aws".into(), "us-west-2".into());
        let w = what_if(&sites, &west);
        assert_eq!(
            w.hits,
            vec![
                (
                    0,
                    Hit {
                        through: Through::ThirdParty,
                        host: Some("auth.idp.example")
                    }
                ),
                (
                    1,
                    Hit {
                        through: Through::ThirdParty,
                        host: Some("auth.idp.example")
                    }
                ),
                (
                    2,
                    Hit {
                        through: Through::Main(Path::Hosting),
                        host: None
                    }
                ),
            ]
        );
        assert_eq!(
            said(&w, &west),
            "If AWS us-west-2 fails, 3 of your 4 sites break: 1 hosted there, 2 through a third party."
        );
        // Through the site's own API host only: the old words.
        let east = Target::Region("aws".into(), "us-east-1".into());
        let e = what_if(&sites, &east);
        assert_eq!(e.hits[0].1.through, Through::OwnHost);
        assert_eq!(
            said(&e, &east),
            "2 of 4 sites (50 %) would go down with AWS us-east-1."
        );
        let aws = Target::Provider("aws".into());
        assert_eq!(
            said(&what_if(&sites, &aws), &aws),
            "3 of 4 sites (75 %) would go down with Amazon Web Services."
        );
        let one = what_if(&sites[..1], &west);
        assert_eq!(
            said(&one, &west),
            "If AWS us-west-2 fails, 1 of your 1 site breaks: 0 hosted there, 1 through a third party."
        );
        let gcp = Target::Provider("gcp".into());
        let only_idp = [summary(&blog()), row("x.example", Some("gcp"), None)];
        assert_eq!(
            said(&what_if(&only_idp, &aws), &aws),
            "1 of 2 sites (50 %) would go down with Amazon Web Services."
        );
        assert_eq!(what_if(&only_idp, &gcp).counts().third_party, 0);
        // A provider only behind images takes nothing down and is not offered.
        let fastly = Target::Provider("fastly".into());
        assert!(what_if(&sites, &fastly).hits.is_empty());
        let c = what_if_choices(&sites);
        assert!(c.hosts.iter().all(|(t, _)| *t != fastly));
        assert_eq!(c.hosts[0], (aws, 3));
        assert!(c.regions.contains(&(west, 3)));
        assert!(c.regions.contains(&(east, 2)));
    }

    #[test]
    fn dates_and_ages() {
        let now = 1_795_372_860_000;
        assert_eq!(days_old("2026-11-20", now), Some(2));
        assert_eq!(days_old("2026-11-20T10:00:00Z", now), Some(2));
        assert_eq!(days_old("1234567", now), None);
        assert_eq!(days_old("2026-13-01", now), None);
        assert_eq!(
            days_old("2027-01-01", now),
            None,
            "future dates are not ages"
        );
        assert_eq!(ago(now, now - 5_000), "just now");
        assert_eq!(ago(now, now - 3 * 3_600_000), "3 h ago");
        assert_eq!(ago(now, now - DAY_MS), "1 day ago");
        let feed = |p: &str, d: Option<&str>| FeedInfo {
            file: format!("{p}.json"),
            provider: p.into(),
            date: d.map(str::to_owned),
            version: None,
            records: 1,
        };
        let fs = FeedStatus {
            feeds: vec![
                feed("aws", Some("2026-11-20")),
                feed("gcp", Some("2026-10-23")),
                feed("azure", None),
            ],
            ..FeedStatus::default()
        };
        assert_eq!(
            data_age(&fs, Some("aws"), now).unwrap(),
            "AWS IP ranges of 2026-11-20 (2 days old)"
        );
        assert!(data_age(&fs, Some("azure"), now)
            .unwrap()
            .starts_with("Oldest IP ranges of 2026-10-23"));
        assert_eq!(data_age(&FeedStatus::default(), None, now), None);
    }
}
