//! Shared helpers: decoding bytes, walking JSON with precise error locations, prefixes and dates.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use super::error::{snippet, FeedError};

/// Error-reporting context for one file; every helper names the file and the entry it failed on.
pub(super) struct Ctx<'a> {
    pub(crate) file: &'a str,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(file: &'a str) -> Self {
        Self { file }
    }

    pub(crate) fn shape(&self, entry: String, problem: String) -> FeedError {
        FeedError::Shape {
            file: self.file.to_owned(),
            entry,
            problem,
        }
    }

    pub(crate) fn bad_prefix(&self, entry: String, text: &str) -> FeedError {
        FeedError::InvalidPrefix {
            file: self.file.to_owned(),
            entry,
            text: snippet(text),
        }
    }

    /// The bytes as text; a leading BOM is dropped because some Windows-built feeds carry one.
    pub(crate) fn text<'b>(&self, bytes: &'b [u8]) -> Result<&'b str, FeedError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            let offset = e.valid_up_to();
            let before = bytes.get(..offset).unwrap_or_default();
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            FeedError::Utf8 {
                file: self.file.to_owned(),
                line: before.iter().filter(|&&b| b == b'\n').count() + 1,
                column: offset - line_start + 1,
                offset,
            }
        })
    }

    pub(crate) fn json(&self, bytes: &[u8]) -> Result<Value, FeedError> {
        let text = self.text(bytes)?;
        serde_json::from_str(text).map_err(|e| {
            let full = e.to_string();
            // serde_json appends " at line L column C"; the position has its own fields.
            let message = full
                .rfind(" at line ")
                .and_then(|i| full.get(..i))
                .unwrap_or(&full)
                .to_owned();
            FeedError::Json {
                file: self.file.to_owned(),
                line: e.line(),
                column: e.column(),
                message,
            }
        })
    }

    fn wrong_type(&self, entry: String, want: &str, found: &Value) -> FeedError {
        self.shape(
            entry,
            format!(
                "expected {want}, found {} {}",
                kind(found),
                snippet(&found.to_string())
            ),
        )
    }

    pub(crate) fn object<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
    ) -> Result<&'v Map<String, Value>, FeedError> {
        value
            .as_object()
            .ok_or_else(|| self.wrong_type(at(), "an object", value))
    }

    pub(crate) fn array<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
    ) -> Result<&'v [Value], FeedError> {
        value
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| self.wrong_type(at(), "an array", value))
    }

    pub(crate) fn string<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
    ) -> Result<&'v str, FeedError> {
        value
            .as_str()
            .ok_or_else(|| self.wrong_type(at(), "a string", value))
    }

    /// Field `key` of the object `value` (which sits at `at`), if present and not null.
    pub(crate) fn field<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<Option<&'v Value>, FeedError> {
        Ok(self.object(value, at)?.get(key).filter(|v| !v.is_null()))
    }

    pub(crate) fn required<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<&'v Value, FeedError> {
        self.field(value, at, key)?.ok_or_else(|| {
            self.shape(
                at(),
                format!("missing field {key:?} in {}", snippet(&value.to_string())),
            )
        })
    }

    pub(crate) fn opt_str<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<Option<&'v str>, FeedError> {
        self.field(value, at, key)?
            .map(|v| self.string(v, &|| member(&at(), key)))
            .transpose()
    }

    pub(crate) fn req_str<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<&'v str, FeedError> {
        let v = self.required(value, at, key)?;
        self.string(v, &|| member(&at(), key))
    }

    /// Required array field; a wrong type is reported at `<at>.<key>`.
    pub(crate) fn req_array<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<&'v [Value], FeedError> {
        let v = self.required(value, at, key)?;
        self.array(v, &|| member(&at(), key))
    }

    pub(crate) fn opt_array<'v>(
        &self,
        value: &'v Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<Option<&'v [Value]>, FeedError> {
        self.field(value, at, key)?
            .map(|v| self.array(v, &|| member(&at(), key)))
            .transpose()
    }

    /// A JSON string holding a CIDR; errors are reported against `at` (the entry, not the field).
    pub(crate) fn prefix_value(
        &self,
        value: &Value,
        at: &dyn Fn() -> String,
    ) -> Result<IpNet, FeedError> {
        match value.as_str() {
            Some(text) => self.prefix(text, at),
            None => Err(self.wrong_type(at(), "a prefix string", value)),
        }
    }

    pub(crate) fn prefix(&self, text: &str, at: &dyn Fn() -> String) -> Result<IpNet, FeedError> {
        parse_prefix(text).ok_or_else(|| self.bad_prefix(at(), text))
    }

    /// A CIDR, or a bare address as its host route: for lists that publish single edge
    /// servers (QUIC.cloud, Bunny), where a bare address is the format, not a cut line.
    pub(crate) fn prefix_or_address(
        &self,
        text: &str,
        at: &dyn Fn() -> String,
    ) -> Result<IpNet, FeedError> {
        let trimmed = text.trim();
        parse_prefix(trimmed)
            .or_else(|| trimmed.parse::<IpAddr>().ok().map(IpNet::from))
            .ok_or_else(|| self.bad_prefix(at(), text))
    }

    /// A JSON string holding a CIDR or a bare address (see [`Ctx::prefix_or_address`]).
    pub(crate) fn prefix_or_address_value(
        &self,
        value: &Value,
        at: &dyn Fn() -> String,
    ) -> Result<IpNet, FeedError> {
        match value.as_str() {
            Some(text) => self.prefix_or_address(text, at),
            None => Err(self.wrong_type(at(), "a prefix string", value)),
        }
    }

    /// `syncToken`-like version: a string or a number, kept as text.
    pub(crate) fn opt_version(
        &self,
        value: &Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<Option<String>, FeedError> {
        match self.field(value, at, key)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(self.wrong_type(member(&at(), key), "a string or number", other)),
        }
    }

    /// A timestamp field reduced to its `YYYY-MM-DD` day; a malformed one is a shape error.
    pub(crate) fn opt_date(
        &self,
        value: &Value,
        at: &dyn Fn() -> String,
        key: &str,
    ) -> Result<Option<String>, FeedError> {
        let Some(text) = self.opt_str(value, at, key)? else {
            return Ok(None);
        };
        crate::date::iso_date(text)
            .map(|d| Some(d.to_owned()))
            .ok_or_else(|| {
                self.shape(
                    member(&at(), key),
                    format!(
                        "expected a date starting YYYY-MM-DD, found {:?}",
                        snippet(text)
                    ),
                )
            })
    }
}

pub(super) fn top() -> String {
    "top level".to_owned()
}

/// `parent.key`, or just `key` at the top level.
pub(super) fn member(parent: &str, key: &str) -> String {
    if parent == "top level" {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A CIDR with host bits cleared. A bare address is refused on purpose: a text feed cut
/// mid-line ("104.16.0.0" from "104.16.0.0/13") must fail rather than become a /32.
pub(crate) fn parse_prefix(text: &str) -> Option<IpNet> {
    let text = text.trim();
    if !text.contains('/') {
        return None;
    }
    text.parse::<IpNet>().ok().map(|net| net.trunc())
}
