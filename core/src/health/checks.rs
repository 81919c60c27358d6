//! Active checks: what one round's DoH resolution and HEAD request came to, and whether the
//! whole round says the user is offline.

use serde::{Deserialize, Serialize};

use super::errors::{status_verdict, Verdict};
use crate::profile::Resolution;

/// True when a HEAD check got a status meaning "HEAD not supported": retry with GET.
pub fn needs_get_fallback(status: u16) -> bool {
    matches!(status, 405 | 501)
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
