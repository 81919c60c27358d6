//! Reading input a line at a time whatever it holds: a line that is not UTF-8 or is far too
//! long is reported with its number and the rest goes on; none is ever held whole in memory.

use std::io::BufRead;

/// The longest line kept; the rest of a longer one is skipped (no address, hostname or URL
/// worth looking up comes close).
pub(crate) const MAX_LINE: usize = 8 * 1024;

/// At most this many characters of an input are quoted back in an error.
pub(crate) const ECHO_CHARS: usize = 200;

/// One line of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line of text, without its line end.
    Text(String),
    /// Not UTF-8: what it looks like with the bad bytes replaced, cut for echoing.
    NotUtf8(String),
    /// Longer than [`MAX_LINE`]: its length in bytes and its start, cut for echoing.
    TooLong {
        /// The whole line's length in bytes.
        bytes: u64,
        /// Its start.
        head: String,
    },
}

impl Line {
    /// The problem with a line that is not text, as `line N: …`; `None` for text.
    pub(crate) fn problem(&self, number: u64) -> Option<String> {
        match self {
            Line::Text(_) => None,
            Line::NotUtf8(shown) => Some(format!("line {number}: not UTF-8: {shown:?}")),
            Line::TooLong { bytes, head } => Some(format!(
                "line {number}: too long ({bytes} bytes, at most {MAX_LINE}): {head:?}"
            )),
        }
    }
}

/// Numbered lines of a reader (from 1), each read up to [`MAX_LINE`] bytes.
pub(crate) struct Lines<R> {
    inner: R,
    number: u64,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    /// Lines of `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            number: 0,
            buf: Vec::new(),
        }
    }

    /// The next line and its number; `None` at the end. A final line without a line end counts.
    pub(crate) fn next_line(&mut self) -> std::io::Result<Option<(u64, Line)>> {
        self.buf.clear();
        let mut total = 0u64;
        let mut any = false;
        loop {
            let available = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                if !any {
                    return Ok(None);
                }
                break;
            }
            any = true;
            let (part, used, end) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            let room = MAX_LINE.saturating_sub(self.buf.len());
            self.buf.extend_from_slice(&part[..part.len().min(room)]);
            total += part.len() as u64;
            self.inner.consume(used);
            if end {
                break;
            }
        }
        self.number += 1;
        if self.buf.last() == Some(&b'\r') && total <= MAX_LINE as u64 {
            self.buf.pop();
        }
        let line = if total > MAX_LINE as u64 {
            Line::TooLong {
                bytes: total,
                head: clip(&String::from_utf8_lossy(&self.buf)),
            }
        } else {
            match std::str::from_utf8(&self.buf) {
                Ok(text) => Line::Text(text.to_owned()),
                Err(_) => Line::NotUtf8(clip(&String::from_utf8_lossy(&self.buf))),
            }
        };
        Ok(Some((self.number, line)))
    }
}

/// `text` cut to [`ECHO_CHARS`] characters (with `…` when cut), for quoting in an error.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(ECHO_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn all(input: &[u8]) -> Vec<(u64, Line)> {
        let mut lines = Lines::new(std::io::BufReader::with_capacity(7, input));
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            out.push(l);
        }
        out
    }

    #[test]
    fn numbers_lines_and_reports_bad_ones_without_stopping() {
        let long = vec![b'a'; MAX_LINE + 10];
        let mut input = b"one\r\ncaf\xe9\n".to_vec();
        input.extend_from_slice(&long);
        input.extend_from_slice(b"\n\nlast");
        let lines = all(&input);
        assert_eq!(lines.len(), 5);
        assert_eq!(lines[0], (1, Line::Text("one".into())));
        assert_eq!(lines[1], (2, Line::NotUtf8("caf\u{fffd}".into())));
        match &lines[2] {
            (3, Line::TooLong { bytes, head }) => {
                assert_eq!(*bytes, (MAX_LINE + 10) as u64);
                assert_eq!(head.chars().count(), ECHO_CHARS + 1);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(lines[3], (4, Line::Text(String::new())));
        assert_eq!(lines[4], (5, Line::Text("last".into())));
        assert_eq!(
            lines[1].1.problem(2).unwrap(),
            "line 2: not UTF-8: \"caf\u{fffd}\""
        );
        assert!(all(b"").is_empty());
    }

    #[test]
    fn clips_long_text_on_a_character_boundary() {
        assert_eq!(clip("short"), "short");
        let long = "é".repeat(300);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), ECHO_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
