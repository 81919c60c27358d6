//! "Failing now": per-site failure detection and offline detection (the correlation of failing
//! sites is [`crate::correlation`]'s).
//!
//! Pure logic: the worker does every request and passes `now` in. It feeds
//! - passive [`Observation`](errors::Observation)s (main-frame and same-site responses and network errors the browser
//!   reported) to [`SiteHealth::record`](state::SiteHealth::record), and
//! - the [`CheckOutcome`](checks::CheckOutcome) of each active check (a DoH resolution plus a HEAD, falling back to GET
//!   when [`needs_get_fallback`](checks::needs_get_fallback)) to [`SiteHealth::after_check`](state::SiteHealth::after_check), after asking [`is_offline`](checks::is_offline)
//!   about the whole round;
//!
//! and asks [`sites_due`](state::sites_due) which sites to check next. [`crate::correlation`] then groups the failing
//! sites by what their exposure says they depend on.
//!
//! What counts as a failure: HTTP 5xx, and network errors that say the site (or its DNS) did not
//! answer properly ([`NetErrorKind::verdict`](errors::NetErrorKind::verdict)). The user's own doing (navigating away, an ad
//! blocker, a cache miss) is ignored; a failing resolver, a lost connection or a changed network
//! is inconclusive and makes a site [`HealthState::Unknown`], never down.

use serde::{Deserialize, Serialize};

use crate::Millis;

pub mod checks;
pub mod errors;
pub mod state;

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;

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

/// Tunables of the failure detector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthConfig {
    /// Observations older than this no longer count towards "degraded" (default 10 min).
    pub window_ms: Millis,
    /// At most this many observations are kept per site (default 20).
    pub max_samples: usize,
    /// This many failures in a row, with no success between, make a site down (default 3).
    pub down_after: u32,
    /// Share of failures among the window's outcomes from which a site is degraded (default 0.25).
    pub degraded_ratio: f64,
    /// A verdict older than this (no conclusive observation since) is unknown (default 2 h).
    pub stale_after_ms: Millis,
    /// Time between checks of a healthy site (default 5 min).
    pub check_interval_ms: Millis,
    /// Time before re-checking a site that just failed, until it is confirmed down (default 1 min).
    pub confirm_interval_ms: Millis,
    /// Longest time between checks of a down site (default 1 h).
    pub max_backoff_ms: Millis,
    /// Only sites visited within this long are checked actively (default 2 h).
    pub recent_visit_ms: Millis,
    /// At most this many sites are checked in one round (default 16).
    pub max_checks_per_round: usize,
    /// A round waits up to this long after the first site is due for the others due by then,
    /// so checks gather into few wakes of the worker (default 1 min: no site is checked later
    /// than the old once-a-minute round checked it).
    pub gather_ms: Millis,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            window_ms: 10 * MINUTE,
            max_samples: 20,
            down_after: 3,
            degraded_ratio: 0.25,
            // Longer than the longest backoff, so a down site checked hourly stays down.
            stale_after_ms: 2 * HOUR,
            check_interval_ms: 5 * MINUTE,
            confirm_interval_ms: MINUTE,
            max_backoff_ms: HOUR,
            recent_visit_ms: 2 * HOUR,
            max_checks_per_round: 16,
            gather_ms: MINUTE,
        }
    }
}

#[cfg(test)]
mod tests;
