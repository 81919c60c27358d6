//! Maps keyed by name as one sorted vector (`LiteMap`), and their one serde form.
//!
//! A `BTreeMap`'s nodes are about half full, so a stored record's maps cost as much again as
//! their entries, and each `BTreeMap` of its own key and value types is 4–11 KB of the worker's
//! wasm. The maps records keep (hosts, dependencies, status polls) and the rules' few name maps
//! are `LiteMap`s, written as a map (`{}` when empty, where `LiteMap`'s own form writes an empty
//! map as `[]`) and read here in one pass: exactly sized (a map read without a size grows by
//! doubling), sorted through [`crate::sort`] only when the stored order is not already sorted
//! (`LiteMap`'s reader carried a copy of the standard stable sort for every value type), a key
//! given twice keeping its last value, as a map's reader does. `[]`, which `LiteMap` wrote
//! for an empty map before, reads as empty (and a list of pairs as its pairs).

use std::fmt;
use std::marker::PhantomData;

use litemap::LiteMap;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Room reserved from a reader's size hint at most: the hint is the sender's word.
const MAX_HINT: usize = 4096;

/// Writes `map` as a map, in key order (`#[serde(with = "crate::sorted_map")]`).
pub fn serialize<S: Serializer, V: Serialize>(
    map: &LiteMap<String, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_map(map.iter())
}

/// Reads a map (or a list of key-value pairs) into a sorted vector with no spare room.
pub fn deserialize<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<LiteMap<String, V>, D::Error> {
    struct Entries<V>(PhantomData<V>);
    impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
        type Value = Vec<(String, V)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map, or a list of pairs")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(MAX_HINT));
            while let Some(entry) = map.next_entry()? {
                entries.push(entry);
            }
            Ok(entries)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_HINT));
            while let Some(entry) = seq.next_element()? {
                entries.push(entry);
            }
            Ok(entries)
        }
    }
    let mut entries = d.deserialize_any(Entries(PhantomData))?;
    if !entries.windows(2).all(|w| w[0].0 < w[1].0) {
        crate::sort::sort_by(&mut entries, |a, b| a.0.cmp(&b.0));
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
    }
    entries.shrink_to_fit();
    Ok(LiteMap::from_sorted_store_unchecked(entries))
}

/// A set of names as one sorted vector: the tracker's pending hosts, unsaved sites and the
/// like, tens to a few thousand names (a `BTreeSet<String>` was 12 KB of the worker's wasm).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NameSet(LiteMap<String, ()>);

impl NameSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name`; false when it was there already.
    pub fn insert(&mut self, name: String) -> bool {
        self.0.insert(name, ()).is_none()
    }

    /// Whether `name` is in the set.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Removes `name`; false when it was not there.
    pub fn remove(&mut self, name: &str) -> bool {
        self.0.remove(name).is_some()
    }

    /// Removes every name.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names in order.
    pub fn iter(&self) -> impl Iterator<Item = &String> {
        self.0.keys()
    }
}

impl IntoIterator for NameSet {
    type Item = String;
    type IntoIter = std::iter::Map<std::vec::IntoIter<(String, ())>, fn((String, ())) -> String>;

    /// The names in order.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_tuple_vec().into_iter().map(|(name, ())| name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Holder {
        #[serde(with = "super")]
        m: LiteMap<String, u32>,
    }

    #[test]
    fn maps_read_sorted_exactly_sized_last_value_winning() {
        let h: Holder = serde_json::from_str(r#"{"m": {"b": 1, "a": 2, "c": 3, "b": 4}}"#).unwrap();
        assert_eq!(
            h.m.iter()
                .map(|(k, v)| (k.as_str(), *v))
                .collect::<Vec<_>>(),
            [("a", 2), ("b", 4), ("c", 3)]
        );
        assert_eq!(h.m.into_tuple_vec().capacity(), 3);
        // Already in order, with the same key twice in a row.
        let h: Holder = serde_json::from_str(r#"{"m": {"a": 1, "a": 5, "b": 2}}"#).unwrap();
        assert_eq!(h.m.get("a"), Some(&5));
        assert_eq!(h.m.len(), 2);
    }

    #[test]
    fn a_name_set_is_a_sorted_set() {
        let mut s = NameSet::new();
        assert!(s.insert("b".into()));
        assert!(s.insert("a".into()));
        assert!(!s.insert("b".into()));
        assert!(s.contains("a") && !s.contains("c"));
        assert_eq!(s.len(), 2);
        assert_eq!(s.iter().map(String::as_str).collect::<Vec<_>>(), ["a", "b"]);
        assert!(s.remove("a") && !s.remove("a"));
        assert_eq!(s.clone().into_iter().collect::<Vec<_>>(), ["b"]);
        s.clear();
        assert!(s.is_empty());
    }

    #[test]
    fn empty_maps_write_as_maps_and_read_from_either_form() {
        let empty = Holder { m: LiteMap::new() };
        assert_eq!(serde_json::to_value(&empty).unwrap(), json!({"m": {}}));
        for v in [json!({"m": {}}), json!({"m": []})] {
            assert_eq!(serde_json::from_value::<Holder>(v).unwrap(), empty);
        }
        let pairs: Holder = serde_json::from_value(json!({"m": [["b", 1], ["a", 2]]})).unwrap();
        assert_eq!(pairs.m.get("a"), Some(&2));
        assert!(serde_json::from_value::<Holder>(json!({"m": 3})).is_err());
    }
}
