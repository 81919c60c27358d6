//! Reading stored state that is damaged or was written by another version.
//!
//! Users trust the extension with their browsing history: what is stored is read as leniently
//! as it can be without guessing. A record whose one field is unreadable keeps every other field
//! (that field takes its default and a warning says so); only a value that is not a record at
//! all is discarded. The logic is written once over [`Doc`], a stored value: in the worker that
//! is the `JsValue` storage returns (so the wasm carries no second JSON reader of every stored
//! type), in the unit tests a `serde_json::Value`. `worker::start` does the storage I/O and
//! decides what to write back.

use std::fmt::Display;

use onebasket::settings::Settings;
use onebasket::site_record::SiteRecord;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::store::SCHEMA;

/// A stored value, as far as reading it leniently needs.
pub(crate) trait Doc: Sized + Clone {
    /// Why a value could not be read as, or written from, a type.
    type Error: Display;
    /// Missing (`undefined`) or `null`.
    fn is_null(&self) -> bool;
    /// The string it is, if it is one.
    fn as_str(&self) -> Option<String>;
    /// The non-negative integer it is, if it is one.
    fn as_u64(&self) -> Option<u64>;
    /// The items, if it is an array.
    fn items(&self) -> Option<Vec<Self>>;
    /// The fields, if it is a plain object (not an array).
    fn fields(&self) -> Option<Vec<(String, Self)>>;
    /// A copy of this object with `name` set to `value`.
    fn with_field(&self, name: &str, value: &Self) -> Self;
    /// Reads it as a `T`.
    fn read<T: DeserializeOwned>(&self) -> Result<T, Self::Error>;
    /// Writes a `T` as a value.
    fn write<T: Serialize>(value: &T) -> Result<Self, Self::Error>;
    /// A short rendering for the log (never the whole of a large value).
    fn brief(&self) -> String;
}

/// Shortens a rendering for the log.
fn shorten(text: String) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// What the stored `schema` key says about the layout of everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Schema {
    /// No `schema` key: a new profile, or one written before the key existed.
    Absent,
    /// An older layout (`0` is the unversioned one): readable, to be migrated.
    Older(u32),
    /// This build's layout.
    Current,
    /// Written by a newer build (the user went back a version): what can be read is used, and
    /// nothing this build cannot read is deleted or overwritten with the older layout.
    Newer(u32),
    /// Not a number: treated like an older layout, with a warning.
    Unreadable,
}

impl Schema {
    /// Classifies the stored `schema` value.
    pub(crate) fn of<D: Doc>(value: &D) -> Self {
        if value.is_null() {
            return Self::Absent;
        }
        match value.as_u64().map(u32::try_from) {
            Some(Ok(n)) if n == SCHEMA => Self::Current,
            Some(Ok(n)) if n < SCHEMA => Self::Older(n),
            Some(Ok(n)) => Self::Newer(n),
            // A number beyond u32 can only come from a (much) newer build or corruption;
            // either way nothing may be deleted on its account.
            Some(Err(_)) => Self::Newer(u32::MAX),
            None => Self::Unreadable,
        }
    }

    /// True when the stored data is in an older (or unknown) layout and must be migrated, after
    /// which [`SCHEMA`] is written.
    pub(crate) fn needs_migration(self) -> bool {
        matches!(self, Self::Absent | Self::Older(_) | Self::Unreadable)
    }

    /// True when data this build cannot read may have been written by a newer build, so it
    /// must be left in storage.
    pub(crate) fn is_newer(self) -> bool {
        matches!(self, Self::Newer(_))
    }
}

