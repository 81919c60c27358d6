//! The stored record of one site: what the browser saw of it (visits, hostnames, failures,
//! dependencies) and the failure detector's memory. What it runs on is derived, never stored.

use std::net::IpAddr;

use litemap::LiteMap;
use serde::{Deserialize, Serialize};

use crate::deps::{
    role_of, Blame, ClassOf, Classes, DepOutcome, Dependency, Deps, HostClass, MAX_DEPS,
};
use crate::dns::addr::is_public;
use crate::health::state::SiteHealth;
use crate::health::HealthState;
use crate::profile::SiteProfile;
use crate::Millis;

/// How many failures a site keeps in its history.
pub const MAX_FAILURES: usize = 50;

/// How many hostnames a site keeps.
pub const MAX_HOSTS: usize = 64;

/// Longest error text kept for a dependency (browser error names are short; this bounds
/// whatever else arrives).
const MAX_ERROR_CHARS: usize = 120;

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
    #[serde(with = "crate::sorted_map")]
    pub hosts: LiteMap<String, HostSeen>,
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
    pub health: SiteHealth,
    /// Scheme, host and port of the main page (what an active check requests); never a path.
    #[serde(default)]
    pub origin: Option<String>,
    /// Every other hostname the site's pages load, its own (`api.`, `cdn.`) and third parties,
    /// bounded by [`MAX_DEPS`]. Hostnames only: never a URL, path or query.
    #[serde(default, with = "crate::sorted_map")]
    pub deps: Deps,
}

impl SiteRecord {
    /// The hosts whose evidence this record's views read: its main host and every dependency.
    pub fn hosts_used(&self) -> impl Iterator<Item = &str> + '_ {
        std::iter::once(self.main_host.as_str()).chain(self.deps.keys().map(String::as_str))
    }

    /// A site first seen now through `host`.
    pub fn new(site: &str, host: &str, now: Millis) -> Self {
        Self {
            site: site.to_owned(),
            main_host: host.to_owned(),
            first_seen: now,
            last_seen: now,
            visits: 0,
            hosts: LiteMap::new(),
            profile: None,
            profiled_at: None,
            failures: Vec::new(),
            status: HealthState::Unknown,
            health: SiteHealth::default(),
            origin: None,
            deps: Deps::new(),
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
        outcome: DepOutcome<'_>,
        now: Millis,
    ) {
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
        if let Some(ip) = ip.filter(|ip| is_public(*ip)) {
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
        if let Some(ip) = ip.filter(|ip| is_public(*ip)) {
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

    /// The critical third parties a failing site's failure is put down to: those failing within
    /// `window_ms` while none of the site's own hosts failed in that time, most recent first.
    /// Empty when the site is not failing or one of its own hosts failed too.
    pub fn blamed(&self, now: Millis, window_ms: Millis) -> Vec<&str> {
        if !matches!(self.status, HealthState::Down | HealthState::Degraded) {
            return Vec::new();
        }
        let recent = |t: Millis| now.saturating_sub(t) < window_ms;
        let own_failed = self
            .failures
            .iter()
            .any(|f| recent(f.at) && !self.deps.get(&f.host).is_some_and(|d| d.third_party));
        if own_failed {
            return Vec::new();
        }
        let mut hosts: Vec<(&str, Millis)> = self
            .deps
            .iter()
            .filter(|(_, d)| d.third_party && d.critical && d.failing())
            .filter_map(|(h, d)| {
                d.last_failure
                    .filter(|t| recent(*t))
                    .map(|t| (h.as_str(), t))
            })
            .collect();
        crate::sort::sort_by(&mut hosts, |a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        hosts.into_iter().map(|(h, _)| h).collect()
    }

    /// Why a failing site fails, when its own hosts answer but a critical third party does not:
    /// the first of [`SiteRecord::blamed`], with what it runs on (from `classes`).
    pub fn blame(&self, classes: &dyn ClassOf, now: Millis, window_ms: Millis) -> Option<Blame> {
        let host = *self.blamed(now, window_ms).first()?;
        let d = self.deps.get(host)?;
        Some(Blame {
            host: host.to_owned(),
            role: role_of(host, d).to_owned(),
            class: classes.class_of(host).cloned().map(Box::new),
            error: d.last_error.clone(),
        })
    }
}

/// What the records themselves say their hosts run on: the verdicts a version that stored
/// verdicts left (a site's `profile`, a dependency's `class`), the newest for each host. The
/// tracker uses it for hosts with no evidence yet.
pub fn stored_classes<'a>(records: impl IntoIterator<Item = &'a SiteRecord>) -> Classes {
    let mut classes = Classes::new();
    for r in records {
        if let Some(p) = &r.profile {
            let at = r.profiled_at.unwrap_or(0);
            if classes.get(&r.main_host).is_none_or(|old| old.at < at) {
                classes.insert(r.main_host.clone(), HostClass::from_profile(p, at));
            }
        }
        for (host, dep) in &r.deps {
            let Some(c) = &dep.class else { continue };
            if classes.get(host).is_none_or(|old| old.at < c.at) {
                classes.insert(host.clone(), (**c).clone());
            }
        }
    }
    classes
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

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
        assert_eq!(r.hosts.get("www.example.com").unwrap().last_ip, None);
        r.observe(
            "www.example.com",
            Some("3.5.140.2".parse().unwrap()),
            Some(200),
            true,
            3,
        );
        assert_eq!(
            r.hosts.get("www.example.com").unwrap().last_ip,
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
