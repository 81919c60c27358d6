//! The webRequest resource types a dependency was requested as: a small sorted set, kept as
//! bits for the types the browsers name, so 50,000 dependencies do not hold 50,000 vectors of
//! strings (BENCHMARKS.md, worker memory). Stored as before: a sorted array of names.

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Most types one dependency keeps (bounds what a hostile page or record can make it hold).
const MAX_TYPES: usize = 12;

/// The resource type names Chrome's and Firefox's request APIs use, sorted: each is one bit.
/// A name missing here is still kept (in `other`), only less compactly.
const KNOWN: [&str; 24] = [
    "beacon",
    "csp_report",
    "fetch",
    "font",
    "image",
    "imageset",
    "json",
    "main_frame",
    "media",
    "object",
    "object_subrequest",
    "other",
    "ping",
    "script",
    "speculative",
    "stylesheet",
    "sub_frame",
    "web_manifest",
    "webbundle",
    "websocket",
    "webtransport",
    "xml_dtd",
    "xmlhttprequest",
    "xslt",
];

/// The bit of a name of [`KNOWN`].
fn bit(kind: &str) -> Option<u32> {
    KNOWN.iter().position(|k| *k == kind).map(|i| 1 << i)
}

/// A sorted, distinct set of at most [`MAX_TYPES`] resource type names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceTypes {
    /// Bit `i` set: `KNOWN[i]` is in the set.
    known: u32,
    /// Names no browser used when this was written, sorted (rare: a new browser's type).
    other: Option<Box<[Box<str>]>>,
}

impl ResourceTypes {
    /// How many names the set holds.
    pub fn len(&self) -> usize {
        self.known.count_ones() as usize + self.other.as_ref().map_or(0, |o| o.len())
    }

    /// True when no type was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `kind` is in the set.
    pub fn contains(&self, kind: &str) -> bool {
        match bit(kind) {
            Some(b) => self.known & b != 0,
            None => self
                .other
                .as_ref()
                .is_some_and(|o| o.iter().any(|k| &**k == kind)),
        }
    }

    /// Adds `kind` unless it is empty, already there, or the set is full.
    pub fn insert(&mut self, kind: &str) {
        if kind.is_empty() || self.contains(kind) || self.len() >= MAX_TYPES {
            return;
        }
        match bit(kind) {
            Some(b) => self.known |= b,
            None => {
                let mut names: Vec<Box<str>> = self.other.take().map(Vec::from).unwrap_or_default();
                let at = names.partition_point(|k| &**k < kind);
                names.insert(at, kind.into());
                self.other = Some(names.into_boxed_slice());
            }
        }
    }

    /// The names, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        let mut known = KNOWN
            .iter()
            .enumerate()
            .filter(|(i, _)| self.known & (1 << i) != 0)
            .map(|(_, k)| *k)
            .peekable();
        let mut other = self
            .other
            .iter()
            .flat_map(|o| o.iter())
            .map(|k| &**k)
            .peekable();
        std::iter::from_fn(move || match (known.peek(), other.peek()) {
            (Some(k), Some(o)) if o < k => other.next(),
            (Some(_), _) => known.next(),
            (None, _) => other.next(),
        })
    }
}

impl<'a> FromIterator<&'a str> for ResourceTypes {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        let mut set = Self::default();
        for kind in iter {
            set.insert(kind);
        }
        set
    }
}

impl Serialize for ResourceTypes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for kind in self.iter() {
            seq.serialize_element(kind)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ResourceTypes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Reads an array of names into the set (sorted, distinct and bounded as it goes).
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = ResourceTypes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of resource type names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut set = ResourceTypes::default();
                while let Some(kind) = seq.next_element::<String>()? {
                    set.insert(&kind);
                }
                Ok(set)
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_is_sorted_distinct_and_fits_the_bits() {
        // `iter` merges the bits in this order with the other names: it must be sorted.
        assert!(KNOWN.windows(2).all(|w| w[0] < w[1]));
        assert!(KNOWN.len() <= 32);
    }

    #[test]
    fn names_read_back_sorted_distinct_and_bounded_known_or_not() {
        let set: ResourceTypes =
            serde_json::from_str(r#"["script","zz_new","image","script","a_new","xslt"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&set).unwrap(),
            r#"["a_new","image","script","xslt","zz_new"]"#
        );
        assert!(set.contains("zz_new") && set.contains("image") && !set.contains("font"));
        let names: Vec<String> = (0..40).map(|i| format!("new{i:02}")).collect();
        let many: ResourceTypes = names.iter().map(String::as_str).collect();
        assert_eq!(many.len(), MAX_TYPES);
        assert_eq!(many.iter().last(), Some("new11"));
        let all: ResourceTypes = KNOWN.iter().copied().collect();
        assert_eq!(all.len(), MAX_TYPES);
        assert!(serde_json::from_str::<ResourceTypes>(r#"["script", 3]"#).is_err());
    }
}