/// `template` with each field of `stored` that `template`'s type can hold taken over, one field
/// at a time; every field that cannot be read (with the others, and passing `accept`) keeps the
/// template's value and is named in the returned warnings. Fields the template does not have
/// (written by a newer build) are ignored.
fn merge_fields<T, D, E>(
    template: &T,
    stored: &[(String, D)],
    what: &str,
    optional: &[&str],
    accept: impl Fn(&T) -> Result<(), E>,
) -> (T, Vec<String>)
where
    T: Serialize + DeserializeOwned + Clone,
    D: Doc,
    E: Display,
{
    let mut warnings = Vec::new();
    // Writing one of our plain data structs cannot fail; if it did, the template stands.
    let Ok(mut merged) = D::write(template) else {
        return (template.clone(), vec![format!("{what}: defaults used")]);
    };
    // Fields the template does not write when empty are known all the same.
    let known: Vec<String> = merged
        .fields()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, _)| k)
        .chain(optional.iter().map(|f| (*f).to_owned()))
        .collect();
    for (field, value) in stored {
        if !known.contains(field) {
            continue;
        }
        let candidate = merged.with_field(field, value);
        let refused = match candidate.read::<T>() {
            Ok(t) => accept(&t).err().map(|e| e.to_string()),
            Err(e) => Some(e.to_string()),
        };
        match refused {
            None => merged = candidate,
            Some(e) => warnings.push(format!(
                "{what}.{field} = {} discarded ({e})",
                value.brief()
            )),
        }
    }
    // Every field kept was just read successfully with the others, so this reads.
    let result = merged.read().unwrap_or_else(|_| template.clone());
    (result, warnings)
}

/// The settings from the stored value: each readable, valid field is kept; a field of the wrong
/// type or with an invalid value takes its default (with a warning), so one damaged field
/// never resets the user's resolver or other choices.
pub(crate) fn settings<D: Doc>(stored: &D) -> (Settings, Vec<String>) {
    if stored.is_null() {
        return (Settings::default(), Vec::new());
    }
    match stored.fields() {
        Some(fields) => merge_fields(&Settings::default(), &fields, "settings", &[], |s| {
            s.validate()
        }),
        None => (
            Settings::default(),
            vec![format!(
                "settings = {} is not an object; defaults used",
                stored.brief()
            )],
        ),
    }
}

/// A site record from the value stored under `key` (`site:<site>`), migrated to the current
/// shape: fields missing from an older record take their defaults, an unreadable field (a
/// profile of an older format, say) is dropped alone with a warning. `Err` when the value is no
/// record at all (not an object, or naming neither its main host nor its site); then it is
/// discarded. A record with no `lastSeen` counts as seen `now`, so the retention clean-up does
/// not forget it the hour it was migrated.
pub(crate) fn site<D: Doc>(
    key: &str,
    stored: &D,
    now: u64,
) -> Result<(SiteRecord, Vec<String>), NotARecord> {
    let site = key
        .strip_prefix(crate::store::SITE_PREFIX)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| NotARecord::Key(key.to_owned()))?;
    let Some(fields) = stored.fields() else {
        return Err(NotARecord::NotAnObject {
            key: key.to_owned(),
            value: stored.brief(),
        });
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_str())
    };
    let named_site = field("site");
    let main_host = field("mainHost").filter(|h| !h.is_empty());
    if main_host.is_none() && named_site.as_deref() != Some(site) {
        return Err(NotARecord::Nameless {
            key: key.to_owned(),
            value: stored.brief(),
        });
    }
    let mut warnings = Vec::new();
    if let Some(named) = named_site.filter(|s| s != site) {
        // The key is what every other part of the worker goes by.
        warnings.push(format!(
            "{key}.site = {named:?} differs from its key; the key wins"
        ));
    }
    let template = SiteRecord::new(site, main_host.as_deref().unwrap_or(site), now);
    let rest: Vec<(String, D)> = fields.into_iter().filter(|(k, _)| k != "site").collect();
    let (mut record, mut more) = merge_fields(&template, &rest, key, LEGACY_SITE_FIELDS, |_| {
        Ok::<(), std::convert::Infallible>(())
    });
    warnings.append(&mut more);
    record.site = site.to_owned();
    if record.first_seen > record.last_seen {
        record.first_seen = record.last_seen;
    }
    if record.profile.is_none() {
        // A time without its profile is no profile: the site is looked up again.
        record.profiled_at = None;
    }
    Ok((record, warnings))
}

