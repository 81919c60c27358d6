//! What the badge, the popup and the dashboard show: pure functions of the tracker's state.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::correlation::Correlation;
use crate::correlation::SiteFacts;
use crate::exposure::MAX_VIA;
use crate::health::HealthState;
use crate::panel::{
    self, Banners, DashboardQuery, DashboardView, ExportFormat, OptionsView, PopupQuery, PopupView,
    Row, TabPanel,
};
use crate::profile::{Resolution, SiteProfile};
use crate::protocol::views::{Overview, TabView, WorkerStats};
use crate::site::host_of_url;
use crate::site_record::SiteRecord;
use crate::summary::SiteSummary;
use crate::Millis;

use super::Tracker;

/// Grey for "not known (yet)".
pub const UNKNOWN_COLOR: &str = "#5F6368";
/// Red for a site that is down (the provider label stays).
pub const DOWN_COLOR: &str = "#B3261E";
/// Amber for a degraded site.
pub const DEGRADED_COLOR: &str = "#A15C00";

/// What a tab's badge shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Badge {
    /// At most four characters (`AWS`, `CF`, `?`).
    pub text: String,
    /// Background colour, `#rrggbb`.
    pub color: String,
    /// Tooltip: the whole stack in one line.
    pub title: String,
}

impl Badge {
    /// No badge (after "clear data").
    pub fn empty() -> Self {
        Self {
            text: String::new(),
            color: UNKNOWN_COLOR.to_owned(),
            title: "OneBasket".to_owned(),
        }
    }

    fn unknown(title: String) -> Self {
        Self {
            text: "?".to_owned(),
            color: UNKNOWN_COLOR.to_owned(),
            title,
        }
    }
}

