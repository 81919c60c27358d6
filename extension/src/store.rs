//! `chrome.storage.local` layout and (de)serialization.
//!
//! Keys: `settings` (the contract object), `site:<site>` (one [`SiteRecord`] each, so a visit
//! rewrites one small value), `host:<hostname>` (one [`HostEvidence`] each: what a look-up
//! observed, never a verdict), `feed:<file>` (each feed's own last good snapshot, base64, so
//! one failed download never loses that feed), `feedStatus`, `pending` (hosts whose look-up was
//! under way, restarted after a kill), `refreshing` (a feed refresh was under way), `feedSource`
//! (`{"feedBase": …}`, the feed source the last completed refresh used), `providerStatus`,
//! `schema` (the layout version).
//!
//! The combined prefix-table snapshot, read at every start, is kept as bytes in IndexedDB
//! (database `onebasket`, store `bytes`, key `table`; see `js/reads.js`): as base64 in
//! `chrome.storage.local` it cost a third more bytes, a 1.1 MB string to read and convert, and
//! its decoding. Where IndexedDB fails it is written under the `table` key as before, and a
//! `table` key an older version left is read, moved to IndexedDB and removed.

use base64::Engine as _;
use onebasket::evidence::HostEvidence;
use onebasket::site_record::SiteRecord;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::bindings;

/// Version of this storage layout. An older (or absent) stored value is migrated and then
/// replaced by this one; a newer one is left as it is, and so is everything this build cannot
/// read (see [`crate::migrate::Schema`]). 2: evidence per host under `host:`; a record's
/// `profile` (1) is read, shown until the next look-up, and never written.
pub(crate) const SCHEMA: u32 = 2;

/// Prefix of per-site keys.
pub(crate) const SITE_PREFIX: &str = "site:";
/// Prefix of per-host evidence keys.
pub(crate) const HOST_PREFIX: &str = "host:";
/// Prefix of per-feed snapshot keys.
pub(crate) const FEED_PREFIX: &str = "feed:";
/// The settings (the contract object).
pub(crate) const SETTINGS: &str = "settings";
/// The layout version.
pub(crate) const SCHEMA_KEY: &str = "schema";
/// The combined prefix table.
pub(crate) const TABLE: &str = "table";
/// The feed status.
pub(crate) const FEED_STATUS: &str = "feedStatus";
/// The feed source of the last completed refresh: `{FEED_BASE: url or null}`.
pub(crate) const FEED_SOURCE: &str = "feedSource";
/// The field of [`FEED_SOURCE`]'s object: the `feedBase` setting that refresh used.
pub(crate) const FEED_BASE: &str = "feedBase";

/// [`FEED_SOURCE`]'s object as written (a struct, not a `serde_json` map: the worker carries
/// no `serde_json::Value`).
#[derive(Serialize)]
pub(crate) struct FeedSource<'a> {
    /// [`FEED_BASE`] (serde takes only a literal name).
    #[serde(rename = "feedBase")]
    pub(crate) feed_base: Option<&'a str>,
}
/// The look-ups under way.
pub(crate) const PENDING: &str = "pending";
/// A feed refresh is under way.
pub(crate) const REFRESHING: &str = "refreshing";
/// The status pages' last readings.
pub(crate) const PROVIDER_STATUS: &str = "providerStatus";

/// A value that could not be converted between Rust and what storage (or a message) holds.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub(crate) struct CodecError(#[from] serde_wasm_bindgen::Error);

/// Why a storage operation failed, naming the key (or keys) it was about.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// The browser's storage refused a read (a closed profile…).
    #[error("reading {keys} failed: {reason}")]
    Read {
        /// The keys asked for.
        keys: String,
        /// The browser's words.
        reason: String,
    },
    /// The browser's storage refused a write (quota, a closed profile…).
    #[error("writing {keys} failed: {reason}")]
    Write {
        /// The keys written.
        keys: String,
        /// The browser's words.
        reason: String,
    },
    /// The browser's storage refused a removal.
    #[error("removing {keys} failed: {reason}")]
    Remove {
        /// The keys to remove.
        keys: String,
        /// The browser's words.
        reason: String,
    },
    /// A value could not be converted to what storage holds.
    #[error("writing {key} failed: {source}")]
    Encode {
        /// The key it was for.
        key: String,
        /// Why.
        source: CodecError,
    },
    /// The read `js/background.js` made at start-up answered something else than an object.
    #[error("reading every record failed: storage answered no object")]
    NoObject,
    /// IndexedDB refused to read the bytes stored under a key.
    #[error("IndexedDB: reading {key} failed: {reason}")]
    BytesRead {
        /// The IndexedDB key.
        key: &'static str,
        /// The browser's words.
        reason: String,
    },
    /// IndexedDB holds something else than bytes under a key.
    #[error("IndexedDB: {key} is not bytes")]
    NotBytes {
        /// The IndexedDB key.
        key: &'static str,
    },
}

