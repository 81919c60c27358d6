//! "Failing now": per-site failure detection, offline detection, and the correlation of failing
//! sites by cloud, region, edge and DNS provider.
//!
//! Pure logic: the worker does every request and passes `now` in. It feeds
//! - passive [`Observation`]s (main-frame and same-site responses and network errors the browser
//!   reported) to [`SiteHealth::record`], and
//! - the [`CheckOutcome`] of each active check (a DoH resolution plus a HEAD, falling back to GET
//!   when [`needs_get_fallback`]) to [`SiteHealth::after_check`], after asking [`is_offline`]
//!   about the whole round;
//!
//! and asks [`sites_due`] which sites to check next. [`correlate`] works on [`SiteFacts`], one
//! per site, built from each site's row and its exposure (`crate::exposure`).
//!
//! What counts as a failure: HTTP 5xx, and network errors that say the site (or its DNS) did not
//! answer properly ([`NetErrorKind::verdict`]). The user's own doing (navigating away, an ad
//! blocker, a cache miss) is ignored; a failing resolver, a lost connection or a changed network
//! is inconclusive and makes a site [`HealthState::Unknown`], never down.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::Millis;
use crate::exposure::{Exposed, ExposureLayer};
use crate::profile::Resolution;
use crate::protocol::{Correlation, HealthState, SiteSummary};

const MINUTE: Millis = 60_000;
const HOUR: Millis = 60 * MINUTE;

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
        }
    }
}

/// What one observation says about a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The site answered.
    Ok,
    /// The site (or its authoritative DNS) failed.
    Fail,
    /// Nothing can be said about the site: the resolver or the user's network failed.
    Inconclusive,
    /// Not about the site at all (the user navigated away, an ad blocker): changes nothing.
    Ignore,
}

/// What kind of network error a browser reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetErrorKind {
    /// The name did not resolve (NXDOMAIN or no address): `ERR_NAME_NOT_RESOLVED`.
    NameNotResolved,
    /// The server refused the connection.
    ConnectionRefused,
    /// The connection was reset, closed or aborted by the peer.
    ConnectionReset,
    /// The connection could not be made for another reason.
    ConnectionFailed,
    /// Connecting or waiting for the answer timed out.
    TimedOut,
    /// No route to the address.
    Unreachable,
    /// The TLS handshake failed.
    Tls,
    /// The certificate was refused (expired, wrong name, unknown issuer).
    Certificate,
    /// The server answered with something that is not valid HTTP (empty, garbled, redirect loop).
    BadResponse,
    /// The resolver itself could not be used (`ERR_NAME_RESOLUTION_FAILED`, `ERR_DNS_TIMED_OUT`).
    ResolverFailed,
    /// The device has no network (`ERR_INTERNET_DISCONNECTED`, `NS_ERROR_OFFLINE`).
    Offline,
    /// A local problem: the network changed, a proxy failed, the device was suspended.
    LocalNetwork,
    /// The request was cancelled (the user navigated away or stopped the load).
    Aborted,
    /// A blocker (extension, policy, tracking protection, CSP) stopped the request.
    Blocked,
    /// A cache-only load missed (back/forward of a POST); the network was not asked.
    Cache,
    /// Anything else; never counted as a failure, so an unknown code raises no alarm.
    Other,
}

impl NetErrorKind {
    /// Whether the error counts against the site, says nothing, or is ignored.
    pub fn verdict(self) -> Verdict {
        use NetErrorKind::*;
        match self {
            NameNotResolved | ConnectionRefused | ConnectionReset | ConnectionFailed | TimedOut
            | Unreachable | Tls | Certificate | BadResponse => Verdict::Fail,
            ResolverFailed | Offline | LocalNetwork => Verdict::Inconclusive,
            Aborted | Blocked | Cache | Other => Verdict::Ignore,
        }
    }
}

