//! The per-site state machine: observations and checks in, up / degraded / down / unknown
//! out, with backoff between checks.

use serde::{Deserialize, Serialize};

use super::checks::CheckOutcome;
use super::errors::{Observation, Verdict};
use super::{HealthConfig, HealthState};
use crate::Millis;

/// One remembered conclusive observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    /// When.
    pub at: Millis,
    /// True when the site answered, false when it failed.
    pub ok: bool,
}

/// The failure detector's memory of one site (small; stored per site by the worker).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SiteHealth {
    /// Recent conclusive observations, oldest first, within the window and at most
    /// [`HealthConfig::max_samples`].
    pub samples: Vec<Sample>,
    /// Failures since the last success (passive and active).
    pub consecutive_failures: u32,
    /// Last time the site answered.
    pub last_ok: Option<Millis>,
    /// Last time the site failed.
    pub last_failure: Option<Millis>,
    /// Last time an observation was inconclusive (resolver or network failure).
    pub last_inconclusive: Option<Millis>,
    /// When the last active check finished.
    pub last_check: Option<Millis>,
    /// When the next active check is due (0: now).
    pub next_check: Millis,
    /// Failed active checks in a row: drives the backoff.
    pub failed_checks: u32,
    /// The state at the last update (what the badge and the record show).
    pub verdict: HealthState,
}

impl SiteHealth {
    /// Records a passive observation and returns the state now.
    ///
    /// It also reschedules the active check: a success ends any backoff and puts the check a
    /// full interval away (a site the user just loaded needs none); a failure brings the check
    /// forward to confirm it quickly.
    pub fn record(&mut self, obs: &Observation, now: Millis, cfg: &HealthConfig) -> HealthState {
        let verdict = obs.verdict();
        match verdict {
            Verdict::Ok => {
                self.failed_checks = 0;
                self.next_check = obs.at().saturating_add(cfg.check_interval_ms);
            }
            Verdict::Fail => {
                self.next_check = self
                    .next_check
                    .min(obs.at().saturating_add(cfg.confirm_interval_ms));
            }
            Verdict::Inconclusive | Verdict::Ignore => {}
        }
        self.apply(verdict, obs.at(), now, cfg)
    }

    /// Records the outcome of an active check and schedules the next one; with `offline` (from
    /// [`is_offline`](super::checks::is_offline) over the whole round) the outcome is inconclusive whatever it says.
    pub fn after_check(
        &mut self,
        outcome: &CheckOutcome,
        offline: bool,
        now: Millis,
        cfg: &HealthConfig,
    ) -> HealthState {
        let verdict = if offline {
            Verdict::Inconclusive
        } else {
            outcome.verdict()
        };
        self.last_check = Some(now);
        let delay = match verdict {
            Verdict::Ok => {
                self.failed_checks = 0;
                cfg.check_interval_ms
            }
            Verdict::Fail => {
                self.failed_checks = self.failed_checks.saturating_add(1);
                self.backoff(cfg)
            }
            // Nothing learned about the site: try again at the normal pace.
            Verdict::Inconclusive | Verdict::Ignore => cfg.check_interval_ms,
        };
        self.next_check = now.saturating_add(delay);
        self.apply(verdict, now, now, cfg)
    }

    /// The delay after the current run of failed checks: quick re-checks until the failure is
    /// confirmed, then the interval doubling per failure up to the cap.
    fn backoff(&self, cfg: &HealthConfig) -> Millis {
        if self.failed_checks < cfg.down_after {
            return cfg.confirm_interval_ms.min(cfg.max_backoff_ms);
        }
        let doublings = (self.failed_checks - cfg.down_after + 1).min(32);
        cfg.check_interval_ms
            .saturating_mul(1u64 << doublings)
            .min(cfg.max_backoff_ms)
    }

    fn apply(
        &mut self,
        verdict: Verdict,
        at: Millis,
        now: Millis,
        cfg: &HealthConfig,
    ) -> HealthState {
        match verdict {
            Verdict::Ignore => {}
            Verdict::Inconclusive => {
                self.last_inconclusive = Some(self.last_inconclusive.map_or(at, |t| t.max(at)));
            }
            Verdict::Ok => {
                if self.consecutive_failures >= cfg.down_after {
                    // Recovery closes the outage: its failures must not keep the site "degraded".
                    self.samples.retain(|s| s.ok);
                }
                self.consecutive_failures = 0;
                self.last_ok = Some(self.last_ok.map_or(at, |t| t.max(at)));
                self.samples.push(Sample { at, ok: true });
            }
            Verdict::Fail => {
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                self.last_failure = Some(self.last_failure.map_or(at, |t| t.max(at)));
                self.samples.push(Sample { at, ok: false });
            }
        }
        self.prune(now, cfg);
        self.verdict = self.state(now, cfg);
        self.verdict
    }

