//! Bounded HTTP: bodies read up to a limit, redirect rules, rate-limit back-off.
//!
//! Whatever a server sends, a body costs at most its limit: it is refused by its
//! `Content-Length` before anything is read, and reading stops as soon as more than the limit
//! has arrived (a body without a length, or one longer than it said).

use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode, Url};

/// Why a body was not read.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BodyError {
    /// The server announced more than the limit.
    #[error("too large: {announced} bytes announced, the limit is {limit}")]
    Announced {
        /// The `Content-Length`.
        announced: u64,
        /// The limit.
        limit: usize,
    },
    /// More than the limit arrived.
    #[error("too large: more than {limit} bytes")]
    Exceeded {
        /// The limit.
        limit: usize,
    },
    /// The connection failed while reading.
    #[error("reading the body: {0}")]
    Read(String),
}

/// Reads `resp`'s body, at most `limit` bytes (see the module docs).
pub(crate) async fn read_capped(mut resp: Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let announced = resp.content_length();
    if let Some(n) = announced.filter(|&n| n > limit as u64) {
        return Err(BodyError::Announced {
            announced: n,
            limit,
        });
    }
    // Trust a (checked) length only to size the first allocation.
    let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize).min(limit));
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| BodyError::Read(root_cause(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::Exceeded { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The innermost cause of an error: the one line that says what happened.
pub(crate) fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Whether `url` points at this machine: `localhost` (RFC 6761 keeps it here), `*.localhost`,
/// 127.0.0.0/8, `::1`, or `::ffff:127.x.y.z`. `0.0.0.0`, which Linux also connects locally, is
/// not accepted: it is no address a user means as "this machine".
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.to_canonical().is_loopback(),
        Err(_) => {
            let name = host.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
    }
}

/// At most this many redirects are followed for a feed.
pub(crate) const MAX_FEED_REDIRECTS: usize = 5;

/// Why a feed's redirect was not followed.
#[derive(Debug, thiserror::Error)]
enum RedirectRefused {
    #[error("too many redirects (more than {MAX_FEED_REDIRECTS}), the last to {0}")]
    TooMany(String),
    #[error("redirected to {0}: only https is followed (plain http only from a loopback mirror to loopback)")]
    Insecure(String),
}

/// Redirects for feeds: at most [`MAX_FEED_REDIRECTS`], each to https, or to loopback when the
/// first URL (the mirror) is on loopback.
pub(crate) fn feed_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let next = attempt.url().clone();
        let from_loopback = attempt.previous().first().is_some_and(is_loopback);
        let shown = crate::input::clip(next.as_str());
        if attempt.previous().len() > MAX_FEED_REDIRECTS {
            attempt.error(RedirectRefused::TooMany(shown))
        } else if next.scheme() == "https" || (from_loopback && is_loopback(&next)) {
            attempt.follow()
        } else {
            attempt.error(RedirectRefused::Insecure(shown))
        }
    })
}

/// Where a 3xx answer points, resolved against the URL asked; `None` when it is no redirect.
pub(crate) fn redirect_target(resp: &Response) -> Option<String> {
    if !resp.status().is_redirection() || resp.status() == StatusCode::NOT_MODIFIED {
        return None;
    }
    let location = resp
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    Some(
        resp.url()
            .join(location)
            .map_or_else(|_| location.to_owned(), String::from),
    )
}

/// Whether an answer says "too many requests, come back later": any 429, or a 503 that says
/// when (a 503 without `Retry-After` is a broken server, not a busy one).
pub(crate) fn is_rate_limited(resp: &Response) -> bool {
    resp.status() == StatusCode::TOO_MANY_REQUESTS
        || (resp.status() == StatusCode::SERVICE_UNAVAILABLE
            && resp.headers().contains_key(RETRY_AFTER))
}

/// `Retry-After` in seconds (RFC 9110 §10.2.3). An HTTP date is taken as no hint: the back-off
/// applies instead.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    value.parse::<u64>().ok().map(Duration::from_secs)
}

/// The shortest back-off after a rate-limited answer without `Retry-After`.
const MIN_BACKOFF: Duration = Duration::from_millis(250);