/// The words of a rejected storage call ([`bindings::error_words`]).
pub(crate) fn js_text(e: &JsValue) -> String {
    bindings::error_words(e).unwrap_or_else(|| "unknown storage error".to_owned())
}

/// `keys` for an error message: the key itself, or how many and the first.
fn describe(keys: &[String]) -> String {
    match keys {
        [] => "no key".to_owned(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{} keys ({first}, …)", rest.len() + 1),
    }
}

/// Serializes as plain JSON-compatible objects (storage cannot hold `Map`s).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, CodecError> {
    Ok(value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())?)
}

/// Deserializes a stored or received value.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, CodecError> {
    Ok(serde_wasm_bindgen::from_value(value)?)
}

/// The line a failed write is logged with (`None` when it succeeded).
fn failure_line(result: &Result<(), StoreError>) -> Option<String> {
    result.as_ref().err().map(|e| format!("OneBasket: {e}"))
}

/// The one way a write whose failure nobody waits for ends: a failure is logged once, naming
/// the key, and otherwise dropped (the worker's state stays, and the next change of the same
/// value writes it again). True when it was written.
fn logged(result: Result<(), StoreError>) -> bool {
    match failure_line(&result) {
        Some(line) => {
            bindings::warn(&line);
            false
        }
        None => true,
    }
}

/// Writes `key = value`, logging a failure ([`logged`]); true when written.
pub(crate) async fn save<T: Serialize + ?Sized>(key: &str, value: &T) -> bool {
    logged(set(key, value).await)
}

/// Removes keys, logging a failure ([`logged`]); true when removed.
pub(crate) async fn discard(keys: &[String]) -> bool {
    logged(remove(keys).await)
}

/// Persists one site, logging a failure.
pub(crate) async fn save_site(record: &SiteRecord) -> bool {
    save(&site_key(&record.site), record).await
}

/// Persists one host's evidence, logging a failure.
pub(crate) async fn save_host(evidence: &HostEvidence) -> bool {
    save(&host_key(&evidence.name), evidence).await
}

/// Persists many sites in one write (a migration rewrites them all at once), logging a
/// failure.
pub(crate) async fn save_sites(records: &[SiteRecord]) -> bool {
    logged(put_sites(records).await)
}

/// Stores the combined table snapshot ([`put_table`]), logging a failure.
pub(crate) async fn save_table(snapshot: &[u8]) -> bool {
    logged(put_table(snapshot).await)
}

/// The key of a site's record.
pub(crate) fn site_key(site: &str) -> String {
    format!("{SITE_PREFIX}{site}")
}

/// The key of a host's evidence.
pub(crate) fn host_key(host: &str) -> String {
    format!("{HOST_PREFIX}{host}")
}

/// The key of a feed's own snapshot.
pub(crate) fn feed_key(file: &str) -> String {
    format!("{FEED_PREFIX}{file}")
}

/// Reads keys (`null` for all) as a JS object; `what` names them in an error.
async fn get(keys: &JsValue, what: &str) -> Result<js_sys::Object, StoreError> {
    let v = bindings::storage_get(keys)
        .await
        .map_err(|e| StoreError::Read {
            keys: what.to_owned(),
            reason: js_text(&e),
        })?;
    Ok(v.into())
}

/// Writes `key = value`. A caller that only logs a failure uses [`save`].
pub(crate) async fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), StoreError> {
    let encoded = to_js(value).map_err(|source| StoreError::Encode {
        key: key.to_owned(),
        source,
    })?;
    let obj = js_sys::Object::new();
    let write = |e: JsValue| StoreError::Write {
        keys: key.to_owned(),
        reason: js_text(&e),
    };
    js_sys::Reflect::set(&obj, &JsValue::from_str(key), &encoded).map_err(write)?;
    bindings::storage_set(&obj).await.map_err(write)?;
    Ok(())
}

