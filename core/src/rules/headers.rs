//! The header rule language: a header present, equal to, containing or starting with a value,
//! or a `set-cookie` setting a named cookie; names and values compared ignoring ASCII case.

use super::schema::{HeaderRule, Provider};

/// A provider whose header fingerprint matched, with the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderMatch<'a> {
    /// The matched provider.
    pub provider: &'a Provider,
    /// Human-readable evidence, e.g. "cf-ray header present"; several reasons joined by ", ".
    pub reason: String,
}

/// A header rule prepared for matching: lowercase needles and a ready-made reason.
#[derive(Debug, Clone)]
pub(super) struct PreparedHeader {
    pub(super) provider: usize,
    pub(super) test: HeaderTest,
    pub(super) reason: String,
}

#[derive(Debug, Clone)]
pub(super) enum HeaderTest {
    Present(String),
    Equals(String, String),
    Contains(String, String),
    Prefix(String, String),
    Cookie(String),
}

impl HeaderTest {
    /// `name` and `value` are already lowercase.
    pub(super) fn matches(&self, name: &str, value: &str) -> bool {
        match self {
            HeaderTest::Present(n) => n == name,
            HeaderTest::Equals(n, v) => n == name && v == value,
            HeaderTest::Contains(n, v) => n == name && value.contains(v.as_str()),
            HeaderTest::Prefix(n, v) => n == name && value.starts_with(v.as_str()),
            HeaderTest::Cookie(c) => name == "set-cookie" && sets_cookie(value, c),
        }
    }
}

/// Whether a `set-cookie` value (possibly several cookies joined by ", ", as fetch does) sets
/// `cookie`. Pieces without `=` before their first `;` are date fragments of `Expires` and skipped.
pub(super) fn sets_cookie(value: &str, cookie: &str) -> bool {
    value.split(',').any(|piece| {
        let pair = piece.split(';').next().unwrap_or("");
        pair.split_once('=')
            .is_some_and(|(name, _)| name.trim() == cookie)
    })
}

/// Checks one header rule's shape and turns it into a lowercase test plus its reason text.
pub(super) fn prepare_header(rule: &HeaderRule) -> Result<(HeaderTest, String), String> {
    let tests = [&rule.value, &rule.contains, &rule.prefix]
        .iter()
        .filter(|t| t.is_some())
        .count();
    if [
        &rule.name,
        &rule.cookie,
        &rule.value,
        &rule.contains,
        &rule.prefix,
    ]
    .iter()
    .any(|s| s.as_deref().is_some_and(|s| s.trim().is_empty()))
    {
        return Err("has an empty string".into());
    }
    match (&rule.name, &rule.cookie) {
        (Some(name), None) => {
            if name
                .bytes()
                .any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace())
            {
                return Err(format!(
                    "header name {name:?} must be lowercase without spaces"
                ));
            }
            if tests > 1 {
                return Err(format!(
                    "rule for {name:?} has more than one of value / contains / prefix"
                ));
            }
            let n = name.clone();
            Ok(if let Some(v) = &rule.value {
                (
                    HeaderTest::Equals(n, v.to_ascii_lowercase()),
                    format!("{name}: {v}"),
                )
            } else if let Some(v) = &rule.contains {
                (
                    HeaderTest::Contains(n, v.to_ascii_lowercase()),
                    format!("{name} header contains \"{v}\""),
                )
            } else if let Some(v) = &rule.prefix {
                (
                    HeaderTest::Prefix(n, v.to_ascii_lowercase()),
                    format!("{name} header starts with \"{v}\""),
                )
            } else {
                (HeaderTest::Present(n), format!("{name} header present"))
            })
        }
        (None, Some(cookie)) => {
            if tests > 0 {
                return Err(format!("cookie rule {cookie:?} takes no value test"));
            }
            Ok((
                HeaderTest::Cookie(cookie.to_ascii_lowercase()),
                format!("{cookie} cookie set"),
            ))
        }
        _ => Err("each rule needs exactly one of `name` or `cookie`".into()),
    }
}
