//! The one typed message protocol between the extension's background worker and its pages
//! (popup, dashboard, options), plus the stored state both sides speak of.
//!
//! The worker owns every value here; pages send a [`Request`] and render the [`Response`].
//! Field names are camelCase on the wire because the same JSON lives in `chrome.storage`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::engine::Millis;
use crate::profile::SiteProfile;
use crate::table::FeedInfo;

/// Cloudflare's RFC 8484 endpoint: the default resolver.
pub const DEFAULT_RESOLVER: &str = "https://cloudflare-dns.com/dns-query";

/// The `type` of the message the worker sends its open pages (popup, dashboard) when what
/// they show changed (a look-up finished, the IP ranges arrived, a site failed): they ask again.
pub const CHANGED: &str = "changed";

/// How many failures a site keeps in its history.
pub const MAX_FAILURES: usize = 50;

/// How many hostnames a site keeps.
pub const MAX_HOSTS: usize = 64;

/// Longest error text kept for a dependency (browser error names are short; this bounds
/// whatever else arrives).
const MAX_ERROR_CHARS: usize = 120;

/// The user's settings, stored under the `settings` key of `chrome.storage.local`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// RFC 8484 resolver URL.
    pub resolver: String,
    /// Base URL of a feed mirror holding the official file names, or `null` for the official URLs.
    pub feed_base: Option<String>,
    /// Ask Team Cymru (over the same resolver) for the AS of each site's address.
    pub asn_lookups: bool,
    /// Record sites visited in incognito / private windows.
    pub record_incognito: bool,
    /// Forget sites not visited for this many days.
    pub retention_days: u32,
    /// Resolve addresses with the browser's own resolver where it has one (Firefox
    /// `dns.resolve`) instead of the DoH resolver; NS and AS look-ups still use DoH.
    pub resolve_with_browser: bool,
    /// Check recently visited sites now and then (a DoH resolution and a HEAD request).
    pub active_checks: bool,
    /// Minutes between checks of a healthy site.
    pub check_interval_minutes: u32,
    /// Poll the status pages of the providers the user's sites use.
    pub status_feeds: bool,
    /// Show a notification when failures concentrate on one provider (needs the optional
    /// `notifications` permission).
    pub notify_failures: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resolver: DEFAULT_RESOLVER.to_owned(),
            feed_base: None,
            asn_lookups: true,
            record_incognito: false,
            retention_days: 30,
            resolve_with_browser: false,
            active_checks: true,
            check_interval_minutes: 5,
            status_feeds: true,
            notify_failures: false,
        }
    }
}

/// Why a setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A URL setting is not an absolute http(s) URL.
    #[error("{field}: {value:?} is not an absolute URL")]
    NotAUrl {
        /// Which setting.
        field: &'static str,
        /// What was given.
        value: String,
    },
    /// Plain http is only allowed for loopback (testing, a local resolver).
    #[error("{field}: must be https (plain http only on localhost / 127.0.0.1 / [::1])")]
    NotHttps {
        /// Which setting.
        field: &'static str,
    },
    /// Retention outside 1..=3650 days.
    #[error("retentionDays must be between 1 and 3650, not {0}")]
    Retention(u32),
    /// Check interval outside 1..=1440 minutes.
    #[error("checkIntervalMinutes must be between 1 and 1440, not {0}")]
    CheckInterval(u32),
}

impl Settings {
    /// Checks the URLs (https, or http on loopback) and the retention period.
    pub fn validate(&self) -> Result<(), SettingsError> {
        check_url("resolver", &self.resolver)?;
        if let Some(base) = &self.feed_base {
            check_url("feedBase", base)?;
        }
        if !(1..=3650).contains(&self.retention_days) {
            return Err(SettingsError::Retention(self.retention_days));
        }
        if !(1..=1440).contains(&self.check_interval_minutes) {
            return Err(SettingsError::CheckInterval(self.check_interval_minutes));
        }
        Ok(())
    }

    /// The failure detector's tunables for these settings.
    pub fn health_config(&self) -> crate::health::HealthConfig {
        crate::health::HealthConfig {
            check_interval_ms: u64::from(self.check_interval_minutes) * 60_000,
            ..crate::health::HealthConfig::default()
        }
    }
}