/// Maps a browser's error string (Chrome `net::ERR_*`, Firefox `NS_ERROR_*`, `SSL_ERROR_*`,
/// `SEC_ERROR_*`) to its kind; unknown strings are [`NetErrorKind::Other`].
pub fn classify_net_error(error: &str) -> NetErrorKind {
    use NetErrorKind::*;
    let e = error.trim();
    let e = e.strip_prefix("net::").unwrap_or(e).to_ascii_uppercase();
    let exact = match e.as_str() {
        // Chrome.
        "ERR_NAME_NOT_RESOLVED" => Some(NameNotResolved),
        "ERR_NAME_RESOLUTION_FAILED"
        | "ERR_DNS_TIMED_OUT"
        | "ERR_DNS_SERVER_FAILED"
        | "ERR_DNS_MALFORMED_RESPONSE" => Some(ResolverFailed),
        "ERR_CONNECTION_REFUSED" => Some(ConnectionRefused),
        "ERR_CONNECTION_RESET" | "ERR_CONNECTION_CLOSED" | "ERR_CONNECTION_ABORTED" => {
            Some(ConnectionReset)
        }
        "ERR_CONNECTION_TIMED_OUT" | "ERR_TIMED_OUT" => Some(TimedOut),
        "ERR_ADDRESS_UNREACHABLE" => Some(Unreachable),
        "ERR_EMPTY_RESPONSE"
        | "ERR_INVALID_RESPONSE"
        | "ERR_INVALID_HTTP_RESPONSE"
        | "ERR_TOO_MANY_REDIRECTS"
        | "ERR_HTTP2_PROTOCOL_ERROR"
        | "ERR_QUIC_PROTOCOL_ERROR"
        | "ERR_INVALID_CHUNKED_ENCODING"
        | "ERR_CONTENT_LENGTH_MISMATCH"
        | "ERR_INCOMPLETE_CHUNKED_ENCODING"
        | "ERR_RESPONSE_HEADERS_TRUNCATED" => Some(BadResponse),
        "ERR_INTERNET_DISCONNECTED" => Some(Offline),
        "ERR_NETWORK_CHANGED"
        | "ERR_NETWORK_IO_SUSPENDED"
        | "ERR_NETWORK_ACCESS_DENIED"
        | "ERR_ADDRESS_INVALID"
        | "ERR_PROXY_CONNECTION_FAILED"
        | "ERR_TUNNEL_CONNECTION_FAILED" => Some(LocalNetwork),
        "ERR_ABORTED" => Some(Aborted),
        // Firefox.
        "NS_ERROR_UNKNOWN_HOST" => Some(NameNotResolved),
        "NS_ERROR_CONNECTION_REFUSED" => Some(ConnectionRefused),
        "NS_ERROR_NET_RESET" | "NS_ERROR_NET_INTERRUPT" | "NS_ERROR_NET_PARTIAL_TRANSFER" => {
            Some(ConnectionReset)
        }
        "NS_ERROR_NET_TIMEOUT" | "NS_ERROR_NET_TIMEOUT_EXTERNAL" => Some(TimedOut),
        "NS_ERROR_NET_INADEQUATE_SECURITY" => Some(Tls),
        "NS_ERROR_REDIRECT_LOOP"
        | "NS_ERROR_NET_EMPTY_RESPONSE"
        | "NS_ERROR_INVALID_CONTENT_ENCODING"
        | "NS_ERROR_CORRUPTED_CONTENT" => Some(BadResponse),
        "NS_ERROR_OFFLINE" => Some(Offline),
        "NS_ERROR_UNKNOWN_PROXY_HOST" | "NS_ERROR_PROXY_CONNECTION_REFUSED" => Some(LocalNetwork),
        "NS_BINDING_ABORTED"
        | "NS_ERROR_ABORT"
        | "NS_BINDING_REDIRECTED"
        | "NS_BINDING_RETARGETED" => Some(Aborted),
        "NS_ERROR_TRACKING_URI" | "NS_ERROR_BLOCKED_URI" | "NS_ERROR_CONTENT_BLOCKED" => {
            Some(Blocked)
        }
        _ => None,
    };
    if let Some(kind) = exact {
        return kind;
    }
    // Families, by prefix: new codes of a known family keep their meaning.
    let prefixed: &[(&str, NetErrorKind)] = &[
        ("ERR_CERT_", Certificate),
        ("ERR_SSL_", Tls),
        ("ERR_BAD_SSL_", Tls),
        ("ERR_BLOCKED_BY_", Blocked),
        ("ERR_CACHE_", Cache),
        ("ERR_PROXY_", LocalNetwork),
        ("ERR_CONNECTION_", ConnectionFailed),
        ("NS_ERROR_PROXY_", LocalNetwork),
        ("SEC_ERROR_", Certificate),
        ("MOZILLA_PKIX_ERROR_", Certificate),
        ("SSL_ERROR_", Tls),
    ];
    prefixed
        .iter()
        .find(|(prefix, _)| e.starts_with(prefix))
        .map_or(Other, |(_, kind)| *kind)
}