/// Why a stored value is no site record at all (and is discarded, unless a newer version may
/// have written it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NotARecord {
    /// The key is `site:` with nothing after it, or not a site key.
    #[error("{0} is not a site key")]
    Key(String),
    /// The value is not an object.
    #[error("{key} = {value} is not a record")]
    NotAnObject {
        /// The key it was stored under.
        key: String,
        /// A short rendering of the value.
        value: String,
    },
    /// An object naming neither its main host nor the site of its key.
    #[error("{key} = {value} names neither its main host nor its site")]
    Nameless {
        /// The key it was stored under.
        key: String,
        /// A short rendering of the value.
        value: String,
    },
}

/// The fields of a site record that only a schema 1 record has (its verdict): read, and shown
/// until the next look-up.
const LEGACY_SITE_FIELDS: &[&str] = &["profile", "profiledAt"];

/// The hosts of the stored `pending` list: a value that is not a list is discarded, and so is
/// every entry that is not a string.
pub(crate) fn pending<D: Doc>(stored: &D) -> (Vec<String>, Vec<String>) {
    if stored.is_null() {
        return (Vec::new(), Vec::new());
    }
    match stored.items() {
        Some(items) => {
            let hosts: Vec<String> = items.iter().filter_map(Doc::as_str).collect();
            let dropped = items.len() - hosts.len();
            let warnings = if dropped > 0 {
                vec![format!(
                    "pending: {dropped} entries that are not hostnames discarded"
                )]
            } else {
                Vec::new()
            };
            (hosts, warnings)
        }
        None => (
            Vec::new(),
            vec![format!(
                "pending = {} is not a list; discarded",
                stored.brief()
            )],
        ),
    }
}