/// Removes keys. A caller that only logs a failure uses [`discard`].
pub(crate) async fn remove(keys: &[String]) -> Result<(), StoreError> {
    let arr = js_sys::Array::new();
    for k in keys {
        arr.push(&JsValue::from_str(k));
    }
    bindings::storage_remove(&arr)
        .await
        .map_err(|e| StoreError::Remove {
            keys: describe(keys),
            reason: js_text(&e),
        })?;
    Ok(())
}

/// Persists many sites in one write.
async fn put_sites(records: &[SiteRecord]) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = records.iter().map(|r| site_key(&r.site)).collect();
    let write = |e: JsValue| StoreError::Write {
        keys: describe(&keys),
        reason: js_text(&e),
    };
    let obj = js_sys::Object::new();
    for (key, record) in keys.iter().zip(records) {
        let encoded = to_js(record).map_err(|source| StoreError::Encode {
            key: key.clone(),
            source,
        })?;
        js_sys::Reflect::set(&obj, &JsValue::from_str(key), &encoded).map_err(write)?;
    }
    bindings::storage_set(&obj).await.map_err(write)?;
    Ok(())
}

/// The key of the combined table snapshot in IndexedDB.
pub(crate) const TABLE_BYTES: &str = "table";

/// Stores the combined table snapshot: in IndexedDB, else (IndexedDB failed) under
/// [`TABLE`] in `chrome.storage.local` as base64. A copy an older version left under [`TABLE`]
/// is removed once IndexedDB holds the table, so it is never read instead of a newer one.
async fn put_table(snapshot: &[u8]) -> Result<(), StoreError> {
    match bindings::bytes_put(TABLE_BYTES, snapshot).await {
        Ok(_) => remove(&[TABLE.to_owned()]).await,
        Err(e) => {
            bindings::warn(&format!(
                "OneBasket: IndexedDB refused the table ({}); storing it as base64",
                js_text(&e)
            ));
            set(TABLE, &encode_bytes(snapshot)).await
        }
    }
}

/// What a start read from `chrome.storage.local` in one go (`js/reads.js` asks for it
/// while the wasm compiles): every key but the per-feed snapshots.
pub(crate) struct Loaded {
    all: js_sys::Object,
}

/// `{value}` or `{error}`, the settled read `background.js` made: the value, or the words of
/// the error (`None` when it holds neither).
async fn settled(read: JsValue) -> Result<JsValue, Option<String>> {
    let settled = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&read))
        .await
        .map_err(|e| Some(js_text(&e)))?;
    let field = |name: &str| js_sys::Reflect::get(&settled, &name.into()).ok();
    if let Some(e) = field("error").filter(|e| !e.is_undefined()) {
        return Err(Some(js_text(&e)));
    }
    field("value").ok_or(None)
}

impl Loaded {
    /// Takes the settled read `background.js` made (`{value}` or `{error}`).
    pub(crate) async fn take(read: JsValue) -> Result<Self, StoreError> {
        match settled(read).await {
            Ok(v) if v.is_object() => Ok(Self { all: v.into() }),
            Err(Some(reason)) => Err(StoreError::Read {
                keys: "every record".to_owned(),
                reason,
            }),
            _ => Err(StoreError::NoObject),
        }
    }