/// The verdict for an HTTP status: 5xx fails, any other real status means the server answered.
fn status_verdict(status: u16) -> Verdict {
    match status {
        // 0 is what some APIs report for "no response": not an answer, and not a known failure.
        0 => Verdict::Inconclusive,
        500..=599 => Verdict::Fail,
        _ => Verdict::Ok,
    }
}

/// True when a HEAD check got a status meaning "HEAD not supported": retry with GET.
pub fn needs_get_fallback(status: u16) -> bool {
    matches!(status, 405 | 501)
}

/// A passive observation: something the browser saw while the user browsed the site.
///
/// The worker reports main-frame and same-site requests only; third-party failures say nothing
/// about the site itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Observation {
    /// A response arrived with this status.
    Response {
        /// When.
        at: Millis,
        /// The HTTP status.
        status: u16,
    },
    /// The request failed below HTTP.
    NetError {
        /// When.
        at: Millis,
        /// What kind of error ([`classify_net_error`]).
        kind: NetErrorKind,
    },
}

impl Observation {
    /// A failed request, classified from the browser's error string.
    pub fn from_error(at: Millis, error: &str) -> Self {
        Self::NetError {
            at,
            kind: classify_net_error(error),
        }
    }

    /// When it happened.
    pub fn at(&self) -> Millis {
        match self {
            Self::Response { at, .. } | Self::NetError { at, .. } => *at,
        }
    }

    /// What it says about the site.
    pub fn verdict(&self) -> Verdict {
        match self {
            Self::Response { status, .. } => status_verdict(*status),
            Self::NetError { kind, .. } => kind.verdict(),
        }
    }
}

/// How the DoH resolution of an active check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsCheck {
    /// Addresses were found.
    Resolved,
    /// The name does not exist or has no address (the site's DNS is broken).
    NoSuchName,
    /// The resolver answered SERVFAIL (usually the site's authoritative servers failing).
    ServFail,
    /// The resolver could not be reached, refused, or answered nonsense: says nothing of the site.
    ResolverFailed,
    /// No resolution was done in this check.
    Skipped,
}

impl DnsCheck {
    /// The check's view of a look-up's [`Resolution`].
    pub fn from_resolution(resolution: &Resolution) -> Self {
        match resolution {
            Resolution::Ok => Self::Resolved,
            Resolution::NxDomain | Resolution::NoAddress => Self::NoSuchName,
            Resolution::ServFail => Self::ServFail,
            // REFUSED and an unusable truncated answer are the resolver's problem, not the site's.
            Resolution::Refused | Resolution::Truncated | Resolution::ResolverError(_) => {
                Self::ResolverFailed
            }
        }
    }

    /// The check's view of the response code of its one A query. A name with no A record may
    /// still have AAAA: only NXDOMAIN says "no such name".
    pub fn from_rcode(rcode: &crate::dns::Rcode) -> Self {
        match rcode {
            crate::dns::Rcode::NoError => Self::Resolved,
            crate::dns::Rcode::NxDomain => Self::NoSuchName,
            crate::dns::Rcode::ServFail => Self::ServFail,
            _ => Self::ResolverFailed,
        }
    }
}

/// How the HEAD (or GET) request of an active check went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", content = "status")]
pub enum HttpCheck {
    /// A response with this status.
    Status(u16),
    /// No response within the check's timeout.
    TimedOut,
    /// The fetch failed; browsers do not tell scripts why.
    Failed,
}

/// The result of one active check of one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckOutcome {
    /// The DoH resolution of the site's main host.
    pub dns: DnsCheck,
    /// The HTTP request, `None` when not attempted.
    pub http: Option<HttpCheck>,
}

impl CheckOutcome {
    /// A probe of the resolver alone that failed: lets a round tell "offline" from "site down".
    pub const RESOLVER_FAILED: CheckOutcome = CheckOutcome {
        dns: DnsCheck::ResolverFailed,
        http: None,
    };

    /// What the check says about the site.
    pub fn verdict(&self) -> Verdict {
        match self.http {
            // An answer from the site decides, whatever the resolver said.
            Some(HttpCheck::Status(status)) => status_verdict(status),
            // Without a working resolver a failed fetch may be the user's network.
            Some(HttpCheck::TimedOut | HttpCheck::Failed) => match self.dns {
                DnsCheck::ResolverFailed => Verdict::Inconclusive,
                _ => Verdict::Fail,
            },
            None => match self.dns {
                DnsCheck::NoSuchName | DnsCheck::ServFail => Verdict::Fail,
                DnsCheck::ResolverFailed => Verdict::Inconclusive,
                DnsCheck::Resolved | DnsCheck::Skipped => Verdict::Ignore,
            },
        }
    }

