//! The feed and status-page parsers, built as a second wasm module next to the worker's.
//!
//! Why apart: the worker starts many times a day and parses feeds once a day and status pages
//! every few minutes at most. Every start compiled the JSON, CSV and XML readers of a dozen
//! formats for nothing; `js/background.js` now compiles this module on the first call that
//! needs it (`oneBasketParsers`), and the worker's own module no longer holds them.
//!
//! The boundary is bytes in, bytes or a plain value out: a feed becomes its one-feed table
//! snapshot (what the worker stores per feed anyway), a status page the `ProviderStatus` the
//! worker stores under `providerStatus`. An error crosses as its text.

use onebasket::feeds::FeedSpec;
use onebasket::status::StatusFormat;
use wasm_bindgen::prelude::*;

/// Why a file was not taken; crosses to the worker as its text.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The worker passed something that is no feed spec or status format (a bug, not the
    /// server's doing).
    #[error("bad parser call: {0}")]
    Call(#[from] serde_wasm_bindgen::Error),
    /// The file does not parse as its feed's format.
    #[error(transparent)]
    Feed(#[from] onebasket::feeds::FeedError),
    /// The page does not parse as its status format.
    #[error(transparent)]
    Status(#[from] onebasket::status::StatusError),
}

impl From<ParseError> for JsValue {
    fn from(e: ParseError) -> Self {
        JsValue::from_str(&e.to_string())
    }
}

/// Parses one downloaded feed (`spec` is its `FeedSpec`) into its one-feed table snapshot.
#[wasm_bindgen]
pub fn parse_feed(spec: JsValue, bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    let spec: FeedSpec = serde_wasm_bindgen::from_value(spec)?;
    let parsed = onebasket::feeds::parse(&spec, bytes)?;
    Ok(onebasket::knowledge::feed_snapshot(&parsed))
}

/// Parses one status page of `format` (its name in the rules) into a `ProviderStatus`.
#[wasm_bindgen]
pub fn parse_status(
    format: JsValue,
    provider: &str,
    bytes: &[u8],
    now: f64,
) -> Result<JsValue, ParseError> {
    let format: StatusFormat = serde_wasm_bindgen::from_value(format)?;
    // `now` is whole milliseconds since the epoch, well inside f64's exact integers.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let now = now as u64;
    let status = onebasket::status::parse_status(format, provider, bytes, now)?;
    Ok(serde_wasm_bindgen::to_value(&status)?)
}
