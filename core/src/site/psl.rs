//! The Public Suffix List kept as its rules, sorted, one per line, in a single string, and looked
//! up by binary search over the lines. The shipped list is sorted by the build script, so a
//! worker that wakes parses nothing (building a tree of maps from the 9,000 rules took 17 ms of
//! each start in the browser's wasm).
//!
//! The rules are sorted by their bytes read backwards, so the rules under one suffix sit together
//! (`ac.jp`, `ad.jp`, … rather than beside `ac.kr`): the shipped list gzips 1.9 KB smaller.
//!
//! The algorithm is the list's own (publicsuffix.org/list/): a rule matches a name when its
//! labels equal the name's last labels, `*` matching any one label; an exception rule (`!`)
//! prevails, its public suffix being the rule without its first label; otherwise the matching
//! rule with the most labels; when none matches, the implicit rule `*` makes the last label the
//! suffix, and the suffix is not *known*. ICANN and private rules count alike, as in browsers.

use std::borrow::Cow;

use super::{unicode_to_ascii, SiteError};

/// A list's rules in a form that needs no parsing to be used.
#[derive(Debug, Clone)]
pub(super) struct SuffixList {
    /// Rules in the order of their bytes read backwards ([`backwards`]), each followed by `\n`,
    /// no duplicates; Unicode rules in punycode.
    sorted: Cow<'static, str>,
}

/// Where the public suffix of a name begins, and whether a rule of the list gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Suffix {
    /// Byte offset of the suffix in the name (0: the name is itself a public suffix).
    pub at: usize,
    /// False when no rule matched and the implicit `*` rule made the last label the suffix.
    pub known: bool,
}

impl SuffixList {
    /// A list the build script already sorted ([`Self::prepare`]'s output).
    pub(super) const fn presorted(sorted: &'static str) -> Self {
        Self {
            sorted: Cow::Borrowed(sorted),
        }
    }

    /// A list in its published format (comments, blank lines, text after a rule ignored;
    /// Unicode rules converted to punycode).
    pub(super) fn parse(text: &str) -> Result<Self, SiteError> {
        Ok(Self {
            sorted: Cow::Owned(Self::prepare(text, |rule| {
                unicode_to_ascii(rule).map(Cow::into_owned).ok()
            })?),
        })
    }

    /// The rules of `text`, checked, converted to ASCII with `to_ascii`, sorted and joined: what
    /// the build script ships and [`Self::parse`] keeps.
    pub(super) fn prepare(
        text: &str,
        to_ascii: impl Fn(&str) -> Option<String>,
    ) -> Result<String, SiteError> {
        let mut rules = Vec::new();
        for line in text.lines() {
            let Some(rule) = line.split_whitespace().next() else {
                continue;
            };
            if rule.starts_with("//") {
                continue;
            }
            let bad = || SiteError::List(format!("invalid rule {rule:?}"));
            let (bang, name) = match rule.strip_prefix('!') {
                Some(rest) => ("!", rest),
                None => ("", rule),
            };
            let ascii = if name.is_ascii() {
                name.to_ascii_lowercase()
            } else {
                to_ascii(name).ok_or_else(bad)?
            };
            let labels: Vec<&str> = ascii.split('.').collect();
            let wild_ok = labels.iter().skip(1).all(|l| *l != "*");
            let labels_ok = labels.iter().all(|l| {
                !l.is_empty()
                    && (*l == "*"
                        || l.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            });
            // An exception names a registrable domain under a wildcard: at least two labels.
            let exception_ok = bang.is_empty() || (labels.len() >= 2 && labels[0] != "*");
            if !(wild_ok && labels_ok && exception_ok) {
                return Err(bad());
            }
            rules.push(format!("{bang}{ascii}"));
        }
        if rules.is_empty() {
            return Err(SiteError::List("no rules".into()));
        }
        rules.sort_unstable_by(|a, b| backwards(a.as_bytes()).cmp(backwards(b.as_bytes())));
        rules.dedup();
        let mut sorted = String::with_capacity(rules.iter().map(|r| r.len() + 1).sum());
        for r in rules {
            sorted.push_str(&r);
            sorted.push('\n');
        }
        Ok(sorted)
    }

    /// Whether the rule `prefix` + `rest` is in the list (binary search over the lines).
    fn has(&self, prefix: &str, rest: &str) -> bool {
        let text = self.sorted.as_bytes();
        let (mut lo, mut hi) = (0usize, text.len());
        // Invariant: `lo` and `hi` are line starts (or the end); the rule, if present, starts
        // in [lo, hi).
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = text[..mid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
                .max(lo);
            let end = start
                + text[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .unwrap_or(text.len() - start);
            let line = &text[start..end];
            match cmp_joined(line, prefix.as_bytes(), rest.as_bytes()) {
                std::cmp::Ordering::Equal => return true,
                std::cmp::Ordering::Less => lo = end + 1,
                std::cmp::Ordering::Greater => hi = start,
            }
        }
        false
    }

    /// The public suffix of `name`, a normalized hostname (lowercase ASCII, no empty label).
    pub(super) fn suffix(&self, name: &str) -> Suffix {
        // Label starts, rightmost first: the candidate suffixes from the TLD to the whole name.
        let starts = name
            .rmatch_indices('.')
            .map(|(i, _)| i + 1)
            .chain(std::iter::once(0));
        let mut best: Option<usize> = None;
        let mut prev: Option<usize> = None;
        for at in starts {
            let candidate = &name[at..];
            if self.has("!", candidate) {
                // The exception's suffix is the candidate without its first label.
                return Suffix {
                    at: prev.unwrap_or(at),
                    known: true,
                };
            }
            let wildcard = prev.is_some_and(|p| self.has("*.", &name[p..]));
            if self.has("", candidate) || wildcard {
                best = Some(at);
            }
            prev = Some(at);
        }
        match best {
            Some(at) => Suffix { at, known: true },
            None => Suffix {
                at: name.rfind('.').map_or(0, |i| i + 1),
                known: false,
            },
        }
    }
}

/// A rule's bytes read backwards: the list's order (`build.rs` sorts the shipped list the same
/// way).
fn backwards(rule: &[u8]) -> impl Iterator<Item = &u8> {
    rule.iter().rev()
}

/// `line` compared with `prefix` followed by `rest`, without joining them, in the list's order
/// ([`backwards`]).
fn cmp_joined(line: &[u8], prefix: &[u8], rest: &[u8]) -> std::cmp::Ordering {
    backwards(line).cmp(backwards(rest).chain(backwards(prefix)))
}
