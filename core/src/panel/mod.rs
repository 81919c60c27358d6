//! One view model per page request (as uBlock Origin Lite's panels): the worker filters,
//! groups, sorts and counts; a page gets only what it shows. At 1,000 sites with 50
//! dependencies each, the full overview was a 4.4 MB message; a popup's view is a few KB, a
//! dashboard page of rows a few hundred.
//!
//! The builders are pure functions of the rows (each site's [`SiteSummary`] as derived now),
//! the rules (provider names, for the filter and the sort) and the query.

use serde::{Deserialize, Serialize};

use crate::correlation::Correlation;
use crate::exposure::Through;
use crate::health::HealthState;
use crate::knowledge::FeedAgeWarning;
use crate::knowledge::FeedStatus;
use crate::reach::{
    group, headline, what_if, what_if_choices, Counts, GroupBy, GroupKey, Headline, Target,
    WhatIfChoices,
};
use crate::rules::Rules;
use crate::settings::Settings;
use crate::status::ProviderIncident;
use crate::summary::SiteSummary;
use crate::Millis;
use words::Names;

pub mod export;
mod row_serde;
pub mod rows;
pub mod tab;
pub mod words;

#[cfg(test)]
mod tests;

pub use export::ExportFormat;
pub use rows::Column;
pub use tab::TabPanel;

/// How many failing sites the popup lists (the dashboard has them all).
pub const FAILING_SHOWN: usize = 8;
/// How many members an opened group of the popup lists.
pub const MEMBERS_SHOWN: usize = 100;
/// Rows of the dashboard's first page (a table of thousands of rows is slow to lay out).
pub const PAGE: usize = 250;

/// What every page shows above its content: offline, a common cause, the providers' incidents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Banners {
    /// Every check failed, the resolver's included: the user is offline, not the world.
    pub offline: bool,
    /// The strongest correlation of failures, if any.
    pub correlation: Option<Correlation>,
    /// Open incidents on the status pages of the providers the user's sites use.
    pub incidents: Vec<ProviderIncident>,
}

/// A site as a list shows it: its layers, and its extra lines in words. A list never carries
/// a site's exposure: at 1,000 sites with 50 dependencies each that was 4.4 KB a site.
///
/// Its `Serialize` is written out (`row_serde`): JSON leaves absent lines out, the packed form
/// writes every field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Row {
    /// The site key.
    pub site: String,
    /// Its main hostname.
    pub main_host: String,
    /// Provider id its badge shows (edge before host).
    pub badge: Option<String>,
    /// The cloud it runs on ([`rows::cloud_of`]); none behind a CDN with an unknown origin.
    pub cloud: Option<String>,
    /// Hosting provider.
    pub hosting: Option<String>,
    /// Hosting region.
    pub region: Option<String>,
    /// Edge / CDN provider.
    pub edge: Option<String>,
    /// Its DNS operators ("Route 53 + NS1", "own name servers").
    pub dns: Option<String>,
    /// Its DNS in its line ("DNS on Route 53", "redundant DNS: …").
    pub dns_line: Option<String>,
    /// "origin unknown behind Cloudflare".
    pub origin: Option<String>,
    /// What it needs beyond its main host ("partly on AWS: …").
    pub partly: Option<String>,
    /// What it only loads images and the like from ("Also loads …").
    pub also: Option<String>,
    /// Why it fails while its own hosts answer ("fails because login through …").
    pub blame: Option<String>,
    /// Whether it works right now.
    pub status: HealthState,
    /// Last visit.
    pub last_seen: Millis,
    /// Visits.
    pub visits: u32,
}

impl Row {
    /// A site's row, its words in `names`.
    pub fn of(s: &SiteSummary, names: &dyn Names) -> Self {
        Self {
            site: s.site.clone(),
            main_host: s.main_host.clone(),
            badge: s.class.badge_provider().map(str::to_owned),
            cloud: rows::cloud_of(s).map(str::to_owned),
            hosting: s.class.hosting.clone(),
            region: s.class.region.clone(),
            edge: s.class.edge.clone(),
            dns: words::dns_of(names, s),
            dns_line: words::dns_line(names, s),
            origin: words::origin_line(names, s),
            partly: words::partly_on(names, s),
            also: words::also_loads(names, s),
            blame: s.blame.as_ref().map(|b| words::blame_text(names, b)),
            status: s.status,
            last_seen: s.last_seen,
            visits: s.visits,
        }
    }
}

/// What the popup asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PopupQuery {
    /// How the sites are grouped.
    pub group_by: GroupBy,
    /// The filter text as typed.
    pub filter: String,
    /// The groups whose members are shown (`None`: the unknown group).
    pub open: Vec<Option<GroupKey>>,
}

impl Default for PopupQuery {
    fn default() -> Self {
        Self {
            group_by: GroupBy::Cloud,
            filter: String::new(),
            open: Vec::new(),
        }
    }
}

/// One group as the popup lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupView {
    /// The group; `None` for the sites whose layer is unknown.
    pub key: Option<GroupKey>,
    /// Sites in it.
    pub count: usize,
    /// How many of them are down or degraded.
    pub failing: usize,
    /// How they depend on it.
    pub by: Counts,
    /// Its first [`MEMBERS_SHOWN`] sites when the group is open, else none.
    #[serde(default)]
    pub members: Vec<Row>,
}

/// Everything the popup shows but its tab (which is [`crate::protocol::views::TabView`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PopupView {
    /// Offline, common cause, incidents.
    pub banners: Banners,
    /// The IP-range data in use (its age is the popup's footer).
    pub feeds: FeedStatus,
    /// Every site recorded.
    pub total: usize,
    /// Those matching the filter.
    pub shown: usize,
    /// The figure the popup leads with (over all sites, not the filter).
    pub headline: Option<Headline>,
    /// Failing sites matching the filter.
    pub failing: usize,
    /// The first [`FAILING_SHOWN`] of them, worst first.
    pub failing_rows: Vec<Row>,
    /// The matching sites by the query's layer, largest first, the unknown group last.
    pub groups: Vec<GroupView>,
}