impl Settings {
    /// True when the resolver runs on this machine (then local names may be asked).
    pub fn resolver_is_loopback(&self) -> bool {
        url_host(&self.resolver).is_some_and(is_loopback_host)
    }
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host of `scheme://[user@]host[:port]/…`, brackets removed.
fn url_host(value: &str) -> Option<&str> {
    let (_, rest) = value.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

/// Accepts `https://host…` anywhere and `http://` only on loopback.
fn check_url(field: &'static str, value: &str) -> Result<(), SettingsError> {
    let not_url = || SettingsError::NotAUrl {
        field,
        value: value.to_owned(),
    };
    let (scheme, _) = value.split_once("://").ok_or_else(not_url)?;
    let host = url_host(value).ok_or_else(not_url)?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" => {
            if is_loopback_host(host) {
                Ok(())
            } else {
                Err(SettingsError::NotHttps { field })
            }
        }
        _ => Err(not_url()),
    }
}

/// One hostname of a site, as the browser saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostSeen {
    /// Responses seen from this host.
    pub responses: u32,
    /// The last public address the browser connected to (never a private one).
    pub last_ip: Option<IpAddr>,
    /// The last HTTP status.
    pub last_status: Option<u16>,
    /// When it was last seen.
    pub last_seen: Millis,
}

/// A failure the browser observed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailureSeen {
    /// When.
    pub at: Millis,
    /// Which hostname.
    pub host: String,
    /// What happened (`net::ERR_CONNECTION_REFUSED`, `HTTP 503`).
    pub error: String,
}

/// Everything the worker remembers about one site (registrable domain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteRecord {
    /// The site key.
    pub site: String,
    /// The hostname whose profile stands for the site (the first main-frame host seen).
    pub main_host: String,
    /// First visit.
    pub first_seen: Millis,
    /// Last visit.
    pub last_seen: Millis,
    /// Main-frame visits.
    pub visits: u32,
    /// Hostnames of the site seen so far (bounded by [`MAX_HOSTS`]).
    pub hosts: BTreeMap<String, HostSeen>,
    /// A profile stored by a version that kept verdicts instead of evidence (schema 1): shown
    /// until the main host's next look-up stores its evidence, then dropped. Never written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<SiteProfile>,
    /// When `profile` was computed (schema 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profiled_at: Option<Millis>,
    /// Recent failures, newest last (bounded by [`MAX_FAILURES`]).
    pub failures: Vec<FailureSeen>,
    /// Whether it works right now.
    #[serde(default)]
    pub status: HealthState,
    /// The failure detector's memory of this site.
    #[serde(default)]
    pub health: crate::health::SiteHealth,
    /// Scheme, host and port of the main page (what an active check requests); never a path.
    #[serde(default)]
    pub origin: Option<String>,
    /// Every other hostname the site's pages load, its own (`api.`, `cdn.`) and third parties,
    /// bounded by [`crate::deps::MAX_DEPS`]. Hostnames only: never a URL, path or query.
    #[serde(default)]
    pub deps: BTreeMap<String, crate::deps::Dependency>,
}

impl SiteRecord {
    /// A site first seen now through `host`.
    pub fn new(site: &str, host: &str, now: Millis) -> Self {
        Self {
            site: site.to_owned(),
            main_host: host.to_owned(),
            first_seen: now,
            last_seen: now,
            visits: 0,
            hosts: BTreeMap::new(),
            profile: None,
            profiled_at: None,
            failures: Vec::new(),
            status: HealthState::Unknown,
            health: crate::health::SiteHealth::default(),
            origin: None,
            deps: BTreeMap::new(),
        }
    }

