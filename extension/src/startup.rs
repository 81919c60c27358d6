//! Start-up: read what storage holds (leniently: see [`migrate`]), restore the tracker, resume.
//!
//! The `schema` first; settings field by field (a damaged field takes its default alone, and
//! nothing is written back: a settings write racing this start must never be overwritten); the
//! table (damaged or of another snapshot version → rebuilt from the per-feed snapshots; nothing
//! → empty and a refresh); the sites (an older shape takes defaults for what it lacks, an
//! unreadable field is dropped alone, only what is no record at all is discarded); the hosts'
//! evidence (unreadable evidence is discarded: a look-up gathers it again). An absent, older or
//! unreadable schema is migrated (every record rewritten in the current shape, then the schema
//! written); a newer one is left as it is.

use std::rc::Rc;

use onebasket::classify::Classifier;
use onebasket::evidence::HostEvidence;
use onebasket::feeds::FeedSpec;
use onebasket::protocol::{FeedStatus, Settings, SiteRecord};
use onebasket::rules::Rules;
use onebasket::site::SiteKeys;
use onebasket::table::PrefixTable;
use onebasket::tracker::{Capabilities, OpenTab, ProviderStatusMemory, Stored, Tracker};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{self, now};
use crate::shell::{perform, Shell};
use crate::store::{self, StoreError};
use crate::{feeds, migrate};

/// Why the worker did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The built-in rules do not load (a build defect the tests catch).
    #[error("provider rules: {0}")]
    Rules(String),
    /// The sites could not be read at all: a worker that ran would store a new record over the
    /// one it could not read at the first visit. The next event starts a new worker, which
    /// tries again.
    #[error("reading the sites failed ({0}); not starting")]
    Sites(StoreError),
}

/// How long after start the open tabs are listed ([`Tracker::open_tabs`]): once the events
/// that woke this worker (queued behind the start) have had their turn, since those carry what
/// a look-up should start with (the connected address, the headers).
const RECOVER_AFTER_MS: i32 = 50;

/// Reads storage and restores the tracker.
pub async fn start() -> Result<Rc<Shell>, StartError> {
    let rules = Rules::builtin().map_err(|e| StartError::Rules(e.to_string()))?;
    let specs =
        onebasket::knowledge::feed_specs(&rules).map_err(|e| StartError::Rules(e.to_string()))?;
    let schema = migrate::Schema::of(&get(store::SCHEMA_KEY).await);
    match schema {
        migrate::Schema::Newer(n) => bindings::warn(&format!(
            "OneBasket: storage was written by a newer version (schema {n}, this one reads {}); \
             what cannot be read is left as it is",
            store::SCHEMA
        )),
        migrate::Schema::Unreadable => {
            bindings::warn("OneBasket: stored schema unreadable; migrating as an older layout");
        }
        _ => {}
    }
    let settings = load_settings().await;
    let (table, table_complete) = load_table(&specs).await;
    let (sites, migrated) = load_sites(schema).await?;
    let hosts = load_hosts(schema).await;
    let (feed_status, status_unreadable) = load_feed_status().await;
    let stored = Stored {
        settings,
        sites,
        hosts,
        pending: load_pending(schema).await,
        feed_status,
        feeds_from: load_feed_source().await,
        provider_status: load_provider_status().await,
        refresh_interrupted: get(store::REFRESHING).await.as_bool().unwrap_or(false),
        table_complete,
    };
    let classifier = Classifier::new(table, rules, SiteKeys::builtin());
    let caps = Capabilities {
        browser_dns: bindings::has_browser_dns(),
    };
    let tracker = Tracker::restore(stored, classifier, caps, now());
    if status_unreadable && !schema.is_newer() {
        let status = tracker.feed_status().clone();
        if let Err(e) = store::set(store::FEED_STATUS, &status).await {
            bindings::warn(&format!("OneBasket: writing feedStatus failed: {e}"));
        }
    }
    // The schema is written only once the data is in its layout: after a migration that
    // succeeded, and never over a newer one.
    if schema.needs_migration() && migrated {
        if let Err(e) = store::set(store::SCHEMA_KEY, &store::SCHEMA).await {
            bindings::warn(&format!("OneBasket: writing the schema failed: {e}"));
        }
    }
    Ok(Shell::new(tracker))
}

/// Performs what the restore queued (interrupted look-ups and refreshes), ensures the alarms,
/// and [`RECOVER_AFTER_MS`] later lists the open tabs.
pub async fn resume(shell: &Rc<Shell>) {
    perform(shell).await;
    let later = shell.clone();
    spawn_local(async move {
        bindings::sleep(RECOVER_AFTER_MS).await;
        let tabs = open_tabs().await;
        later.with(|t| t.open_tabs(&tabs, now()));
        perform(&later).await;
    });
    ensure_alarms().await;
}

