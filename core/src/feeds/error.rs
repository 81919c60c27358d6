//! Typed errors for feed parsing.

use thiserror::Error;

/// Why a feed file was rejected; every variant names the file, and all but `Empty` and
/// `TooLarge` the entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FeedError {
    /// The bytes are not UTF-8.
    #[error("{file}: line {line}, column {column} (byte {offset}): not valid UTF-8")]
    Utf8 {
        /// Feed file name.
        file: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// 1-based byte column of the first invalid byte.
        column: usize,
        /// 0-based byte offset of the first invalid byte.
        offset: usize,
    },
    /// The text is not valid JSON (syntax error or truncated document).
    #[error("{file}: line {line}, column {column}: not valid JSON: {message}")]
    Json {
        /// Feed file name.
        file: String,
        /// 1-based line reported by serde_json.
        line: usize,
        /// 1-based column reported by serde_json.
        column: usize,
        /// serde_json's description, without its position suffix.
        message: String,
    },
    /// Valid JSON/CSV but not the expected shape: a missing field or a value of the wrong type.
    #[error("{file}: {entry}: {problem}")]
    Shape {
        /// Feed file name.
        file: String,
        /// Where in the file (`prefixes[12]`, `line 7`, `top level`).
        entry: String,
        /// What is wrong, quoting the offending text (truncated).
        problem: String,
    },
    /// An entry whose prefix is not a valid CIDR (`addr/len`).
    #[error("{file}: {entry}: invalid prefix {text:?}")]
    InvalidPrefix {
        /// Feed file name.
        file: String,
        /// Where in the file (`prefixes[12]`, `line 7`).
        entry: String,
        /// The offending text (truncated to about 80 characters).
        text: String,
    },
    /// The feed holds no prefixes at all; a blank or truncated download must never replace data.
    #[error("{file}: no prefixes at all (blank or truncated download?)")]
    Empty {
        /// Feed file name.
        file: String,
    },
    /// The file is larger than [`super::MAX_FEED_BYTES`]; rejected before any parsing.
    #[error("{file}: {size} bytes, over the {limit}-byte limit for a feed")]
    TooLarge {
        /// Feed file name.
        file: String,
        /// The file's size in bytes.
        size: usize,
        /// The limit, [`super::MAX_FEED_BYTES`].
        limit: usize,
    },
    /// The API answered with `success: false`.
    #[error("{file}: {entry}: the API reported failure: {message}")]
    ApiFailure {
        /// Feed file name.
        file: String,
        /// The field that reported the failure (`success`).
        entry: String,
        /// The API's `errors` (truncated).
        message: String,
    },
}

impl FeedError {
    /// The feed file this error is about.
    pub fn file(&self) -> &str {
        match self {
            Self::Utf8 { file, .. }
            | Self::Json { file, .. }
            | Self::Shape { file, .. }
            | Self::InvalidPrefix { file, .. }
            | Self::Empty { file }
            | Self::TooLarge { file, .. }
            | Self::ApiFailure { file, .. } => file,
        }
    }
}

/// A value's text cut to about 80 characters so errors stay readable on huge entries.
pub(crate) fn snippet(text: &str) -> String {
    const MAX_CHARS: usize = 80;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or(text)),
        None => text.to_owned(),
    }
}