    /// True when nothing answered at all: no resolver answer and no HTTP response.
    fn reached_nothing(&self) -> bool {
        matches!(self.dns, DnsCheck::ResolverFailed | DnsCheck::Skipped)
            && !matches!(self.http, Some(HttpCheck::Status(_)))
    }
}

/// True when a round of checks says the user is offline: every check reached nothing, the
/// resolver's included (at least one check saw the resolver fail, which may be a probe of the
/// resolver alone, [`CheckOutcome::RESOLVER_FAILED`]).
///
/// Several sites failing with the resolver working is an outage, not the user's network, so a
/// working resolver (or any HTTP answer) always means "online".
pub fn is_offline(round: &[CheckOutcome]) -> bool {
    !round.is_empty()
        && round.iter().all(CheckOutcome::reached_nothing)
        && round.iter().any(|o| o.dns == DnsCheck::ResolverFailed)
}

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
    /// [`is_offline`] over the whole round) the outcome is inconclusive whatever it says.
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
    due.sort_unstable();
    due.into_iter()
        .take(cfg.max_checks_per_round)
        .map(|(_, site)| site.to_owned())
        .collect()
}

/// What correlation needs to know about one site: its state and every group it critically
/// depends on (read from its exposure, the one definition of "depends on").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteFacts {
    /// The site key.
    pub site: String,
    /// Whether it works right now.
    pub state: HealthState,
    /// The critical entries of its exposure.
    pub exposure: Vec<Exposed>,
    /// Failing critical third parties the site's failure is put down to (its own hosts answer).
    #[serde(default)]
    pub blamed: Vec<String>,
}

impl SiteFacts {
    /// The facts of a site's row, with the hosts its failure is put down to.
    pub fn of(s: &SiteSummary, blamed: Vec<String>) -> Self {
        Self {
            site: s.site.clone(),
            state: s.status,
            exposure: s.exposure.critical.clone(),
            blamed,
        }
    }
}

/// The correlation layer of an exposure entry, as [`Correlation::layer`] names it.
fn layer_name(layer: ExposureLayer) -> &'static str {
    match layer {
        ExposureLayer::Cloud => "cloud",
        ExposureLayer::Region => "region",
        ExposureLayer::Edge => "edge",
        ExposureLayer::Dns => "dns",
        ExposureLayer::Hosting => "hosting",
    }
}

/// "Amazon Web Services", "Amazon Web Services us-east-1", "Route 53 DNS"…
fn group_label(e: &Exposed, names: &dyn Fn(&str) -> String) -> String {
    match (&e.region, e.layer) {
        (Some(r), _) => format!("{} {r}", names(&e.provider)),
        (None, ExposureLayer::Dns) => format!("{} DNS", names(&e.provider)),
        (None, _) => names(&e.provider),
    }
}

/// The correlation layers, in report order for equal strength.
const LAYERS: [&str; 5] = ["cloud", "region", "edge", "dns", "hosting"];

/// A suggested significance level for [`correlate`]: several dozen groups are tested at once,
/// so a strict level keeps chance concentrations quiet.
pub const DEFAULT_ALPHA: f64 = 0.01;

