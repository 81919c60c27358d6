//! Plain text lists, one entry per line: Cloudflare `ips-v4` / `ips-v6`, Akamai's CIDR files,
//! CacheFly `cdn.txt` (`cidr-text`), and lists of single addresses such as QUIC.cloud's
//! (`ip-text`).

use super::ctx::Ctx;
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// What one entry may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Entries {
    /// CIDRs only: a bare address is refused, so a line cut mid-way ("104.16.0.0" from
    /// "104.16.0.0/13") fails the file instead of becoming a /32.
    Cidrs,
    /// CIDRs or bare addresses (host routes); entries may also be separated by `<br>` tags,
    /// as QUIC.cloud's page separates them.
    Addresses,
}

/// Blank lines and `#` comments (whole-line or trailing) are skipped; surrounding whitespace
/// (Akamai ends most lines with a TAB) is not part of an entry.
pub(super) fn parse(
    cx: &Ctx,
    spec: &FeedSpec,
    bytes: &[u8],
    entries: Entries,
) -> Result<Parsed, FeedError> {
    let text = cx.text(bytes)?;
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let content = line.split_once('#').map_or(line, |(before, _)| before);
        let at = || format!("line {}", n + 1);
        let pieces: Vec<&str> = match entries {
            Entries::Cidrs => vec![content],
            Entries::Addresses => split_br(content),
        };
        for piece in pieces {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            let prefix = match entries {
                Entries::Cidrs => cx.prefix(piece, &at)?,
                Entries::Addresses => cx.prefix_or_address(piece, &at)?,
            };
            records.push(PrefixRecord::new(prefix, &spec.provider, None, None));
        }
    }
    Ok(Parsed {
        date: None,
        version: None,
        records,
    })
}

/// Splits at `<br>`, `<br/>` and `<br />` (any case); other markup stays and fails the parse.
fn split_br(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(start) = find_ascii_ci(rest, "<br") {
        let after = rest.get(start + 3..).unwrap_or("");
        let Some(close) = after.find('>') else {
            break;
        };
        let inside = after.get(..close).unwrap_or("");
        if !inside.trim().trim_end_matches('/').trim().is_empty() {
            break;
        }
        out.push(rest.get(..start).unwrap_or(""));
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push(rest);
    out
}

/// Byte offset of the first ASCII-case-insensitive occurrence of `needle` (ASCII) in `hay`.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    hay.as_bytes()
        .windows(n)
        .position(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}
