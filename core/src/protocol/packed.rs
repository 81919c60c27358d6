//! The packed form of a page's view: its postcard bytes, as base64 text.
//!
//! Why a second form beside the JSON one: a page decoding a view from a JS object
//! (serde-wasm-bindgen) compiles, for every type in it, a field-name matcher and error texts
//! (and with them float formatting) into its wasm; postcard reads the fields in order and its
//! errors are plain variants. That was a fifth of the popup's wasm (BENCHMARKS.md, "A lighter,
//! faster worker"). Base64 because Chrome's runtime messages are JSON: bytes would arrive as an
//! object of indices.
//!
//! postcard is not self-describing: fields are read by position, so a type in a packed view
//! must write every field when the format is not human-readable (see `panel::Row`'s
//! `Serialize`). The tests round-trip every packed view.

use base64::Engine;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Why a view could not be packed or read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PackError {
    /// The view has a shape postcard cannot write (a build defect the tests catch).
    #[error("the view could not be packed: {0}")]
    Encode(postcard::Error),
    /// The text is not base64.
    #[error("the packed view is not base64: {0}")]
    Base64(base64::DecodeError),
    /// The bytes are not a view of the type asked for.
    #[error("the packed view does not read: {0}")]
    Decode(postcard::Error),
}

/// `view` packed: its postcard bytes as standard base64.
pub fn pack<T: Serialize>(view: &T) -> Result<String, PackError> {
    let bytes = postcard::to_allocvec(view).map_err(PackError::Encode)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// A view read back from [`pack`]'s text.
pub fn unpack<T: DeserializeOwned>(text: &str) -> Result<T, PackError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(PackError::Base64)?;
    postcard::from_bytes(&bytes).map_err(PackError::Decode)
}