/// Groups failing sites by cloud, region, edge and DNS provider and reports the groups where
/// failures concentrate, strongest (smallest p) first.
///
/// Only [`HealthState::Down`] and [`HealthState::Degraded`] count as failing and only
/// [`HealthState::Up`] as healthy; unknown sites are left out of both counts. A group is
/// reported when at least `max(2, min_failing)` of its sites fail and the hypergeometric
/// probability of that many or more by chance ([`hypergeometric_tail`], against the group's
/// share of all counted sites) is at most `alpha`, so a single failing site never raises an
/// alarm. `names` turns a provider id into its display name ("aws" → "AWS").
pub fn correlate(
    sites: &[SiteFacts],
    min_failing: u32,
    alpha: f64,
    names: &dyn Fn(&str) -> String,
) -> Vec<Correlation> {
    struct Group {
        label: String,
        failing: Vec<String>,
        /// Failing sites counted here through a third party.
        through: u32,
        healthy: u32,
    }
    let mut groups: BTreeMap<(usize, String), Group> = BTreeMap::new();
    let (mut failing_total, mut healthy_total) = (0u32, 0u32);
    for s in sites {
        let failing = match s.state {
            HealthState::Down | HealthState::Degraded => true,
            HealthState::Up => false,
            HealthState::Unknown => continue,
        };
        if failing {
            failing_total += 1;
        } else {
            healthy_total += 1;
        }
        // A failing site put down to third parties counts where those run, not where its own
        // (answering) hosts do; any other site counts wherever it is exposed: its own stack
        // and that of every host it needs. Each group counts a site once.
        let mut member: BTreeMap<(usize, String), (String, bool)> = BTreeMap::new();
        let blamed = failing && !s.blamed.is_empty();
        for e in &s.exposure {
            // A failing site put down to third parties counts only where those run.
            if blamed && !e.via.iter().any(|v| s.blamed.contains(&v.host)) {
                continue;
            }
            let ix = layer_rank(layer_name(e.layer));
            let third_party = !e.own && e.via.iter().all(|v| v.third_party);
            member.insert((ix, e.key()), (group_label(e, names), third_party));
        }
        for ((layer_ix, key), (label, third_party)) in member {
            let g = groups.entry((layer_ix, key)).or_insert_with(|| Group {
                label,
                failing: Vec::new(),
                through: 0,
                healthy: 0,
            });
            if failing {
                g.failing.push(s.site.clone());
                g.through += u32::from(third_party);
            } else {
                g.healthy += 1;
            }
        }
    }
    let population = failing_total + healthy_total;
    let threshold = min_failing.max(2);
    let mut out: Vec<Correlation> = Vec::new();
    for ((layer_ix, key), mut g) in groups {
        let k = u32::try_from(g.failing.len()).unwrap_or(u32::MAX);
        if k < threshold {
            continue;
        }
        let p = hypergeometric_tail(population, k + g.healthy, failing_total, k);
        let significant = p <= alpha;
        if !significant {
            continue;
        }
        g.failing.sort();
        let healthy_part = if healthy_total == 1 {
            format!("{} of 1 healthy site is there", g.healthy)
        } else {
            format!("{} of {healthy_total} healthy sites are there", g.healthy)
        };
        out.push(Correlation {
            layer: LAYERS.get(layer_ix).copied().unwrap_or("cloud").to_owned(),
            key,
            failing_in_group: k,
            failing_total,
            healthy_in_group: g.healthy,
            healthy_total,
            p_value: p,
            sites: g.failing,
            through_third_party: g.through,
            message: format!(
                "{k} of {failing_total} failing sites are on {}{}; {healthy_part}",
                g.label,
                match g.through {
                    0 => String::new(),
                    n if n == k => " (all through a third party)".to_owned(),
                    n => format!(" ({n} through a third party)"),
                }
            ),
        });
    }
    // Strongest first; for equal strength the bigger group, then cloud before region, edge, DNS.
    out.sort_by(|a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.failing_in_group.cmp(&a.failing_in_group))
            .then(layer_rank(&a.layer).cmp(&layer_rank(&b.layer)))
    });
    out
}

fn layer_rank(layer: &str) -> usize {
    LAYERS
        .iter()
        .position(|l| *l == layer)
        .unwrap_or(LAYERS.len())
}

/// P(X ≥ `observed`) for X hypergeometric: `draws` items drawn without replacement from a
/// `population` holding `successes` marked items (here: of all failing sites, how many would
/// land in a group of this size by chance). Computed in log space, so thousands of sites
/// neither overflow nor underflow into nonsense. Inconsistent arguments give 1 (no evidence).
pub fn hypergeometric_tail(population: u32, successes: u32, draws: u32, observed: u32) -> f64 {
    if successes > population || draws > population {
        return 1.0;
    }
    let hi = successes.min(draws);
    // The smallest possible count: draws beyond the unmarked items must be marked.
    let lo = draws.saturating_sub(population - successes);
    if observed <= lo {
        return 1.0;
    }
    if observed > hi {
        return 0.0;
    }
    let ln_total = ln_choose(population, draws);
    let terms: Vec<f64> = (observed..=hi)
        .map(|x| ln_choose(successes, x) + ln_choose(population - successes, draws - x) - ln_total)
        .collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    (max + sum.ln()).exp().clamp(0.0, 1.0)
}

/// ln C(n, k).
fn ln_choose(n: u32, k: u32) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// ln n!, exact summation for small n and Lanczos' ln Γ(n + 1) beyond.
fn ln_factorial(n: u32) -> f64 {
    if n < 32 {
        return (2..=n).map(|i| f64::from(i).ln()).sum();
    }
    ln_gamma(f64::from(n) + 1.0)
}

/// ln Γ(x) for x ≥ 1 (Lanczos, g = 7, nine coefficients; relative error ≈ 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests;
