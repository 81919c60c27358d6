//! The name-server pattern language: dotted labels matched on whole labels at the end of a
//! host, a label holding at most one `*` (one or more characters) or `#` (one or more digits).

/// One label of a parsed name-server pattern.
#[derive(Debug, Clone)]
pub(super) enum LabelPat {
    /// The label must equal this.
    Literal(String),
    /// The label is `prefix`, then one or more characters (digits only if `digits`), then `suffix`.
    Wild {
        prefix: String,
        suffix: String,
        digits: bool,
    },
}

impl LabelPat {
    pub(super) fn matches(&self, label: &str) -> bool {
        match self {
            LabelPat::Literal(lit) => lit == label,
            LabelPat::Wild {
                prefix,
                suffix,
                digits,
            } => {
                // The wildcard must cover at least one character, so the label must be longer
                // than the fixed parts; checked before slicing so the slice cannot go wrong.
                if label.len() <= prefix.len() + suffix.len()
                    || !label.starts_with(prefix.as_str())
                    || !label.ends_with(suffix.as_str())
                {
                    return false;
                }
                match label.get(prefix.len()..label.len() - suffix.len()) {
                    Some(middle) => !*digits || middle.bytes().all(|b| b.is_ascii_digit()),
                    None => false,
                }
            }
        }
    }
}

/// A parsed name-server pattern, labels stored right to left (TLD first).
#[derive(Debug, Clone)]
pub(super) struct NsPattern {
    pub(super) labels_rev: Vec<LabelPat>,
    pub(super) provider: usize,
    /// Index into the provider's `ns_patterns`, to hand back the text as written.
    pub(super) pattern: usize,
}

/// Parses a name-server pattern into labels, right to left.
pub(super) fn parse_ns_pattern(text: &str) -> Result<Vec<LabelPat>, String> {
    if text.is_empty() || text.starts_with('.') || text.ends_with('.') {
        return Err(format!(
            "{text:?} must be a dotted name without leading or trailing dot"
        ));
    }
    text.rsplit('.')
        .map(|label| {
            let ok = !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_*#".contains(&b));
            if !ok {
                return Err(format!(
                    "{text:?}: label {label:?} must be lowercase letters, digits, '-', '*' or '#'"
                ));
            }
            let wild: Vec<usize> = label
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'*' || *b == b'#')
                .map(|(k, _)| k)
                .collect();
            match wild.as_slice() {
                [] => Ok(LabelPat::Literal(label.to_owned())),
                [k] => Ok(LabelPat::Wild {
                    prefix: label[..*k].to_owned(),
                    suffix: label[k + 1..].to_owned(),
                    digits: label.as_bytes()[*k] == b'#',
                }),
                _ => Err(format!(
                    "{text:?}: label {label:?} has more than one wildcard"
                )),
            }
        })
        .collect()
}