/// What the dashboard asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DashboardQuery {
    /// The column the table is sorted by.
    pub sort: Column,
    /// Largest / newest / last first.
    pub descending: bool,
    /// The filter text as typed.
    pub filter: String,
    /// Rows wanted; `None` for all.
    pub limit: Option<usize>,
    /// The what-if scenario chosen, if any.
    pub what_if: Option<Target>,
}

impl Default for DashboardQuery {
    fn default() -> Self {
        Self {
            sort: Column::LastSeen,
            descending: true,
            filter: String::new(),
            limit: Some(PAGE),
            what_if: None,
        }
    }
}

/// A site a what-if scenario takes down, as the dashboard lists it (a scenario may list
/// every site: each is a few words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HitRow {
    /// The site key.
    pub site: String,
    /// The provider its badge shows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    /// The closest way it depends on the target.
    pub through: Through,
    /// The host through which, when not its main one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// The answer of a what-if scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIfView {
    /// The scenario.
    pub target: Target,
    /// All the sites.
    pub total: usize,
    /// How the sites hit depend on it.
    pub counts: Counts,
    /// The sites hit, in the list's order (most recently seen first).
    pub hits: Vec<HitRow>,
}

/// Everything the dashboard shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DashboardView {
    /// Offline, common cause, incidents.
    pub banners: Banners,
    /// Every site recorded.
    pub total: usize,
    /// Those matching the filter.
    pub matched: usize,
    /// The headline figure (over all sites).
    pub headline: Option<Headline>,
    /// The first `limit` matching rows in the query's order.
    pub rows: Vec<Row>,
    /// The what-if picker's choices, each with the sites it takes down.
    pub choices: WhatIfChoices,
    /// The chosen scenario's answer.
    pub what_if: Option<WhatIfView>,
}

/// Everything the options page shows beside the form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OptionsView {
    /// The settings in force.
    pub settings: Settings,
    /// Sites recorded.
    pub sites: usize,
    /// The IP-range data in use.
    pub feeds: FeedStatus,
    /// Feeds older than their provider's cadence allows, stalest first.
    pub stale: Vec<FeedAgeWarning>,
}

/// The indices of the rows matching `filter` (as typed).
fn matching(sites: &[SiteSummary], filter: &str, rules: &Rules) -> Vec<usize> {
    let needle = filter.trim().to_ascii_lowercase();
    (0..sites.len())
        .filter(|&i| rows::matches(&sites[i], &needle, rules))
        .collect()
}

/// How a view makes the row of a site it lists: from the site's full summary (the views
/// count from summaries naming one host per entry; a row names up to four).
pub type RowOf<'a> = dyn Fn(&SiteSummary) -> Row + 'a;

/// The rows at `idx` (a site may be listed twice: in two groups it depends on).
fn take(sites: &[SiteSummary], idx: impl IntoIterator<Item = usize>, row: &RowOf<'_>) -> Vec<Row> {
    idx.into_iter()
        .filter_map(|i| sites.get(i))
        .map(row)
        .collect()
}

/// The popup's view of `sites` (most recently seen first); `row` makes the rows it lists.
pub fn popup(
    sites: &[SiteSummary],
    rules: &Rules,
    row: &RowOf<'_>,
    q: &PopupQuery,
    banners: Banners,
    feeds: FeedStatus,
    now: Millis,
) -> PopupView {
    let idx = matching(sites, &q.filter, rules);
    let failing = rows::failing(sites, &idx);
    let groups = group(sites, &idx, q.group_by)
        .into_iter()
        .map(|g| {
            let open = q.open.contains(&g.key);
            GroupView {
                count: g.sites.len(),
                failing: g.failing,
                by: g.by,
                members: if open {
                    take(sites, g.sites.iter().copied().take(MEMBERS_SHOWN), row)
                } else {
                    Vec::new()
                },
                key: g.key,
            }
        })
        .collect();
    PopupView {
        banners,
        feeds,
        total: sites.len(),
        shown: idx.len(),
        headline: headline(sites, now),
        failing: failing.len(),
        failing_rows: take(sites, failing.iter().copied().take(FAILING_SHOWN), row),
        groups,
    }
}

/// The dashboard's view of `sites` (most recently seen first); `row` makes the rows it lists.
pub fn dashboard(
    sites: &[SiteSummary],
    rules: &Rules,
    row: &RowOf<'_>,
    q: &DashboardQuery,
    banners: Banners,
    now: Millis,
) -> DashboardView {
    let mut idx = matching(sites, &q.filter, rules);
    rows::sort(sites, &mut idx, q.sort, q.descending, rules);
    let what_if = q.what_if.as_ref().map(|t| {
        let w = what_if(sites, t);
        WhatIfView {
            target: t.clone(),
            total: w.total,
            counts: w.counts(),
            hits: w
                .hits
                .iter()
                .filter_map(|(i, hit)| {
                    let s = sites.get(*i)?;
                    Some(HitRow {
                        site: s.site.clone(),
                        badge: s.class.badge_provider().map(str::to_owned),
                        through: hit.through,
                        host: hit.host.map(str::to_owned),
                    })
                })
                .collect(),
        }
    });
    DashboardView {
        banners,
        total: sites.len(),
        matched: idx.len(),
        headline: headline(sites, now),
        rows: take(
            sites,
            idx.iter().copied().take(q.limit.unwrap_or(usize::MAX)),
            row,
        ),
        choices: what_if_choices(sites),
        what_if,
    }
}