    /// Records a request the site's page made to `host` (whose own site key is `site`): its
    /// resource type (`script`, `image`…), the public address it came from, and how it went.
    /// The main host is the site itself, not a dependency, and is skipped. When the set is
    /// full, the least used dependency makes room, non-critical ones first.
    #[allow(clippy::too_many_arguments)]
    pub fn depend(
        &mut self,
        host: &str,
        site: &str,
        third_party: bool,
        kind: &str,
        ip: Option<IpAddr>,
        outcome: crate::deps::DepOutcome<'_>,
        now: Millis,
    ) {
        use crate::deps::{DepOutcome, Dependency, MAX_DEPS};
        if host == self.main_host {
            return;
        }
        if !self.deps.contains_key(host) && self.deps.len() >= MAX_DEPS {
            if let Some(victim) = self
                .deps
                .iter()
                .min_by_key(|(_, d)| (d.critical, d.requests, d.last_seen))
                .map(|(h, _)| h.clone())
            {
                self.deps.remove(&victim);
            }
        }
        let dep = self
            .deps
            .entry(host.to_owned())
            .or_insert_with(|| Dependency {
                site: site.to_owned(),
                third_party,
                ..Dependency::default()
            });
        dep.requests = dep.requests.saturating_add(1);
        dep.last_seen = dep.last_seen.max(now);
        dep.add_type(kind);
        if let Some(ip) = ip.filter(|ip| crate::dns::is_public(*ip)) {
            dep.last_ip = Some(ip);
        }
        match outcome {
            DepOutcome::Status(status) if status >= 500 => {
                dep.last_failure = Some(now);
                dep.last_error = Some(format!("HTTP {status}"));
            }
            DepOutcome::Status(_) => dep.last_ok = Some(now),
            DepOutcome::Failed(error) => {
                dep.last_failure = Some(now);
                dep.last_error = Some(error.chars().take(MAX_ERROR_CHARS).collect());
            }
            DepOutcome::Unknown => {}
        }
    }

    /// Records a response from `host`; `main_frame` responses count as visits. A non-public
    /// `ip` is not kept (it is not evidence, and it is nobody else's business).
    pub fn observe(
        &mut self,
        host: &str,
        ip: Option<IpAddr>,
        status: Option<u16>,
        main_frame: bool,
        now: Millis,
    ) {
        self.last_seen = self.last_seen.max(now);
        if main_frame {
            self.visits = self.visits.saturating_add(1);
        }
        if !self.hosts.contains_key(host) && self.hosts.len() >= MAX_HOSTS {
            // Evict the least used host so a site with endless subdomains stays bounded.
            if let Some(victim) = self
                .hosts
                .iter()
                .filter(|(h, _)| **h != self.main_host)
                .min_by_key(|(_, s)| (s.responses, s.last_seen))
                .map(|(h, _)| h.clone())
            {
                self.hosts.remove(&victim);
            }
        }
        let seen = self.hosts.entry(host.to_owned()).or_default();
        seen.responses = seen.responses.saturating_add(1);
        seen.last_seen = now;
        if let Some(ip) = ip.filter(|ip| crate::dns::is_public(*ip)) {
            seen.last_ip = Some(ip);
        }
        if status.is_some() {
            seen.last_status = status;
        }
    }

    /// Records a failure, keeping the newest [`MAX_FAILURES`].
    pub fn fail(&mut self, host: &str, error: &str, now: Millis) {
        self.failures.push(FailureSeen {
            at: now,
            host: host.to_owned(),
            error: error.to_owned(),
        });
        if self.failures.len() > MAX_FAILURES {
            let extra = self.failures.len() - MAX_FAILURES;
            self.failures.drain(..extra);
        }
    }

    /// True when the site was not seen within `retention_days` before `now`.
    pub fn expired(&self, now: Millis, retention_days: u32) -> bool {
        now.saturating_sub(self.last_seen) > u64::from(retention_days) * 86_400_000
    }
}

/// Whether a site works right now (the failure detector's verdict).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthState {
    /// Loads fine.
    Up,
    /// Some recent requests failed.
    Degraded,
    /// Recent requests fail.
    Down,
    /// Not known (never checked, or the resolver failed, or the user is offline).
    #[default]
    Unknown,
}

impl HealthState {
    /// Its word on the pages and in the exports (as on the wire).
    pub fn word(self) -> &'static str {
        match self {
            HealthState::Up => "up",
            HealthState::Degraded => "degraded",
            HealthState::Down => "down",
            HealthState::Unknown => "unknown",
        }
    }
}