    fn prune(&mut self, now: Millis, cfg: &HealthConfig) {
        self.samples
            .retain(|s| now.saturating_sub(s.at) < cfg.window_ms);
        if self.samples.len() > cfg.max_samples {
            let extra = self.samples.len() - cfg.max_samples;
            self.samples.drain(..extra);
        }
    }

    /// The state at `now`.
    ///
    /// - Unknown: nothing conclusive yet, the newest observation is inconclusive (the resolver or
    ///   the network failed), or the newest conclusive one is older than `stale_after_ms`.
    /// - Down: `down_after` failures in a row (they need not be in the window: a down site
    ///   checked with backoff stays down until it answers).
    /// - Degraded: at least `degraded_ratio` of the window's outcomes failed, so a flapping
    ///   site is degraded and one failure among four or more successes is not.
    /// - Up: otherwise; failures that aged out of the window are forgotten, but a site never
    ///   seen answering is not called up.
    pub fn state(&self, now: Millis, cfg: &HealthConfig) -> HealthState {
        let Some(last) = self.last_ok.max(self.last_failure) else {
            return HealthState::Unknown;
        };
        if self.last_inconclusive.is_some_and(|t| t > last)
            || now.saturating_sub(last) > cfg.stale_after_ms
        {
            return HealthState::Unknown;
        }
        if self.consecutive_failures >= cfg.down_after.max(1) {
            return HealthState::Down;
        }
        let in_window = self
            .samples
            .iter()
            .filter(|s| now.saturating_sub(s.at) < cfg.window_ms);
        let (total, failed) =
            in_window.fold((0u32, 0u32), |(t, f), s| (t + 1, f + u32::from(!s.ok)));
        if total == 0 {
            return if self.last_ok.is_some() {
                HealthState::Up
            } else {
                HealthState::Unknown
            };
        }
        if failed > 0 && f64::from(failed) >= cfg.degraded_ratio * f64::from(total) {
            HealthState::Degraded
        } else {
            HealthState::Up
        }
    }

    /// True when an active check of the site is due.
    pub fn due(&self, now: Millis) -> bool {
        now >= self.next_check
    }
}

/// When the next round of checks is due ([`sites_due`] then lists something): the time the
/// first site is due, or later by up to `gather_ms` when more sites are due by then (and the
/// earlier ones are still recently visited); `None` when no site will be due while its visit is
/// still recent. Items are (next check, last visit).
pub fn next_round(
    sites: impl IntoIterator<Item = (Millis, Millis)>,
    now: Millis,
    cfg: &HealthConfig,
) -> Option<Millis> {
    // A site can be checked from when it is due (not before now) until its visit is no longer
    // recent: (from, until).
    let windows: Vec<(Millis, Millis)> = sites
        .into_iter()
        .map(|(next_check, visit)| {
            (
                next_check.max(now),
                visit.saturating_add(cfg.recent_visit_ms),
            )
        })
        .filter(|&(from, until)| from <= until)
        .collect();
    let first = windows.iter().map(|&(from, _)| from).min()?;
    let gathered = |&&(from, _): &&(Millis, Millis)| from <= first.saturating_add(cfg.gather_ms);
    // No later than any gathered site stops being recent (each such site is due by then: its
    // window is not empty), and then as late as a gathered site is due.
    let last = windows
        .iter()
        .filter(gathered)
        .map(|&(_, until)| until)
        .min()?;
    windows
        .iter()
        .filter(gathered)
        .map(|&(from, _)| from)
        .filter(|&from| from <= last)
        .max()
}

/// The sites to check now: visited within `recent_visit_ms` and due, most overdue first, at
/// most `max_checks_per_round`. Items are (site, health, last visit).
pub fn sites_due<'a>(
    sites: impl IntoIterator<Item = (&'a str, &'a SiteHealth, Millis)>,
    now: Millis,
    cfg: &HealthConfig,
) -> Vec<String> {
    let mut due: Vec<(Millis, &str)> = sites
        .into_iter()
        .filter(|(_, h, visit)| now.saturating_sub(*visit) <= cfg.recent_visit_ms && h.due(now))
        .map(|(site, h, _)| (h.next_check, site))
        .collect();
    crate::sort::sort_by(&mut due, Ord::cmp);
    due.into_iter()
        .take(cfg.max_checks_per_round)
        .map(|(_, site)| site.to_owned())
        .collect()
}