    /// One value (`undefined` when absent).
    pub(crate) fn get(&self, key: &str) -> JsValue {
        js_sys::Reflect::get(&self.all, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// Every entry whose key starts with one of `prefixes`, as (key, value), by prefix.
    pub(crate) fn entries<const N: usize>(
        &self,
        prefixes: [&str; N],
    ) -> [Vec<(String, JsValue)>; N] {
        let mut out: [Vec<(String, JsValue)>; N] = std::array::from_fn(|_| Vec::new());
        for key in js_sys::Object::keys(&self.all).iter() {
            let Some(k) = key.as_string() else { continue };
            if let Some(i) = prefixes.iter().position(|p| k.starts_with(p)) {
                let value = js_sys::Reflect::get(&self.all, &key).unwrap_or(JsValue::UNDEFINED);
                out[i].push((k, value));
            }
        }
        out
    }
}

/// The combined table snapshot's bytes `background.js` read from IndexedDB: `Ok(None)` when
/// there is none, `Err` when what is there is no bytes or could not be read.
pub(crate) async fn take_table(read: JsValue) -> Result<Option<Vec<u8>>, StoreError> {
    let value = match settled(read).await {
        Ok(v) => v,
        Err(Some(reason)) => {
            return Err(StoreError::BytesRead {
                key: TABLE_BYTES,
                reason,
            })
        }
        Err(None) => JsValue::UNDEFINED,
    };
    if value.is_undefined() {
        return Ok(None);
    }
    match value.dyn_into::<js_sys::Uint8Array>() {
        Ok(bytes) => Ok(Some(bytes.to_vec())),
        Err(_) => Err(StoreError::NotBytes { key: TABLE_BYTES }),
    }
}

/// Encodes snapshot bytes for storage.
pub(crate) fn encode_bytes(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes snapshot bytes from storage.
pub(crate) fn decode_bytes(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

fn read_keys(e: &JsValue) -> StoreError {
    StoreError::Read {
        keys: "every key".to_owned(),
        reason: js_text(e),
    }
}

/// Every stored key: `storage.local.getKeys()` where the browser has it (Chrome 130+), which
/// reads no values; otherwise the keys of a full read.
async fn keys() -> Result<Vec<String>, StoreError> {
    let local = js_sys::Reflect::get(&js_sys::global(), &"chrome".into())
        .and_then(|c| js_sys::Reflect::get(&c, &"storage".into()))
        .and_then(|s| js_sys::Reflect::get(&s, &"local".into()))
        .map_err(|e| read_keys(&e))?;
    let get_keys = js_sys::Reflect::get(&local, &"getKeys".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let list = match get_keys {
        Some(f) => {
            let promise: js_sys::Promise = f.call0(&local).map_err(|e| read_keys(&e))?.into();
            wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(|e| read_keys(&e))?
        }
        None => js_sys::Object::keys(&get(&JsValue::NULL, "every key").await?).into(),
    };
    Ok(js_sys::Array::from(&list)
        .iter()
        .filter_map(|k| k.as_string())
        .collect())
}

/// Every stored entry whose key starts with `prefix`, as (key, value). Only those values are
/// read: the multi-megabyte table snapshots stay in storage when the sites are loaded.
pub(crate) async fn entries(prefix: &str) -> Result<Vec<(String, JsValue)>, StoreError> {
    let wanted: js_sys::Array = keys()
        .await?
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .map(|k| JsValue::from_str(&k))
        .collect();
    if wanted.length() == 0 {
        return Ok(Vec::new());
    }
    let values = get(&wanted, &format!("every {prefix}… key")).await?;
    let mut out = Vec::new();
    for pair in js_sys::Object::entries(&values).iter() {
        let pair: js_sys::Array = pair.into();
        if let Some(key) = pair.get(0).as_string() {
            out.push((key, pair.get(1)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The feed source is written under the field name the start reads back.
    #[test]
    fn the_feed_source_is_written_under_feed_base() {
        let v = serde_json::to_value(FeedSource {
            feed_base: Some("http://127.0.0.1:1/feeds/"),
        })
        .unwrap_or_default();
        assert_eq!(v[FEED_BASE], "http://127.0.0.1:1/feeds/");
        let v = serde_json::to_value(FeedSource { feed_base: None }).unwrap_or_default();
        assert!(v
            .as_object()
            .is_some_and(|o| o.contains_key(FEED_BASE) && v[FEED_BASE].is_null()));
    }

    #[test]
    fn a_failed_write_is_one_line_naming_its_key() {
        assert_eq!(failure_line(&Ok(())), None);
        let quota = StoreError::Write {
            keys: site_key("example.com"),
            reason: "QUOTA_BYTES quota exceeded".to_owned(),
        };
        assert_eq!(
            failure_line(&Err(quota)).as_deref(),
            Some("OneBasket: writing site:example.com failed: QUOTA_BYTES quota exceeded")
        );
        let removed = StoreError::Remove {
            keys: describe(&[host_key("a.example"), host_key("b.example")]),
            reason: "closed".to_owned(),
        };
        assert_eq!(
            failure_line(&Err(removed)).as_deref(),
            Some("OneBasket: removing 2 keys (host:a.example, …) failed: closed")
        );
    }

    #[test]
    fn keys_keep_their_stored_values() {
        assert_eq!(site_key("example.com"), "site:example.com");
        assert_eq!(host_key("www.example.com"), "host:www.example.com");
        assert_eq!(feed_key("ip-ranges.json"), "feed:ip-ranges.json");
        assert_eq!(describe(&[]), "no key");
        assert_eq!(describe(&[PENDING.to_owned()]), "pending");
    }
}