/// Failures concentrating on one provider, region, edge or DNS provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Correlation {
    /// Which layer: `cloud`, `region`, `edge` or `dns`.
    pub layer: String,
    /// The group: a provider id (`aws`), or provider and region (`aws us-east-1`).
    pub key: String,
    /// Failing sites in the group.
    pub failing_in_group: u32,
    /// Failing sites in all.
    pub failing_total: u32,
    /// Healthy sites in the group.
    pub healthy_in_group: u32,
    /// Healthy sites in all.
    pub healthy_total: u32,
    /// Probability of at least this many failing sites in the group by chance (hypergeometric).
    pub p_value: f64,
    /// The failing sites in the group.
    pub sites: Vec<String>,
    /// Failing sites in the group only through a third party they need (their own hosts
    /// answer).
    #[serde(default)]
    pub through_third_party: u32,
    /// "4 of 5 failing sites are on AWS us-east-1; 0 of 12 healthy sites are there".
    pub message: String,
}

/// An incident a provider's status page reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderIncident {
    /// Provider id.
    pub provider: String,
    /// Incident title.
    pub title: String,
    /// Severity or impact as the page says (`minor`, `major`, `critical`, `high`…).
    pub severity: String,
    /// Link to the incident, if the feed gives one.
    pub url: Option<String>,
    /// When it began (as the feed spells it).
    pub started: Option<String>,
    /// Affected components or locations.
    pub affected: Vec<String>,
}

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
            blame: crate::deps::blame(r, classes, now, window_ms),
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

/// Everything the popup shows about its tab: one answer to [`Request::GetTab`].
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

/// A request from a page to the worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    /// The overview of all sites.
    GetOverview,
    /// One site's full record.
    GetSite {
        /// The site key.
        site: String,
    },
    /// The popup's whole view of the tab showing `url` (site key, row, profile with its
    /// evidence, dependencies), derived now.
    GetTab {
        /// The tab's URL (only its host is used).
        url: String,
    },
    /// The current settings.
    GetSettings,
    /// Replace the settings (validated; a new feed mirror triggers a refresh).
    SetSettings {
        /// The new settings.
        settings: Settings,
    },
    /// Forget every site (settings and IP-range data stay).
    ClearData,
    /// Download the feeds now.
    RefreshFeeds,
    /// Check every recently visited site now (answered when the round is over).
    CheckNow,
    /// The worker's own figures (sizes, timings), for diagnostics and benchmarks.
    GetStats,
    /// The popup's view of the user's sites: banners, headline, failing sites, groups (the
    /// members of the opened ones only).
    GetPopup {
        /// Grouping, filter, opened groups.
        #[serde(default)]
        query: crate::panel::PopupQuery,
    },
    /// The dashboard's view: a page of rows sorted and filtered, the what-if picker and the
    /// chosen scenario.
    GetDashboard {
        /// Sort, filter, rows wanted, scenario.
        #[serde(default)]
        query: crate::panel::DashboardQuery,
    },
    /// Every site as a file to download.
    GetExport {
        /// CSV or JSON.
        format: crate::panel::ExportFormat,
    },
    /// What the options page shows beside the form: settings, sites, feeds, stale feeds.
    GetOptions,
}