impl Tracker {
    /// The profile of a site's main host: derived now from its evidence, or, for a record a
    /// version that stored verdicts left, that verdict until the host's next look-up.
    pub fn main_profile(&self, record: &SiteRecord) -> Option<Cow<'_, SiteProfile>> {
        match self.known.evidence(&record.main_host) {
            Some(ev) => Some(Cow::Owned(self.classifier().classify(ev))),
            None => record.profile.as_ref().map(|p| Cow::Owned(p.clone())),
        }
    }

    /// The badge of a recorded site: its provider's label (or `?`), red when the site is down
    /// and amber when it is degraded.
    pub fn badge(&self, site: &str) -> Option<Badge> {
        let record = self.sites.get(site)?;
        let mut badge = self.provider_badge(record);
        match record.status {
            HealthState::Down => {
                badge.color = DOWN_COLOR.to_owned();
                badge.title = format!("DOWN — {}", badge.title);
            }
            HealthState::Degraded => {
                badge.color = DEGRADED_COLOR.to_owned();
                badge.title = format!("DEGRADED — {}", badge.title);
            }
            HealthState::Up | HealthState::Unknown => {}
        }
        Some(badge)
    }

    /// The provider's label and colour, or `?` while looking up, waiting for the IP ranges or
    /// unknown.
    fn provider_badge(&self, record: &SiteRecord) -> Badge {
        let looking_up = self.pending.contains(&record.main_host);
        let looking = || Badge::unknown(format!("OneBasket: looking up {}…", record.main_host));
        let Some(profile) = self.main_profile(record) else {
            return looking();
        };
        let classifier = self.classifier();
        let line = classifier.stack_line(&profile);
        let provider = profile
            .badge_provider()
            .and_then(|id| classifier.rules().get(id));
        let waiting = if profile.ranges_missing {
            " (waiting for IP ranges)"
        } else {
            ""
        };
        match provider {
            Some(p) => Badge {
                text: p.badge.clone(),
                color: p.color.clone(),
                title: format!("OneBasket · {}: {line}{waiting}", record.site),
            },
            None if profile.ranges_missing => Badge::unknown(format!(
                "OneBasket · {}: waiting for IP ranges · {line}",
                record.site
            )),
            None if profile.resolution == Resolution::Ok => {
                Badge::unknown(format!("OneBasket · {}: {line}", record.site))
            }
            None if looking_up => looking(),
            None => Badge::unknown(format!(
                "OneBasket · {}: not known yet ({})",
                record.site, profile.resolution
            )),
        }
    }

    /// One site's row, as derived now.
    pub fn summary(&self, record: &SiteRecord, now: Millis) -> SiteSummary {
        let window = self.settings.health_config().window_ms;
        SiteSummary::of(
            record,
            &self.known,
            self.classifier().rules(),
            now,
            window,
            MAX_VIA,
        )
    }

    /// The popup's view of a tab showing `url`.
    pub fn tab_view(&self, url: &str, now: Millis) -> TabView {
        let host = host_of_url(url);
        let site = host.as_deref().and_then(|h| self.site_for(h));
        let record = site.as_deref().and_then(|s| self.sites.get(s));
        TabView {
            summary: record.map(|r| self.summary(r, now)),
            profile: record.and_then(|r| self.main_profile(r).map(Cow::into_owned)),
            looking_up: record.is_some_and(|r| self.pending.contains(&r.main_host)),
            host,
            site,
        }
    }

    /// The popup's view of a tab showing `url`, in words.
    pub fn tab_panel(&self, url: &str, now: Millis) -> TabPanel {
        let v = self.tab_view(url, now);
        panel::tab::tab_panel(
            v.host.as_deref(),
            v.site.as_deref(),
            v.summary.as_ref(),
            v.profile.as_ref(),
            v.looking_up,
            self.classifier().rules(),
        )
    }

    /// Every site's row as derived now, most recently seen first (ties by site).
    pub fn summaries(&self, now: Millis) -> Vec<SiteSummary> {
        self.summaries_naming(now, MAX_VIA)
    }

    /// [`Tracker::summaries`] naming at most `named` hosts per exposure entry.
    fn summaries_naming(&self, now: Millis, named: usize) -> Vec<SiteSummary> {
        let window = self.settings.health_config().window_ms;
        let rules = self.classifier().rules();
        let mut sites: Vec<SiteSummary> = self
            .sites
            .values()
            .map(|r| SiteSummary::of(r, &self.known, rules, now, window, named))
            .collect();
        crate::sort::sort_by(&mut sites, |a, b| {
            b.last_seen
                .cmp(&a.last_seen)
                .then_with(|| a.site.cmp(&b.site))
        });
        sites
    }

    /// What the pages' views count from: every site's summary naming one host per exposure
    /// entry, and the full row of any of them.
    fn counted(&self, now: Millis) -> (Vec<SiteSummary>, impl Fn(&SiteSummary) -> Row + '_) {
        let rules = self.classifier().rules();
        let row = move |s: &SiteSummary| match self.sites.get(&s.site) {
            Some(r) => Row::of(&self.summary(r, now), rules),
            None => Row::of(s, rules),
        };
        (self.summaries_naming(now, 1), row)
    }

    /// Every site's row, most recently seen first, with the feed state, settings, correlations
    /// and incidents.
    pub fn overview(&self, now: Millis) -> Overview {
        let sites = self.summaries(now);
        Overview {
            correlations: self.correlations_of(&sites, now),
            sites,
            feeds: self.feeds.status.clone(),
            settings: self.settings.clone(),
            offline: self.health.offline,
            incidents: self.incidents(now),
        }
    }

    /// The open incidents of the providers whose status is polled.
    fn incidents(&self, now: Millis) -> Vec<crate::status::ProviderIncident> {
        let status = &self.health.status;
        // A status is shown while polling it goes on (see `STATUS_SHOWN_MS`).
        status
            .providers
            .iter()
            .filter(|(p, _)| {
                self.settings.status_feeds
                    && status
                        .polled
                        .get(*p)
                        .is_some_and(|&at| now.saturating_sub(at) <= crate::status::STATUS_SHOWN_MS)
            })
            .flat_map(|(_, s)| s.incidents.iter().cloned())
            .collect()
    }

    /// What every page shows above its content, over rows already built.
    fn banners(&self, rows: &[SiteSummary], now: Millis) -> Banners {
        Banners {
            offline: self.health.offline,
            correlation: self.correlations_of(rows, now).into_iter().next(),
            incidents: self.incidents(now),
        }
    }

    /// The popup's view of the user's sites.
    pub fn popup_view(&self, q: &PopupQuery, now: Millis) -> PopupView {
        let (sites, row) = self.counted(now);
        let banners = self.banners(&sites, now);
        let rules = self.classifier().rules();
        let feeds = self.feeds.status.clone();
        panel::popup(&sites, rules, &row, q, banners, feeds, now)
    }

    /// The dashboard's view.
    pub fn dashboard_view(&self, q: &DashboardQuery, now: Millis) -> DashboardView {
        let (sites, row) = self.counted(now);
        let banners = self.banners(&sites, now);
        panel::dashboard(&sites, self.classifier().rules(), &row, q, banners, now)
    }

    /// Every site as a file to download, most recently seen first.
    pub fn export(&self, format: ExportFormat, now: Millis) -> String {
        let sites = self.summaries(now);
        match format {
            ExportFormat::Csv => panel::export::to_csv(&sites),
            ExportFormat::Json => panel::export::to_json(&sites),
        }
    }

    /// What the options page shows beside the form.
    pub fn options_view(&self, now: Millis) -> OptionsView {
        let feeds = self.feeds.status.clone();
        OptionsView {
            settings: self.settings.clone(),
            sites: self.sites.len(),
            stale: crate::knowledge::feed_age_warnings(
                self.classifier().rules(),
                &feeds.feeds,
                now,
            ),
            feeds,
        }
    }

    /// Failures concentrating on one provider, region, edge or DNS provider.
    pub fn correlations(&self, now: Millis) -> Vec<Correlation> {
        if self.failing() < 2 {
            return Vec::new();
        }
        let rows: Vec<SiteSummary> = self.sites.values().map(|r| self.summary(r, now)).collect();
        self.correlations_of(&rows, now)
    }

    /// How many sites are down or degraded.
    fn failing(&self) -> usize {
        self.sites
            .values()
            .filter(|r| matches!(r.status, HealthState::Down | HealthState::Degraded))
            .count()
    }

    /// [`Tracker::correlations`] over rows already built: each site's critical exposure.
    fn correlations_of(&self, rows: &[SiteSummary], now: Millis) -> Vec<Correlation> {
        // A group needs two failing sites: with fewer there is nothing to correlate.
        if self.failing() < 2 {
            return Vec::new();
        }
        let window = self.settings.health_config().window_ms;
        let facts: Vec<SiteFacts> = rows
            .iter()
            .map(|s| {
                let blamed = self.sites.get(&s.site).map_or_else(Vec::new, |r| {
                    r.blamed(now, window)
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                });
                s.facts(blamed)
            })
            .collect();
        let rules = self.classifier().rules();
        let names = |id: &str| {
            rules
                .get(id)
                .map_or_else(|| id.to_owned(), |p| p.name.clone())
        };
        crate::correlation::correlate(&facts, 2, crate::correlation::DEFAULT_ALPHA, &names)
    }

    /// The tracker's own figures (the caller adds its memory).
    pub fn stats(&self) -> WorkerStats {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let deps = self.sites.values().map(|r| r.deps.len()).sum();
        let classified = self
            .sites
            .values()
            .flat_map(|r| r.deps.keys())
            .filter(|h| self.known.knows(h))
            .count();
        WorkerStats {
            sites: count(self.sites.len()),
            deps: count(deps),
            deps_classified: count(classified),
            classes: count(self.known.len()),
            pending: count(self.pending.len()),
            last_answer_at: self.last_answer_at,
            last_profile_at: self.last_evidence_at,
            wasm_memory_bytes: 0,
        }
    }
}
