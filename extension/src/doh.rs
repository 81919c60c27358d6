//! The DoH transport: one RFC 8484 GET per query through the global `fetch`
//! ([`bindings::get`]: bounded in time and size). The worker's own fetches carry no tab, so
//! its webRequest listener ignores them.

use crate::bindings::{self, GetError};
use onebasket::dns::{get_url, DNS_MESSAGE};
use onebasket::engine::Query;

/// How long one DoH answer may take.
const TIMEOUT_MS: u32 = 5_000;

/// The longest DNS message.
const MAX_ANSWER: u32 = 65_535;

/// Why a DoH query got no answer. The text is what the look-up's evidence keeps as the
/// resolver's failure (the resolver is the user's setting, shown beside it), so it names no URL.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DohError {
    /// The request did not reach the resolver, timed out, or its answer was too long.
    #[error("resolver unreachable: {0}")]
    Unreachable(String),
    /// The resolver answered with an HTTP error status.
    #[error("resolver answered HTTP {0}")]
    Status(u16),
}

/// Sends `q` to `resolver`; the answer body, or why there is none.
pub(crate) async fn query(resolver: &str, q: &Query) -> Result<Vec<u8>, DohError> {
    query_wire(resolver, &q.wire).await
}

/// Sends a wire-format query to `resolver`; the answer body (at most a DNS message's 64 KiB,
/// within [`TIMEOUT_MS`]), or why there is none.
pub(crate) async fn query_wire(resolver: &str, wire: &[u8]) -> Result<Vec<u8>, DohError> {
    let url = get_url(resolver, wire);
    bindings::get(
        &url,
        MAX_ANSWER,
        TIMEOUT_MS,
        "same-origin",
        Some(DNS_MESSAGE),
    )
    .await
    .map_err(|e| match e {
        GetError::Status(status) => DohError::Status(status),
        GetError::Failed(words) => DohError::Unreachable(words),
    })
}