/// Every open tab with a URL.
async fn open_tabs() -> Vec<OpenTab> {
    let Ok(list) = bindings::tabs_query(&js_sys::Object::new().into()).await else {
        return Vec::new();
    };
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|tab| {
            let field = |name: &str| js_sys::Reflect::get(&tab, &name.into()).ok();
            Some(OpenTab {
                tab: field("id")?.as_f64()? as i32,
                url: field("url")?.as_string()?,
                incognito: field("incognito")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false),
                complete: field("status").and_then(|v| v.as_string()).as_deref()
                    == Some("complete"),
            })
        })
        .collect()
}

/// One stored value (`undefined` when absent or unreadable).
async fn get(key: &str) -> JsValue {
    store::get_one(key).await.unwrap_or(JsValue::UNDEFINED)
}

/// The feed source the last completed refresh used; `None` when unknown (stored by an older
/// version, or never).
async fn load_feed_source() -> Option<Option<String>> {
    let value = get(store::FEED_SOURCE).await;
    if value.is_undefined() {
        return None;
    }
    let base = value
        .is_object()
        .then(|| js_sys::Reflect::get(&value, &"feedBase".into()).ok())
        .flatten();
    match base {
        Some(b) if b.is_null() => Some(None),
        Some(b) if b.is_string() => Some(b.as_string()),
        _ => {
            bindings::warn("OneBasket: stored feedSource unreadable; discarded");
            let _ = store::remove(&[store::FEED_SOURCE.to_owned()]).await;
            None
        }
    }
}

async fn load_settings() -> Settings {
    let stored = get(store::SETTINGS).await;
    if stored.is_undefined() || stored.is_null() {
        return Settings::default();
    }
    if let Ok(s) = store::from_js::<Settings>(stored.clone()) {
        if s.validate().is_ok() {
            return s;
        }
    }
    // One damaged field must not reset the others: the user's resolver in particular, or their
    // look-ups would go to the default one.
    let (settings, warnings) = migrate::settings(&stored);
    for w in warnings {
        bindings::warn(&format!("OneBasket: {w}"));
    }
    settings
}

/// The stored feed status, and whether it was unreadable (then it is written again).
async fn load_feed_status() -> (FeedStatus, bool) {
    let stored = get(store::FEED_STATUS).await;
    if stored.is_undefined() {
        return (FeedStatus::default(), false);
    }
    match store::from_js::<FeedStatus>(stored) {
        Ok(s) => (s, false),
        Err(e) => {
            bindings::warn(&format!(
                "OneBasket: stored feedStatus unreadable ({e}); discarded"
            ));
            (FeedStatus::default(), true)
        }
    }
}

/// The combined snapshot, else a rebuild from the per-feed snapshots (written back as the
/// combined snapshot), else an empty table. The flag is false when the table is not known to
/// hold every feed that was stored (a per-feed snapshot was discarded): a refresh restores it.
async fn load_table(specs: &[FeedSpec]) -> (PrefixTable, bool) {
    let stored = get(store::TABLE).await;
    if !stored.is_undefined() {
        match stored.as_string().map(|text| store::decode_bytes(&text)) {
            Some(Some(bytes)) => match PrefixTable::from_snapshot(&bytes) {
                Ok(t) => return (t, true),
                // A newer version's snapshot, too: the table is derived from public feeds, and
                // the rebuild or the refresh replaces it.
                Err(e) => bindings::warn(&format!("OneBasket: stored table discarded: {e}")),
            },
            Some(None) => bindings::warn("OneBasket: stored table is not base64; discarded"),
            None => bindings::warn("OneBasket: stored table is not a string; discarded"),
        }
    }
    let (table, discarded) = feeds::rebuild_from_feed_snapshots(specs).await;
    if !table.is_empty() {
        bindings::info(&format!(
            "OneBasket: table rebuilt from the per-feed snapshots ({} records)",
            table.len()
        ));
        let encoded = store::encode_bytes(&table.to_snapshot());
        if let Err(e) = store::set(store::TABLE, &encoded).await {
            bindings::warn(&format!("OneBasket: storing the rebuilt table failed: {e}"));
        }
    }
    (table, discarded == 0)
}