/// Shared by every request to one server: after a rate-limited answer no new request is sent
/// until the server's `Retry-After` (or a back-off that doubles with each such answer in a row,
/// up to the item's timeout) has passed, each one then a little later than the others (jitter),
/// so a rate-limited report slows down instead of failing in bulk.
#[derive(Debug)]
pub(crate) struct RateGate {
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    until: Option<Instant>,
    backoff: Duration,
}

impl RateGate {
    /// An open gate.
    pub(crate) fn new() -> Self {
        Self {
            state: Mutex::new(GateState {
                until: None,
                backoff: Duration::ZERO,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Records a rate-limited answer; returns how long its request should wait before it is
    /// asked again (`retry_after` when the server said, else the back-off, capped at `cap`, plus
    /// jitter). New requests wait as long (without the jitter).
    pub(crate) fn limited(&self, retry_after: Option<Duration>, cap: Duration) -> Duration {
        let mut s = self.lock();
        s.backoff = (s.backoff * 2).clamp(MIN_BACKOFF, cap.max(MIN_BACKOFF));
        let wait = retry_after.unwrap_or(s.backoff);
        let until = Instant::now() + wait.min(cap);
        s.until = Some(s.until.map_or(until, |u| u.max(until)));
        wait + jitter(wait / 8)
    }

    /// Records an answer that was not rate-limited: the back-off shrinks again.
    pub(crate) fn answered(&self) {
        let mut s = self.lock();
        s.backoff /= 2;
        if s.backoff < MIN_BACKOFF {
            s.backoff = Duration::ZERO;
        }
    }

    /// Waits while the gate is closed.
    pub(crate) async fn pass(&self) {
        loop {
            let until = self.lock().until;
            match until {
                Some(u) if u > Instant::now() => {
                    // Not all at the same instant when the gate opens.
                    tokio::time::sleep(
                        u.saturating_duration_since(Instant::now()) + jitter(MIN_BACKOFF),
                    )
                    .await;
                }
                _ => return,
            }
        }
    }
}

/// A random duration in `0..=max` (hash keys are random per process: no crate needed for this).
pub(crate) fn jitter(max: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let nanos = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
    if nanos == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(h.finish() % (nanos + 1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn loopback_urls() {
        for yes in [
            "http://127.0.0.1/",
            "http://127.8.9.10:8053/x",
            "http://[::1]:80/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost/",
            "http://LOCALHOST./",
            "https://api.localhost/",
        ] {
            assert!(is_loopback(&Url::parse(yes).unwrap()), "{yes}");
        }
        for no in [
            "http://0.0.0.0/",
            "http://192.0.2.1/",
            "http://[::]/",
            "http://localhost.example.com/",
            "http://[::ffff:192.0.2.1]/",
        ] {
            assert!(!is_loopback(&Url::parse(no).unwrap()), "{no}");
        }
    }

    #[test]
    fn retry_after_in_seconds_only() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn the_gate_backs_off_within_bounds() {
        let gate = RateGate::new();
        let cap = Duration::from_secs(5);
        let first = gate.limited(None, cap);
        assert!(first >= MIN_BACKOFF && first <= MIN_BACKOFF * 9 / 8 + Duration::from_millis(1));
        let mut last = first;
        for _ in 0..10 {
            last = gate.limited(None, cap);
        }
        assert!(
            last >= cap && last <= cap * 9 / 8 + Duration::from_millis(1),
            "{last:?}"
        );
        // The server's word is taken as it is, but never closes the gate past the cap.
        let long = gate.limited(Some(Duration::from_secs(3600)), cap);
        assert!(long >= Duration::from_secs(3600));
        assert!(gate.lock().until.unwrap() <= Instant::now() + cap);
        for _ in 0..20 {
            gate.answered();
        }
        assert_eq!(gate.lock().backoff, Duration::ZERO);
    }

    #[test]
    fn jitter_stays_in_range() {
        for _ in 0..100 {
            assert!(jitter(Duration::from_millis(3)) <= Duration::from_millis(3));
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }
}
