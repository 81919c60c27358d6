//! What the worker answers with besides the page views: a site's row, the IP-range state, the
//! overview, the popup's tab and the worker's own figures.

use serde::{Deserialize, Serialize};

use super::settings::Settings;
use crate::health::correlation::{Correlation, SiteFacts};
use crate::health::HealthState;
use crate::profile::SiteProfile;
use crate::site_record::SiteRecord;
use crate::status::ProviderIncident;
use crate::table::FeedInfo;
use crate::Millis;

/// One row of the overview: a site and its stack in brief.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteSummary {
    /// The site key.
    pub site: String,
    /// Its main hostname.
    pub main_host: String,
    /// Provider id the badge shows (edge before host), if known.
    pub badge: Option<String>,
    /// Ultimate cloud.
    pub cloud: Option<String>,
    /// Hosting provider.
    pub hosting: Option<String>,
    /// Hosting region.
    pub region: Option<String>,
    /// Edge / CDN provider.
    pub edge: Option<String>,
    /// Further CDNs it is spread over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edge_also: Vec<String>,
    /// DNS provider (the first its name servers name).
    pub dns: Option<String>,
    /// Further DNS providers among its name servers (redundant DNS).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_also: Vec<String>,
    /// Some of its name servers are its own (under its own domain).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_dns: bool,
    /// Some of its name servers belong to no provider the rules know.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dns_other: bool,
    /// Last visit.
    pub last_seen: Millis,
    /// Visits.
    pub visits: u32,
    /// Failures seen in the history.
    pub failures: u32,
    /// Whether it works right now.
    #[serde(default)]
    pub status: HealthState,
    /// The providers whose failure would break it (through its own hosts or a critical third
    /// party), and those it only loads images and the like from.
    #[serde(default)]
    pub exposure: crate::exposure::Exposure,
    /// When it fails while its own hosts answer: the critical third party that does not.
    #[serde(default)]
    pub blame: Option<crate::deps::Blame>,
}

impl SiteSummary {
    /// The summary of a record at `now`, its hosts' layers read from `classes` (what each
    /// looked-up host runs on, as derived now; `rules` say which providers are clouds), with
    /// the third party to blame for a failure seen within `window_ms`.
    pub fn of(
        r: &SiteRecord,
        classes: &dyn crate::deps::ClassOf,
        rules: &crate::rules::Rules,
        now: Millis,
        window_ms: Millis,
    ) -> Self {
        Self::naming(r, classes, rules, now, window_ms, crate::exposure::MAX_VIA)
    }

    /// [`SiteSummary::of`] naming at most `named` hosts per exposure entry
    /// ([`crate::exposure::exposure_naming`]): the pages' views count from summaries naming one.
    pub fn naming(
        r: &SiteRecord,
        classes: &dyn crate::deps::ClassOf,
        rules: &crate::rules::Rules,
        now: Millis,
        window_ms: Millis,
        named: usize,
    ) -> Self {
        let c = classes.class_of(&r.main_host);
        let list =
            |f: fn(&crate::deps::HostClass) -> &Vec<String>| c.map(f).cloned().unwrap_or_default();
        Self {
            site: r.site.clone(),
            main_host: r.main_host.clone(),
            badge: c.and_then(|c| c.badge_provider().map(str::to_owned)),
            cloud: c.and_then(|c| c.cloud.clone()),
            hosting: c.and_then(|c| c.hosting.clone()),
            region: c.and_then(|c| c.region.clone()),
            edge: c.and_then(|c| c.edge.clone()),
            edge_also: list(|c| &c.edge_also),
            dns: c.and_then(|c| c.dns.clone()),
            dns_also: list(|c| &c.dns_also),
            own_dns: c.is_some_and(|c| c.own_dns),
            dns_other: c.is_some_and(|c| c.dns_other),
            last_seen: r.last_seen,
            visits: r.visits,
            failures: u32::try_from(r.failures.len()).unwrap_or(u32::MAX),
            status: r.status,
            exposure: crate::exposure::exposure_naming(r, classes, rules, named),
            blame: r.blame(classes, now, window_ms),
        }
    }

    /// What correlation needs of this row, with the hosts its failure is put down to.
    pub fn facts(&self, blamed: Vec<String>) -> SiteFacts {
        SiteFacts {
            site: self.site.clone(),
            state: self.status,
            exposure: self.exposure.critical.clone(),
            blamed,
        }
    }

    /// True when the site is behind a CDN and nothing says where it runs behind it.
    pub fn origin_unknown(&self) -> bool {
        self.edge.is_some() && self.hosting.is_none() && self.cloud.is_none()
    }

    /// True when its DNS has more than one operator: no one DNS provider's failure breaks it.
    pub fn redundant_dns(&self) -> bool {
        let operators = usize::from(self.dns.is_some())
            + self.dns_also.len()
            + usize::from(self.own_dns)
            + usize::from(self.dns_other);
        operators > 1
    }
}

/// The state of the IP-range data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedStatus {
    /// The feeds in the table, with their dates.
    pub feeds: Vec<FeedInfo>,
    /// Records in the table.
    pub records: u32,
    /// When the last refresh finished.
    pub refreshed_at: Option<Millis>,
    /// Per-file problems of the last refresh (the previous data stays in use).
    pub errors: Vec<String>,
}

/// What the popup shows first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Every site, most recently seen first.
    pub sites: Vec<SiteSummary>,
    /// The IP-range data in use.
    pub feeds: FeedStatus,
    /// The settings in force.
    pub settings: Settings,
    /// Failures concentrating on one provider / region / edge / DNS provider, strongest first.
    #[serde(default)]
    pub correlations: Vec<Correlation>,
    /// Every check failed, the resolver's included: the user is offline, not the world.
    #[serde(default)]
    pub offline: bool,
    /// Open incidents on the status pages of the providers the user's sites use.
    #[serde(default)]
    pub incidents: Vec<ProviderIncident>,
}

/// Everything the popup shows about its tab: one answer to [`Request::GetTab`](super::Request::GetTab).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabView {
    /// The tab's host; `None` when the tab is not a web page.
    pub host: Option<String>,
    /// The site key it is recorded under (Public Suffix List); `None` for pages the extension
    /// does not record (not a web page, a private name while the resolver is not on this
    /// machine, a private address).
    pub site: Option<String>,
    /// The site's row (layers, status, what it depends on, blame); `None` when not recorded yet.
    pub summary: Option<SiteSummary>,
    /// Its main host's profile, derived now from the stored evidence, with the reasons behind
    /// each layer; `None` while it was never looked up.
    pub profile: Option<SiteProfile>,
    /// A look-up of its main host is under way.
    pub looking_up: bool,
}

/// The worker's own figures: what it holds and when it last did what.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStats {
    /// Sites recorded.
    pub sites: u32,
    /// Dependencies recorded, over all sites.
    pub deps: u32,
    /// Dependencies whose host is classified.
    pub deps_classified: u32,
    /// Distinct hostnames with a shared class.
    pub classes: u32,
    /// Look-ups under way.
    pub pending: u32,
    /// When the last DoH answer arrived (ms since the epoch; 0: none yet).
    pub last_answer_at: u64,
    /// When the last finished look-up was applied (ms since the epoch; 0: none yet).
    pub last_profile_at: u64,
    /// Bytes of the worker's WebAssembly memory (everything the worker's Rust side holds).
    pub wasm_memory_bytes: u64,
}