/// Every stored site, and whether the stored layout is now the current one. Records are read
/// leniently ([`migrate::site`]); one that needed it is rewritten, and so is every record when
/// the layout is older. What is no record at all is removed, unless a newer version wrote it.
async fn load_sites(schema: migrate::Schema) -> Result<(Vec<SiteRecord>, bool), StartError> {
    let now = now();
    let newer = schema.is_newer();
    let mut sites = Vec::new();
    let mut broken = Vec::new();
    let mut rewrite = Vec::new();
    let entries = store::entries(store::SITE_PREFIX)
        .await
        .map_err(StartError::Sites)?;
    for (key, value) in entries {
        let fast = store::from_js::<SiteRecord>(value.clone())
            .ok()
            .filter(|r| key.strip_prefix(store::SITE_PREFIX) == Some(r.site.as_str()));
        let record = match fast {
            Some(r) => {
                if schema.needs_migration() {
                    rewrite.push(r.clone());
                }
                r
            }
            None => match migrate::site(&key, &value, now) {
                Ok((r, warnings)) => {
                    for w in warnings {
                        bindings::warn(&format!("OneBasket: {w}"));
                    }
                    bindings::warn(&format!("OneBasket: {key} migrated to the current layout"));
                    rewrite.push(r.clone());
                    r
                }
                Err(e) if newer => {
                    bindings::warn(&format!(
                        "OneBasket: {e}; left in storage (a newer version wrote it)"
                    ));
                    continue;
                }
                Err(e) => {
                    bindings::warn(&format!("OneBasket: {e}; discarded"));
                    broken.push(key);
                    continue;
                }
            },
        };
        sites.push(record);
    }
    if newer {
        // Rewriting would drop the fields this version does not know.
        return Ok((sites, false));
    }
    let mut ok = true;
    if !broken.is_empty() {
        if let Err(e) = store::remove(&broken).await {
            bindings::warn(&format!("OneBasket: removing unreadable sites failed: {e}"));
            ok = false;
        }
    }
    if let Err(e) = store::put_sites(&rewrite).await {
        bindings::warn(&format!("OneBasket: rewriting migrated sites failed: {e}"));
        ok = false;
    }
    Ok((sites, ok))
}

/// Every stored host's evidence. Unreadable evidence is discarded with a warning (unless a
/// newer version may have written it): it is only what a look-up observed, and the next
/// look-up of the host gathers it again.
async fn load_hosts(schema: migrate::Schema) -> Vec<HostEvidence> {
    let entries = match store::entries(store::HOST_PREFIX).await {
        Ok(e) => e,
        Err(e) => {
            bindings::warn(&format!("OneBasket: reading the hosts failed ({e})"));
            return Vec::new();
        }
    };
    let mut hosts = Vec::with_capacity(entries.len());
    let mut broken = Vec::new();
    for (key, value) in entries {
        match store::from_js::<HostEvidence>(value) {
            Ok(ev) if key.strip_prefix(store::HOST_PREFIX) == Some(ev.name.as_str()) => {
                hosts.push(ev);
            }
            Ok(_) => {
                bindings::warn(&format!("OneBasket: {key} names another host; discarded"));
                broken.push(key);
            }
            Err(e) => {
                bindings::warn(&format!("OneBasket: {key} unreadable ({e}); discarded"));
                broken.push(key);
            }
        }
    }
    if !broken.is_empty() && !schema.is_newer() {
        if let Err(e) = store::remove(&broken).await {
            bindings::warn(&format!("OneBasket: removing unreadable hosts failed: {e}"));
        }
    }
    hosts
}

/// The look-ups a stop cut off.
async fn load_pending(schema: migrate::Schema) -> Vec<String> {
    let (pending, warnings) = migrate::pending(&get(store::PENDING).await);
    for w in &warnings {
        bindings::warn(&format!("OneBasket: {w}"));
    }
    if !warnings.is_empty() && !schema.is_newer() {
        if let Err(e) = store::set(store::PENDING, &pending).await {
            bindings::warn(&format!("OneBasket: writing pending failed: {e}"));
        }
    }
    pending
}

/// The stored [`ProviderStatusMemory`]; an unreadable one is discarded with a warning (the
/// next poll refills it).
async fn load_provider_status() -> ProviderStatusMemory {
    let stored = get(store::PROVIDER_STATUS).await;
    if stored.is_undefined() || stored.is_null() {
        return ProviderStatusMemory::default();
    }
    match store::from_js::<ProviderStatusMemory>(stored) {
        Ok(m) => m,
        Err(e) => {
            bindings::warn(&format!(
                "OneBasket: stored providerStatus unreadable ({e}); discarded"
            ));
            ProviderStatusMemory::default()
        }
    }
}

async fn ensure_alarms() {
    for (name, minutes) in [
        ("feeds", 1440.0),
        ("retention", 60.0),
        ("checks", 1.0),
        ("status", 5.0),
    ] {
        let exists = bindings::alarms_get(name)
            .await
            .ok()
            .is_some_and(|a| !a.is_undefined() && !a.is_null());
        if !exists {
            let info = js_sys::Object::new();
            let _ = js_sys::Reflect::set(
                &info,
                &"periodInMinutes".into(),
                &JsValue::from_f64(minutes),
            );
            let _ =
                js_sys::Reflect::set(&info, &"delayInMinutes".into(), &JsValue::from_f64(minutes));
            let _ = bindings::alarms_create(name, &info).await;
        }
    }
}