/// Stored values as the worker gets them from `chrome.storage`.
impl Doc for wasm_bindgen::JsValue {
    type Error = crate::store::CodecError;
    fn is_null(&self) -> bool {
        self.is_undefined() || wasm_bindgen::JsValue::is_null(self)
    }
    fn as_str(&self) -> Option<String> {
        self.as_string()
    }
    fn as_u64(&self) -> Option<u64> {
        let n = self.as_f64()?;
        // Exact integers only (2^53 bounds what a double holds exactly).
        (n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0).then_some(n as u64)
    }
    fn items(&self) -> Option<Vec<Self>> {
        js_sys::Array::is_array(self).then(|| js_sys::Array::from(self).iter().collect())
    }
    fn fields(&self) -> Option<Vec<(String, Self)>> {
        if !self.is_object() || js_sys::Array::is_array(self) {
            return None;
        }
        let object = js_sys::Object::from(self.clone());
        Some(
            js_sys::Object::entries(&object)
                .iter()
                .filter_map(|pair| {
                    let pair = js_sys::Array::from(&pair);
                    Some((pair.get(0).as_string()?, pair.get(1)))
                })
                .collect(),
        )
    }
    fn with_field(&self, name: &str, value: &Self) -> Self {
        let copy =
            js_sys::Object::assign(&js_sys::Object::new(), &js_sys::Object::from(self.clone()));
        let _ = js_sys::Reflect::set(&copy, &name.into(), value);
        copy.into()
    }
    fn read<T: DeserializeOwned>(&self) -> Result<T, Self::Error> {
        crate::store::from_js(self.clone())
    }
    fn write<T: Serialize>(value: &T) -> Result<Self, Self::Error> {
        crate::store::to_js(value)
    }
    fn brief(&self) -> String {
        if self.is_undefined() {
            return "undefined".to_owned();
        }
        let text = js_sys::JSON::stringify(self)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| format!("{self:?}"));
        shorten(text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use onebasket::health::HealthState;
    use serde_json::{json, Value};

    /// The same logic over plain JSON, as natively testable stand-in for storage's values.
    impl Doc for Value {
        type Error = serde_json::Error;
        fn is_null(&self) -> bool {
            Value::is_null(self)
        }
        fn as_str(&self) -> Option<String> {
            Value::as_str(self).map(str::to_owned)
        }
        fn as_u64(&self) -> Option<u64> {
            Value::as_u64(self)
        }
        fn items(&self) -> Option<Vec<Self>> {
            self.as_array().cloned()
        }
        fn fields(&self) -> Option<Vec<(String, Self)>> {
            self.as_object()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
        fn with_field(&self, name: &str, value: &Self) -> Self {
            let mut copy = self.clone();
            if let Some(m) = copy.as_object_mut() {
                m.insert(name.to_owned(), value.clone());
            }
            copy
        }
        fn read<T: DeserializeOwned>(&self) -> Result<T, Self::Error> {
            serde_json::from_value(self.clone())
        }
        fn write<T: Serialize>(value: &T) -> Result<Self, Self::Error> {
            serde_json::to_value(value)
        }
        fn brief(&self) -> String {
            shorten(self.to_string())
        }
    }

    #[test]
    fn schema_versions() {
        assert_eq!(Schema::of(&Value::Null), Schema::Absent);
        assert_eq!(Schema::of(&json!(1.5)), Schema::Unreadable);
        assert_eq!(Schema::of(&json!(0)), Schema::Older(0));
        assert_eq!(Schema::of(&json!(SCHEMA)), Schema::Current);
        assert_eq!(Schema::of(&json!(SCHEMA + 1)), Schema::Newer(SCHEMA + 1));
        assert_eq!(Schema::of(&json!(1u64 << 40)), Schema::Newer(u32::MAX));
        assert_eq!(Schema::of(&json!("1")), Schema::Unreadable);
        assert_eq!(Schema::of(&json!(-1)), Schema::Unreadable);
        assert!(Schema::Absent.needs_migration());
        assert!(Schema::Older(0).needs_migration());
        assert!(Schema::Unreadable.needs_migration());
        assert!(!Schema::Current.needs_migration());
        assert!(!Schema::Newer(2).needs_migration());
        assert!(Schema::Newer(2).is_newer());
    }

    #[test]
    fn settings_keep_every_good_field() {
        let (s, w) = settings(&json!({
            "resolver": "http://127.0.0.1:8053/dns-query",
            "asnLookups": "yes",
            "retentionDays": 0,
            "recordIncognito": true,
            "checkIntervalMinutes": 99999,
            "feedBase": "ftp://mirror",
            "someNewerSetting": 3
        }));
        assert_eq!(s.resolver, "http://127.0.0.1:8053/dns-query");
        assert!(s.record_incognito);
        let d = Settings::default();
        assert_eq!(s.asn_lookups, d.asn_lookups);
        assert_eq!(s.retention_days, d.retention_days);
        assert_eq!(s.check_interval_minutes, d.check_interval_minutes);
        assert_eq!(s.feed_base, None);
        assert!(s.validate().is_ok());
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(w.iter().any(|w| w.starts_with("settings.asnLookups")));
        // A valid object warns about nothing.
        let good = serde_json::to_value(Settings::default()).unwrap();
        assert_eq!(settings(&good), (Settings::default(), Vec::new()));
        assert_eq!(settings(&Value::Null), (Settings::default(), Vec::new()));
        let (s, w) = settings(&json!("garbage"));
        assert_eq!(s, Settings::default());
        assert_eq!(w.len(), 1);
        let (s, w) = settings(&json!({"resolver": 5}));
        assert_eq!(s.resolver, d.resolver);
        assert_eq!(w.len(), 1);
    }

    fn old_record() -> Value {
        // The shape the first worker wrote: no status, health, origin or deps.
        json!({
            "site": "example.com", "mainHost": "www.example.com", "firstSeen": 10, "lastSeen": 20,
            "visits": 3, "hosts": {"www.example.com": {"responses": 3, "lastIp": "3.5.140.2", "lastStatus": 200, "lastSeen": 20}},
            "profile": null, "profiledAt": null, "failures": []
        })
    }

    #[test]
    fn an_older_record_is_migrated_whole() {
        let (r, w) = site("site:example.com", &old_record(), 99).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(r.main_host, "www.example.com");
        assert_eq!((r.first_seen, r.last_seen, r.visits), (10, 20, 3));
        assert_eq!(r.hosts.get("www.example.com").unwrap().responses, 3);
        assert_eq!(r.status, HealthState::Unknown);
        assert!(r.deps.is_empty());
        // Even older: only the main host survives; the rest takes defaults, seen now.
        let (r, _) = site("site:example.com", &json!({"mainHost": "example.com"}), 99).unwrap();
        assert_eq!(
            (r.site.as_str(), r.last_seen, r.visits),
            ("example.com", 99, 0)
        );
    }

    #[test]
    fn a_bad_field_is_dropped_alone() {
        let mut v = old_record();
        v["profile"] = json!({"name": "www.example.com", "format": "of long ago"});
        v["profiledAt"] = json!(15);
        v["failures"] = json!("none");
        v["status"] = json!("on fire");
        v["deps"] = json!([1, 2]);
        v["visits"] = json!(-4);
        v["newerField"] = json!({"x": 1});
        let (r, w) = site("site:example.com", &v, 99).unwrap();
        assert_eq!(r.main_host, "www.example.com");
        assert_eq!(r.hosts.len(), 1);
        assert_eq!(r.profile, None);
        assert_eq!(
            r.profiled_at, None,
            "a time without its profile is dropped too"
        );
        assert!(r.failures.is_empty());
        assert_eq!(r.status, HealthState::Unknown);
        assert_eq!(r.visits, 0);
        assert_eq!(w.len(), 5, "{w:?}");
    }

    #[test]
    fn what_is_no_record_is_discarded() {
        for bad in [
            json!("a string"),
            json!(42),
            json!([old_record()]),
            json!({"site": 42}),
            json!({"visits": 3}),
            json!({"site": "other.com"}),
        ] {
            assert!(site("site:example.com", &bad, 1).is_err(), "{bad}");
        }
        assert_eq!(
            site("site:", &old_record(), 1).unwrap_err(),
            NotARecord::Key("site:".to_owned())
        );
        assert_eq!(
            site("site:example.com", &json!(42), 1)
                .unwrap_err()
                .to_string(),
            "site:example.com = 42 is not a record"
        );
        // The key wins over a differing `site` when the main host is there.
        let mut v = old_record();
        v["site"] = json!("other.com");
        let (r, w) = site("site:example.com", &v, 1).unwrap();
        assert_eq!(r.site, "example.com");
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn current_records_read_back_unchanged() {
        let mut r = SiteRecord::new("example.com", "www.example.com", 5);
        r.observe("www.example.com", None, Some(200), true, 6);
        r.fail("www.example.com", "HTTP 503", 7);
        let v = serde_json::to_value(&r).unwrap();
        let (back, w) = site("site:example.com", &v, 100).unwrap();
        assert_eq!(back, r);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn pending_lists() {
        assert_eq!(pending(&Value::Null), (vec![], vec![]));
        assert_eq!(
            pending(&json!(["a.example", 3, null, "b.example"])).0,
            vec!["a.example", "b.example"]
        );
        assert_eq!(pending(&json!(["a.example", 3])).1.len(), 1);
        let (hosts, w) = pending(&json!({"a.example": true}));
        assert!(hosts.is_empty());
        assert_eq!(w.len(), 1);
    }
}
