//! "Failing now": which sites an active check round covers and what its results mean, which
//! status pages to poll, and the notification when failures concentrate on one provider. The
//! rules themselves are `health`'s and `status`'s; this is their bookkeeping.

use crate::deps::ClassOf;
use crate::health::checks::{is_offline, CheckOutcome};
use crate::health::state::{next_round, sites_due};
use crate::health::HealthState;
use crate::rules::schema::{Provider, StatusSource};
use crate::sorted_map::NameSet;
use crate::status::{next_poll, ProviderStatus, StatusFormat};
use crate::Millis;

use super::{Effect, Tracker};

/// One site an active check round covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCheck {
    /// The site key.
    pub site: String,
    /// Its main host (resolved over DoH).
    pub host: String,
    /// Its main page's origin (asked with a HEAD); `None` when never seen.
    pub origin: Option<String>,
}

/// A status page to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusPoll {
    /// Provider id.
    pub provider: String,
    /// The page's URL.
    pub url: String,
    /// Its format.
    pub format: StatusFormat,
}

impl Tracker {
    /// True while a check round is under way.
    pub fn checking(&self) -> bool {
        self.health.checking
    }

    /// When the worker should next wake for a round of checks ([`Tracker::plan_checks`] then
    /// plans one, unless a round is still under way): `None` when checks are off or no recently
    /// visited site will be due, so an idle browser's worker is not started for nothing.
    pub fn next_checks_at(&self, now: Millis) -> Option<Millis> {
        if !self.settings.active_checks {
            return None;
        }
        let cfg = self.settings.health_config();
        next_round(
            self.sites
                .values()
                .map(|r| (r.health.next_check, r.last_seen)),
            now,
            &cfg,
        )
    }

    /// The sites a check round covers now: those due (or, when `force`, every recently visited
    /// site); `None` when a round is under way, checks are off, or nothing is due.
    pub fn plan_checks(&mut self, force: bool, now: Millis) -> Option<Vec<PlannedCheck>> {
        if self.health.checking || (!force && !self.settings.active_checks) {
            return None;
        }
        let cfg = self.settings.health_config();
        let due: Vec<String> = if force {
            self.sites
                .values()
                .filter(|r| now.saturating_sub(r.last_seen) <= cfg.recent_visit_ms)
                .map(|r| r.site.clone())
                .collect()
        } else {
            sites_due(
                self.sites
                    .iter()
                    .map(|(k, r)| (k.as_str(), &r.health, r.last_seen)),
                now,
                &cfg,
            )
        };
        let planned: Vec<PlannedCheck> = due
            .into_iter()
            .filter_map(|site| {
                let r = self.sites.get(&site)?;
                Some(PlannedCheck {
                    host: r.main_host.clone(),
                    origin: r.origin.clone(),
                    site,
                })
            })
            .collect();
        if planned.is_empty() {
            return None;
        }
        self.health.checking = true;
        Some(planned)
    }

    /// Applies a round's outcomes (in the order planned); a round whose every check reached
    /// nothing means the user is offline, and says nothing about the sites.
    pub fn checks_done(
        &mut self,
        planned: &[PlannedCheck],
        outcomes: &[CheckOutcome],
        now: Millis,
    ) {
        let offline = is_offline(outcomes);
        let cfg = self.settings.health_config();
        self.health.offline = offline;
        self.health.checking = false;
        let mut changed = Vec::new();
        for (p, outcome) in planned.iter().zip(outcomes) {
            if let Some(r) = self.sites.get_mut(&p.site) {
                let before = r.status;
                r.status = r.health.after_check(outcome, offline, now, &cfg);
                if before != r.status {
                    changed.push(p.site.clone());
                }
                self.effects.push_back(Effect::SaveSite(p.site.clone()));
            }
        }
        for site in changed {
            self.show_site(&site);
        }
        self.after_health_change(now);
        self.pages_changed(now);
    }

    /// After health changed: a notification once per new concentration of failures, if the
    /// user asked for them.
    pub(super) fn after_health_change(&mut self, now: Millis) {
        let current = self.correlations(now);
        let mut keys = NameSet::new();
        for c in &current {
            keys.insert(format!("{} {}", c.layer, c.key));
        }
        let fresh: Vec<_> = current
            .into_iter()
            .filter(|c| {
                !self
                    .health
                    .notified
                    .contains(&format!("{} {}", c.layer, c.key))
            })
            .collect();
        self.health.notified = keys;
        if self.settings.notify_failures {
            for c in fresh {
                self.effects.push_back(Effect::Notify(c));
            }
        }
    }

    /// The status pages to read now: those of the providers the user's sites use, when due
    /// (every 5 minutes while a failure is open, otherwise hourly). Each is marked as asked.
    pub fn plan_status(&mut self, now: Millis) -> Vec<StatusPoll> {
        let polls: Vec<StatusPoll> = self
            .status_dues(now)
            .into_iter()
            .filter(|&(_, _, due)| due <= now)
            .map(|(p, source, _)| StatusPoll {
                provider: p.id.clone(),
                url: source.url.clone(),
                format: source.kind,
            })
            .collect();
        for p in &polls {
            self.health.status.polled.insert(p.provider.clone(), now);
        }
        if !polls.is_empty() {
            self.effects.push_back(Effect::SaveProviderStatus);
        }
        polls
    }

    /// When the worker should next wake to read status pages ([`Tracker::plan_status`] then
    /// lists one): `None` when they are turned off or no site runs on a provider that has one.
    pub fn next_status_poll_at(&self, now: Millis) -> Option<Millis> {
        self.status_dues(now)
            .into_iter()
            .map(|(_, _, due)| due)
            .min()
    }

    /// Every provider the user's sites use that has a status page, with the page and when it
    /// is next due.
    fn status_dues(&self, now: Millis) -> Vec<(&Provider, &StatusSource, Millis)> {
        let enabled = self.settings.status_feeds;
        if !enabled {
            return Vec::new();
        }
        let failing = self
            .sites
            .values()
            .any(|r| matches!(r.status, HealthState::Down | HealthState::Degraded));
        let mut used: Vec<&str> = self
            .sites
            .values()
            .filter_map(|r| self.known.class_of(&r.main_host))
            .flat_map(|c| [&c.cloud, &c.hosting, &c.edge, &c.dns])
            .filter_map(|p| p.as_deref())
            .collect();
        // Sorted and searched by halves (see `drop_orphan_hosts`).
        used.sort_unstable();
        used.dedup();
        self.classifier()
            .rules()
            .providers()
            .iter()
            .filter(|p| used.binary_search(&p.id.as_str()).is_ok())
            .filter_map(|p| {
                let source = p.status.as_ref()?;
                let last = self.health.status.polled.get(&p.id).copied();
                let due = next_poll(now, failing, enabled, last)?;
                Some((p, source, due))
            })
            .collect()
    }

    /// A status page was read; a page that failed or did not parse changes nothing (the caller
    /// logs it).
    pub fn status_read(&mut self, status: ProviderStatus, now: Millis) {
        self.health
            .status
            .providers
            .insert(status.provider.clone(), status);
        self.effects.push_back(Effect::SaveProviderStatus);
        self.pages_changed(now);
    }
}
