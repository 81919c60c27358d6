//! Provider status feeds: is the provider itself reporting trouble now?
//!
//! Parses Atlassian Statuspage `summary.json`, Google Cloud `incidents.json`, the AWS Health
//! public current events and RSS 2.0 status feeds (Azure's) into one [`ProviderStatus`] holding
//! the open incidents only. A malformed
//! document is a typed [`StatusError`], never a panic, and the caller keeps the last good status.
//! [`next_poll`] says when to ask again.

use serde::{Deserialize, Serialize};

use crate::Millis;
use aws::parse_aws;
use google::parse_google;
use rss::parse_rss;
use statuspage::parse_statuspage;

mod aws;
mod dates;
mod google;
mod rss;
mod statuspage;

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

/// Largest status document accepted. Google's `incidents.json` carries its whole history and
/// grows over the years; anything past this is not a status page.
pub const MAX_STATUS_BYTES: usize = 10 * 1024 * 1024;

/// Poll interval while a failure is open.
pub const POLL_FAILING_MS: Millis = 5 * 60 * 1_000;

/// Poll interval otherwise.
pub const POLL_QUIET_MS: Millis = 60 * 60 * 1_000;

/// How long a provider's status stays shown after its page was last asked: two quiet poll
/// intervals. Older means the polling stopped (status pages turned off, no site left on that
/// provider) and the incidents may be long over.
pub const STATUS_SHOWN_MS: Millis = 2 * POLL_QUIET_MS;

/// A status document format core can read: the `kind` of a provider's `status` in the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusFormat {
    /// Atlassian Statuspage `/api/v2/summary.json`.
    Statuspage,
    /// Google Cloud `incidents.json`.
    GoogleCloud,
    /// AWS Health public current events (unofficial JSON).
    AwsHealth,
    /// An RSS 2.0 feed listing current incidents, one item each (Azure status).
    Rss,
}

impl StatusFormat {
    fn name(self) -> &'static str {
        match self {
            Self::Statuspage => "statuspage",
            Self::GoogleCloud => "google-cloud",
            Self::AwsHealth => "aws-health",
            Self::Rss => "rss",
        }
    }
}

/// How bad things are overall, as the provider says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    /// All clear.
    None,
    /// Minor trouble (or maintenance).
    Minor,
    /// Major trouble.
    Major,
    /// Critical trouble.
    Critical,
    /// The page said something this code does not know.
    #[default]
    Unknown,
}

impl Indicator {
    fn rank(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Unknown => 1,
            Self::Minor => 2,
            Self::Major => 3,
            Self::Critical => 4,
        }
    }

    /// The worse of two.
    fn worst(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One provider's status right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    /// Provider id.
    pub provider: String,
    /// The overall indicator.
    pub indicator: Indicator,
    /// The page's own summary ("Partially Degraded Service"), if it gives one.
    pub description: Option<String>,
    /// Open incidents (resolved ones and post-mortems left out).
    pub incidents: Vec<ProviderIncident>,
    /// Components not operational, as "name (status)" (Statuspage only).
    #[serde(default)]
    pub degraded_components: Vec<String>,
}

impl ProviderStatus {
    /// A status made of an indicator and incidents alone (the formats with no summary line
    /// and no components).
    pub(crate) fn of_incidents(
        provider: &str,
        indicator: Indicator,
        incidents: Vec<ProviderIncident>,
    ) -> Self {
        Self {
            provider: provider.to_owned(),
            indicator,
            description: None,
            incidents,
            degraded_components: Vec::new(),
        }
    }

    /// True when the provider reports trouble: an open incident or an indicator above none.
    pub fn is_failing(&self) -> bool {
        !self.incidents.is_empty()
            || matches!(
                self.indicator,
                Indicator::Minor | Indicator::Major | Indicator::Critical
            )
    }

