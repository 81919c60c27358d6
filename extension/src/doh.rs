//! The DoH transport: one RFC 8484 GET per query through the global `fetch` (gloo-net), with a
//! timeout. The worker's own fetches carry no tab, so its webRequest listener ignores them.

use gloo_net::http::Request;
use onebasket::dns::{get_url, DNS_MESSAGE};
use onebasket::engine::Query;

/// How long one DoH answer may take.
const TIMEOUT_MS: u32 = 5_000;

/// Sends `q` to `resolver`; the answer body, or a one-line reason.
pub async fn query(resolver: &str, q: &Query) -> Result<Vec<u8>, String> {
    query_wire(resolver, &q.wire).await
}

/// Sends a wire-format query to `resolver`; the answer body, or a one-line reason.
pub async fn query_wire(resolver: &str, wire: &[u8]) -> Result<Vec<u8>, String> {
    let url = get_url(resolver, wire);
    let signal = web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS);
    let resp = Request::get(&url)
        .header("accept", DNS_MESSAGE)
        .abort_signal(Some(&signal))
        .send()
        .await
        .map_err(|e| format!("resolver unreachable: {e}"))?;
    if !resp.ok() {
        return Err(format!("resolver answered HTTP {}", resp.status()));
    }
    resp.binary()
        .await
        .map_err(|e| format!("reading the answer: {e}"))
}
