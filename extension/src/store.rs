//! `chrome.storage.local` layout and (de)serialization.
//!
//! Keys: `settings` (the contract object), `site:<site>` (one [`SiteRecord`] each, so a visit
//! rewrites one small value), `host:<hostname>` (one [`HostEvidence`] each: what a look-up
//! observed, never a verdict), `table` (the combined prefix-table snapshot, base64),
//! `feed:<file>` (each feed's own last good snapshot, so one failed download never loses that
//! feed), `feedStatus`, `pending` (hosts whose look-up was under way, restarted after a kill),
//! `refreshing` (a feed refresh was under way), `feedSource` (`{"feedBase": …}`, the feed source
//! the last completed refresh used), `providerStatus`, `schema` (the layout version).

use base64::Engine as _;
use onebasket::evidence::HostEvidence;
use onebasket::protocol::SiteRecord;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

use crate::bindings;

/// Version of this storage layout. An older (or absent) stored value is migrated and then
/// replaced by this one; a newer one is left as it is, and so is everything this build cannot
/// read (see [`crate::migrate::Schema`]). 2: evidence per host under `host:`; a record's
/// `profile` (1) is read, shown until the next look-up, and never written.
pub const SCHEMA: u32 = 2;

/// Prefix of per-site keys.
pub const SITE_PREFIX: &str = "site:";
/// Prefix of per-host evidence keys.
pub const HOST_PREFIX: &str = "host:";
/// Prefix of per-feed snapshot keys.
pub const FEED_PREFIX: &str = "feed:";
/// The settings (the contract object).
pub const SETTINGS: &str = "settings";
/// The layout version.
pub const SCHEMA_KEY: &str = "schema";
/// The combined prefix table.
pub const TABLE: &str = "table";
/// The feed status.
pub const FEED_STATUS: &str = "feedStatus";
/// The feed source of the last completed refresh.
pub const FEED_SOURCE: &str = "feedSource";
/// The look-ups under way.
pub const PENDING: &str = "pending";
/// A feed refresh is under way.
pub const REFRESHING: &str = "refreshing";
/// The status pages' last readings.
pub const PROVIDER_STATUS: &str = "providerStatus";

/// Why a storage operation or a value's conversion failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The browser's storage refused (quota, a closed profile…).
    #[error("storage: {0}")]
    Browser(String),
    /// A value could not be converted to or from what storage holds.
    #[error("{0}")]
    Codec(String),
}

fn js_err(e: JsValue) -> StoreError {
    StoreError::Browser(
        e.as_string()
            .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
            .unwrap_or_else(|| "unknown storage error".to_owned()),
    )
}

/// Serializes as plain JSON-compatible objects (storage cannot hold `Map`s).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, StoreError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| StoreError::Codec(e.to_string()))
}

/// Deserializes a stored or received value.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, StoreError> {
    serde_wasm_bindgen::from_value(value).map_err(|e| StoreError::Codec(e.to_string()))
}

/// Reads keys (`null` for all) as a JS object.
pub async fn get(keys: &JsValue) -> Result<js_sys::Object, StoreError> {
    let v = bindings::storage_get(keys).await.map_err(js_err)?;
    Ok(v.into())
}

/// Reads one key.
pub async fn get_one(key: &str) -> Result<JsValue, StoreError> {
    let all = get(&JsValue::from_str(key)).await?;
    js_sys::Reflect::get(&all, &JsValue::from_str(key)).map_err(js_err)
}

/// Writes `key = value`.
pub async fn set<T: Serialize + ?Sized>(key: &str, value: &T) -> Result<(), StoreError> {
    let obj = js_sys::Object::new();
    js_sys::Reflect::set(&obj, &JsValue::from_str(key), &to_js(value)?).map_err(js_err)?;
    bindings::storage_set(&obj).await.map_err(js_err)?;
    Ok(())
}

/// Removes keys.
pub async fn remove(keys: &[String]) -> Result<(), StoreError> {
    let arr = js_sys::Array::new();
    for k in keys {
        arr.push(&JsValue::from_str(k));
    }
    bindings::storage_remove(&arr).await.map_err(js_err)?;
    Ok(())
}

/// Persists one site.
pub async fn put_site(record: &SiteRecord) -> Result<(), StoreError> {
    set(&format!("{SITE_PREFIX}{}", record.site), record).await
}

/// Persists one host's evidence.
pub async fn put_host(evidence: &HostEvidence) -> Result<(), StoreError> {
    set(&format!("{HOST_PREFIX}{}", evidence.name), evidence).await
}

/// Persists many sites in one write (a migration rewrites them all at once).
pub async fn put_sites(records: &[SiteRecord]) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let obj = js_sys::Object::new();
    for record in records {
        let key = JsValue::from_str(&format!("{SITE_PREFIX}{}", record.site));
        js_sys::Reflect::set(&obj, &key, &to_js(record)?).map_err(js_err)?;
    }
    bindings::storage_set(&obj).await.map_err(js_err)?;
    Ok(())
}

/// Encodes snapshot bytes for storage.
pub fn encode_bytes(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes snapshot bytes from storage.
pub fn decode_bytes(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Every stored key: `storage.local.getKeys()` where the browser has it (Chrome 130+), which
/// reads no values; otherwise the keys of a full read.
async fn keys() -> Result<Vec<String>, StoreError> {
    let local = js_sys::Reflect::get(&js_sys::global(), &"chrome".into())
        .and_then(|c| js_sys::Reflect::get(&c, &"storage".into()))
        .and_then(|s| js_sys::Reflect::get(&s, &"local".into()))
        .map_err(js_err)?;
    let get_keys = js_sys::Reflect::get(&local, &"getKeys".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let list = match get_keys {
        Some(f) => {
            let promise: js_sys::Promise = f.call0(&local).map_err(js_err)?.into();
            wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(js_err)?
        }
        None => js_sys::Object::keys(&get(&JsValue::NULL).await?).into(),
    };
    Ok(js_sys::Array::from(&list)
        .iter()
        .filter_map(|k| k.as_string())
        .collect())
}

/// Every stored entry whose key starts with `prefix`, as (key, value). Only those values are
/// read: the multi-megabyte table snapshots stay in storage when the sites are loaded.
pub async fn entries(prefix: &str) -> Result<Vec<(String, JsValue)>, StoreError> {
    let wanted: js_sys::Array = keys()
        .await?
        .into_iter()
        .filter(|k| k.starts_with(prefix))
        .map(|k| JsValue::from_str(&k))
        .collect();
    if wanted.length() == 0 {
        return Ok(Vec::new());
    }
    let values = get(&wanted).await?;
    let mut out = Vec::new();
    for pair in js_sys::Object::entries(&values).iter() {
        let pair: js_sys::Array = pair.into();
        if let Some(key) = pair.get(0).as_string() {
            out.push((key, pair.get(1)));
        }
    }
    Ok(out)
}