/// The worker's answer.
// One message is built per request and serialized at once: boxing the big variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Response {
    /// Answer to [`Request::GetOverview`].
    Overview {
        /// The overview.
        overview: Overview,
    },
    /// Answer to [`Request::GetSite`]; `null` when the site is unknown.
    Site {
        /// The record.
        site: Option<SiteRecord>,
    },
    /// Answer to [`Request::GetTab`].
    Tab {
        /// The view.
        tab: TabView,
    },
    /// Answer to [`Request::GetSettings`] and [`Request::SetSettings`].
    Settings {
        /// The settings now in force.
        settings: Settings,
    },
    /// Answer to [`Request::RefreshFeeds`].
    Feeds {
        /// The feed state after the refresh.
        feeds: FeedStatus,
    },
    /// Answer to [`Request::GetStats`].
    Stats {
        /// The figures.
        stats: WorkerStats,
    },
    /// Answer to [`Request::GetPopup`].
    Popup {
        /// The view.
        popup: crate::panel::PopupView,
    },
    /// Answer to [`Request::GetDashboard`].
    Dashboard {
        /// The view.
        dashboard: crate::panel::DashboardView,
    },
    /// Answer to [`Request::GetExport`].
    Export {
        /// The format asked for.
        format: crate::panel::ExportFormat,
        /// The file's text.
        text: String,
    },
    /// Answer to [`Request::GetOptions`].
    Options {
        /// The view.
        options: crate::panel::OptionsView,
    },
    /// The request was carried out.
    Done,
    /// The request failed; nothing changed.
    Error {
        /// Why.
        message: String,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn settings_defaults_and_wire_names() {
        let s = Settings::default();
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"resolver": DEFAULT_RESOLVER, "feedBase": null, "asnLookups": true, "recordIncognito": false, "retentionDays": 30, "resolveWithBrowser": false, "activeChecks": true, "checkIntervalMinutes": 5, "statusFeeds": true, "notifyFailures": false})
        );
        // Missing keys take their defaults: an older or partial stored object still loads.
        let partial: Settings = serde_json::from_str(r#"{"recordIncognito": true}"#).unwrap();
        assert!(partial.record_incognito);
        assert_eq!(partial.resolver, DEFAULT_RESOLVER);
    }

    #[test]
    fn settings_validation() {
        let mut s = Settings::default();
        assert!(s.validate().is_ok());
        for ok in [
            "http://127.0.0.1:8053/dns-query",
            "http://localhost/x",
            "http://[::1]:5/q",
            "https://dns.example/q",
        ] {
            s.resolver = ok.to_owned();
            assert!(s.validate().is_ok(), "{ok}");
        }
        for bad in [
            "http://dns.example/q",
            "ftp://x/",
            "dns.google",
            "https://",
            "http://10.0.0.1/q",
        ] {
            s.resolver = bad.to_owned();
            assert!(s.validate().is_err(), "{bad}");
        }
        s.resolver = DEFAULT_RESOLVER.to_owned();
        s.feed_base = Some("http://mirror.example".to_owned());
        assert_eq!(
            s.validate(),
            Err(SettingsError::NotHttps { field: "feedBase" })
        );
        s.feed_base = None;
        s.retention_days = 0;
        assert!(s.validate().is_err());
    }

    #[test]
    fn requests_round_trip_with_tags() {
        let r = Request::GetSite {
            site: "example.com".into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "getSite", "site": "example.com"})
        );
        assert_eq!(serde_json::from_value::<Request>(v).unwrap(), r);
        let v = serde_json::json!({"type": "getOverview"});
        assert_eq!(
            serde_json::from_value::<Request>(v).unwrap(),
            Request::GetOverview
        );
    }

    #[test]
    fn site_record_is_bounded_and_keeps_no_private_ip() {
        let mut r = SiteRecord::new("example.com", "www.example.com", 1);
        r.observe(
            "www.example.com",
            Some("10.0.0.1".parse().unwrap()),
            Some(200),
            true,
            2,
        );
        assert_eq!(r.hosts["www.example.com"].last_ip, None);
        r.observe(
            "www.example.com",
            Some("3.5.140.2".parse().unwrap()),
            Some(200),
            true,
            3,
        );
        assert_eq!(
            r.hosts["www.example.com"].last_ip,
            Some("3.5.140.2".parse().unwrap())
        );
        assert_eq!(r.visits, 2);
        for i in 0..200 {
            r.observe(&format!("h{i}.example.com"), None, None, false, 10 + i);
        }
        assert_eq!(r.hosts.len(), MAX_HOSTS);
        assert!(
            r.hosts.contains_key("www.example.com"),
            "the main host is never evicted"
        );
        for i in 0..120 {
            r.fail("www.example.com", "HTTP 503", i);
        }
        assert_eq!(r.failures.len(), MAX_FAILURES);
        assert_eq!(r.failures.last().unwrap().at, 119);
        assert!(!r.expired(209 + 86_400_000, 1));
        assert!(r.expired(210 + 2 * 86_400_000, 1));
    }
}
