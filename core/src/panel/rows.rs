//! The rows of the lists: which match a filter, how the table sorts them, which are failing,
//! and what of each a list sends (the slim row).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::health::HealthState;
use crate::reach::{is_failing, sort_indices};
use crate::rules::Rules;
use crate::summary::SiteSummary;

/// Columns of the dashboard's table (the sortable ones).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Column {
    /// Site key.
    Site,
    /// The cloud it runs on.
    Cloud,
    /// Hosting region.
    Region,
    /// Edge / CDN.
    Edge,
    /// DNS provider.
    Dns,
    /// Health.
    Status,
    /// Last visit.
    #[default]
    LastSeen,
    /// Visits.
    Visits,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 8] = [
        Column::Site,
        Column::Cloud,
        Column::Region,
        Column::Edge,
        Column::Dns,
        Column::Status,
        Column::LastSeen,
        Column::Visits,
    ];

    /// The natural first direction: newest and most visited first; names A→Z.
    pub fn descending_first(self) -> bool {
        matches!(self, Column::LastSeen | Column::Visits)
    }
}

/// Sort rank of a status: the worst first.
pub fn status_rank(s: HealthState) -> u8 {
    match s {
        HealthState::Down => 0,
        HealthState::Degraded => 1,
        HealthState::Unknown => 2,
        HealthState::Up => 3,
    }
}

/// The cloud a site runs on: the ultimate cloud, else its host; behind a CDN with an unknown
/// origin, none (the row says "origin unknown", never the CDN).
pub fn cloud_of(s: &SiteSummary) -> Option<&str> {
    s.class.cloud.as_deref().or(s.class.hosting.as_deref())
}

/// True when the filter matches the site, its host, a provider (id, name or badge) or region,
/// its own or that of a host it critically needs. `needle` is trimmed and lowercase.
pub fn matches(s: &SiteSummary, needle: &str, rules: &Rules) -> bool {
    if needle.is_empty() {
        return true;
    }
    // ASCII folding: hostnames are punycode and provider names ASCII.
    let has = |v: &str| v.to_ascii_lowercase().contains(needle);
    let provider = |p: &str| has(p) || rules.get(p).is_some_and(|p| has(&p.name) || has(&p.badge));
    has(&s.site)
        || has(&s.main_host)
        || s.class.region.as_deref().is_some_and(has)
        || [
            &s.class.cloud,
            &s.class.hosting,
            &s.class.edge,
            &s.class.dns,
        ]
        .into_iter()
        .flatten()
        .any(|p| provider(p))
        || s.exposure.critical.iter().any(|e| {
            provider(&e.provider)
                || e.region.as_deref().is_some_and(has)
                || e.via.iter().any(|v| has(&v.host))
        })
}

/// Indices of the failing sites: down first, then degraded, most recently seen first.
pub fn failing(sites: &[SiteSummary], idx: &[usize]) -> Vec<usize> {
    let mut out: Vec<usize> = idx
        .iter()
        .copied()
        .filter(|&i| sites.get(i).is_some_and(is_failing))
        .collect();
    sort_indices(&mut out, &|a, b| {
        status_rank(sites[a].status)
            .cmp(&status_rank(sites[b].status))
            .then_with(|| sites[b].last_seen.cmp(&sites[a].last_seen))
    });
    out
}

/// Orders two rows by a column (unknown values after known ones), then by site.
pub fn compare(a: &SiteSummary, b: &SiteSummary, col: Column, rules: &Rules) -> Ordering {
    let name = |v: Option<&str>| {
        v.map(|p| {
            rules
                .get(p)
                .map_or(p, |p| p.name.as_str())
                .to_ascii_lowercase()
        })
    };
    let by_opt = |x: Option<String>, y: Option<String>| match (x, y) {
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (x, y) => x.cmp(&y),
    };
    let primary = match col {
        Column::Site => a.site.cmp(&b.site),
        Column::Cloud => by_opt(name(cloud_of(a)), name(cloud_of(b))),
        Column::Region => by_opt(a.class.region.clone(), b.class.region.clone()),
        Column::Edge => by_opt(name(a.class.edge.as_deref()), name(b.class.edge.as_deref())),
        Column::Dns => by_opt(name(a.class.dns.as_deref()), name(b.class.dns.as_deref())),
        Column::Status => status_rank(a.status).cmp(&status_rank(b.status)),
        Column::LastSeen => a.last_seen.cmp(&b.last_seen),
        Column::Visits => a.visits.cmp(&b.visits),
    };
    primary.then_with(|| a.site.cmp(&b.site))
}

/// Sorts indices of rows by a column.
pub fn sort(
    sites: &[SiteSummary],
    idx: &mut [usize],
    col: Column,
    descending: bool,
    rules: &Rules,
) {
    sort_indices(idx, &|a, b| {
        let o = compare(&sites[a], &sites[b], col, rules);
        if descending {
            o.reverse()
        } else {
            o
        }
    });
}