    /// Makes relative incident links (Google's `uri`) absolute against the feed's URL.
    pub fn resolve_links(&mut self, feed_url: &str) {
        let Some((scheme, rest)) = feed_url.split_once("://") else {
            return;
        };
        let origin_len = scheme.len() + 3 + rest.find('/').unwrap_or(rest.len());
        let origin = &feed_url[..origin_len];
        for incident in &mut self.incidents {
            if let Some(url) = &incident.url {
                if url.contains("://") {
                    continue;
                }
                incident.url = Some(if url.starts_with('/') {
                    format!("{origin}{url}")
                } else {
                    format!("{origin}/{url}")
                });
            }
        }
    }
}

/// Why a status document was refused; the previous status stays in use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// Nothing but whitespace.
    #[error("{provider}: empty status document")]
    Empty {
        /// Provider id.
        provider: String,
    },
    /// Bigger than [`MAX_STATUS_BYTES`].
    #[error("{provider}: status document of {size} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// Provider id.
        provider: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8, nor UTF-16 with a byte-order mark.
    #[error("{provider}: status document is not text: {reason}")]
    Encoding {
        /// Provider id.
        provider: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("{provider}: {format} status document: {message}")]
    Malformed {
        /// Provider id.
        provider: String,
        /// The expected format.
        format: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// Parses a status document of `provider` in `format`; `now` decides which Google incidents are
/// still open.
pub fn parse_status(
    format: StatusFormat,
    provider: &str,
    bytes: &[u8],
    now: Millis,
) -> Result<ProviderStatus, StatusError> {
    if bytes.len() > MAX_STATUS_BYTES {
        return Err(StatusError::TooLarge {
            provider: provider.to_owned(),
            size: bytes.len(),
            limit: MAX_STATUS_BYTES,
        });
    }
    let text = decode_text(bytes).map_err(|reason| StatusError::Encoding {
        provider: provider.to_owned(),
        reason,
    })?;
    if text.trim().is_empty() {
        return Err(StatusError::Empty {
            provider: provider.to_owned(),
        });
    }
    let malformed = |message: String| StatusError::Malformed {
        provider: provider.to_owned(),
        format: format.name(),
        message,
    };
    match format {
        StatusFormat::Statuspage => parse_statuspage(provider, &text),
        StatusFormat::GoogleCloud => parse_google(provider, &text, now),
        StatusFormat::AwsHealth => parse_aws(provider, &text),
        StatusFormat::Rss => parse_rss(provider, &text),
    }
    .map_err(malformed)
}

/// When to poll the status feeds next: [`POLL_FAILING_MS`] after the last poll while a failure
/// is open, [`POLL_QUIET_MS`] otherwise, `now` when never polled, `None` when turned off. A time
/// at or before `now` means "poll now".
pub fn next_poll(
    now: Millis,
    any_failure_open: bool,
    enabled: bool,
    last_poll: Option<Millis>,
) -> Option<Millis> {
    if !enabled {
        return None;
    }
    let interval = if any_failure_open {
        POLL_FAILING_MS
    } else {
        POLL_QUIET_MS
    };
    Some(last_poll.map_or(now, |t| t.saturating_add(interval)))
}

/// UTF-8 (with or without BOM) or UTF-16 LE/BE: with a BOM, or detected from the zero bytes an
/// ASCII first character leaves (every JSON document starts with one), as RFC 4627 did.
fn decode_text(bytes: &[u8]) -> Result<String, &'static str> {
    let utf16 = |body: &[u8], le: bool| -> Result<String, &'static str> {
        if body.len() % 2 != 0 {
            return Err("UTF-16 with an odd number of bytes");
        }
        let units = body.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| "UTF-16 with an unpaired surrogate")
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest)
            .map(str::to_owned)
            .map_err(|_| "invalid UTF-8"),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [a, 0, ..] if *a != 0 => utf16(bytes, true),
        [0, b, ..] if *b != 0 => utf16(bytes, false),
        _ => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| "invalid UTF-8"),
    }
}

fn json<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
