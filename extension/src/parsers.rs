//! Calls into the parsers' module (`extension/parsers`, compiled by `js/background.js` on the
//! first call): downloaded feeds and status pages are read there, not in the worker's module.

use onebasket::feeds::FeedSpec;
use onebasket::status::{ProviderStatus, StatusFormat};
use onebasket::table::{PrefixTable, SnapshotError};
use wasm_bindgen::JsValue;

use crate::bindings;

/// Why the parsers' module gave nothing usable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ParserError {
    /// The file does not parse (the parser's own words), or the module could not be loaded.
    #[error("{0}")]
    Refused(String),
    /// The answer is not what the call returns (a build whose two modules disagree).
    #[error("the parsers' module answered {0}")]
    Answer(String),
    /// The snapshot it made does not load.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
}

fn refused(e: JsValue) -> ParserError {
    ParserError::Refused(e.as_string().unwrap_or_else(|| format!("{e:?}")))
}

fn answer(e: impl std::fmt::Display) -> ParserError {
    ParserError::Answer(e.to_string())
}

/// The downloaded feed as its one-feed table snapshot, with that table (for its record count).
pub(crate) async fn feed(
    spec: &FeedSpec,
    bytes: &[u8],
) -> Result<(Vec<u8>, PrefixTable), ParserError> {
    let spec = serde_wasm_bindgen::to_value(spec).map_err(answer)?;
    let value = bindings::parsers_feed(&spec, bytes)
        .await
        .map_err(refused)?;
    let snapshot = js_sys::Uint8Array::new(&value).to_vec();
    // Only its feed info is read: no index needed.
    let table = PrefixTable::from_snapshot_unindexed(&snapshot)?;
    Ok((snapshot, table))
}

/// The status page of `format` as a provider's status.
pub(crate) async fn status(
    format: StatusFormat,
    provider: &str,
    bytes: &[u8],
    now: u64,
) -> Result<ProviderStatus, ParserError> {
    let format = serde_wasm_bindgen::to_value(&format).map_err(answer)?;
    // Milliseconds since the epoch are exact in f64 for the next 285,000 years.
    #[allow(clippy::cast_precision_loss)]
    let now = now as f64;
    let value = bindings::parsers_status(&format, provider, bytes, now)
        .await
        .map_err(refused)?;
    serde_wasm_bindgen::from_value(value).map_err(answer)
}
