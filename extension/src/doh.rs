//! The DoH transport: one RFC 8484 GET per query through the global `fetch` (gloo-net), with a
//! timeout. The worker's own fetches carry no tab, so its webRequest listener ignores them.

use gloo_net::http::Request;
use onebasket::dns::{get_url, DNS_MESSAGE};
use onebasket::engine::Query;

/// How long one DoH answer may take.
const TIMEOUT_MS: u32 = 5_000;

/// Why a DoH query got no answer. The text is what the look-up's evidence keeps as the
/// resolver's failure (the resolver is the user's setting, shown beside it), so it names no URL.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DohError {
    /// The request did not reach the resolver, or timed out.
    #[error("resolver unreachable: {0}")]
    Unreachable(gloo_net::Error),
    /// The resolver answered with an HTTP error status.
    #[error("resolver answered HTTP {0}")]
    Status(u16),
    /// The answer's body could not be read.
    #[error("reading the answer: {0}")]
    Body(gloo_net::Error),
}

/// Sends `q` to `resolver`; the answer body, or why there is none.
pub(crate) async fn query(resolver: &str, q: &Query) -> Result<Vec<u8>, DohError> {
    query_wire(resolver, &q.wire).await
}

/// Sends a wire-format query to `resolver`; the answer body, or why there is none.
pub(crate) async fn query_wire(resolver: &str, wire: &[u8]) -> Result<Vec<u8>, DohError> {
    let url = get_url(resolver, wire);
    let signal = web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS);
    let resp = Request::get(&url)
        .header("accept", DNS_MESSAGE)
        .abort_signal(Some(&signal))
        .send()
        .await
        .map_err(DohError::Unreachable)?;
    if !resp.ok() {
        return Err(DohError::Status(resp.status()));
    }
    resp.binary().await.map_err(DohError::Body)
}
