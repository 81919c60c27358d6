//! The background worker's state and event handling.
//!
//! One `Worker` lives in a thread-local for the life of the service worker. Handlers borrow it
//! only between awaits; everything that must survive the worker being stopped is written to
//! storage as soon as it changes (one small key per site), so a kill at any moment loses at
//! most the look-up in flight, which is restarted from the `pending` key at the next start.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use onebasket::classify::Classifier;
use onebasket::deps::{is_critical_type, DepOutcome, HostClass};
use onebasket::engine::{
    AnswerFormat, BrowserResolution, Engine, EngineConfig, Hints, LookupId, Query,
};
use onebasket::feeds::FeedSpec;
use onebasket::health::{Observation, SiteFacts};
use onebasket::profile::{Resolution, SiteProfile};
use onebasket::protocol::{
    FeedStatus, HealthState, Overview, Request, Response, Settings, SiteRecord, SiteSummary,
    WorkerStats,
};
use onebasket::rules::Rules;
use onebasket::site::{SiteKey, SiteKeys};
use onebasket::table::PrefixTable;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{self, now};
use crate::{badge, doh, feeds, migrate, store};

/// How long a profile is trusted before the site is looked up again on the next visit.
const PROFILE_MAX_AGE_MS: u64 = 6 * 3_600_000;

/// The worker's state.
pub struct Worker {
    pub(crate) settings: Settings,
    pub(crate) engine: Engine,
    pub(crate) specs: Vec<FeedSpec>,
    pub(crate) sites: HashMap<String, SiteRecord>,
    /// Hosts whose look-up is under way, by look-up.
    lookups: HashMap<LookupId, String>,
    /// The same hosts, as persisted under `pending`.
    pending: BTreeSet<String>,
    pub(crate) feed_status: FeedStatus,
    pub(crate) refreshing: bool,
    /// A refresh was asked for while one ran.
    pub(crate) refresh_again: bool,
    /// The feed source (`feedBase`) the last completed refresh used; `None` when unknown.
    pub(crate) feeds_from: Option<Option<String>>,
    /// The feed source of the refresh under way.
    pub(crate) refreshing_from: Option<Option<String>>,
    /// The last check round reached nothing, the resolver included.
    pub(crate) offline: bool,
    /// Open incidents per provider, from the status pages.
    pub(crate) incidents: std::collections::BTreeMap<String, onebasket::status::ProviderStatus>,
    /// When each provider's status page was last polled.
    pub(crate) status_polled: HashMap<String, u64>,
    /// A check round is under way.
    pub(crate) checking: bool,
    /// The correlations last notified, so one outage notifies once.
    pub(crate) notified: BTreeSet<String>,
    /// When the last DoH answer arrived (for the answer-to-badge latency in the log).
    last_answer_at: u64,
    /// When the last finished look-up was applied.
    last_profile_at: u64,
    /// Tabs known to be incognito (Chrome's webRequest details do not say).
    incognito_tabs: HashMap<i32, bool>,
    /// What each looked-up hostname runs on, shared by every site that loads it, so a CDN or
    /// login provider used by twenty sites is looked up once (the engine's cache keeps the DNS
    /// answers for their TTLs underneath). Rebuilt from the stored records at start.
    classes: HashMap<String, HostClass>,
    /// Sites changed by dependency traffic and not yet written (see [`save_later`]).
    dirty: BTreeSet<String>,
    /// A write of the dirty sites is scheduled.
    flush_scheduled: bool,
    /// Hosts of the main-frame responses this worker has handled (see [`recover_cut_visits`]).
    main_frames_seen: BTreeSet<String>,
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Runs `f` on the worker if it has started.
pub(crate) fn with<R>(f: impl FnOnce(&mut Worker) -> R) -> Option<R> {
    WORKER.with(|w| w.borrow_mut().as_mut().map(f))
}

/// At most this many sites recorded but never profiled are looked up again at start (the rest
/// on their next visit), so a damaged store never sends a burst of queries.
const RESUME_UNPROFILED: usize = 32;

/// Loads settings, the prefix table and every site (migrating an older layout, discarding what
/// is unreadable with a warning each), then resumes interrupted work.
pub async fn start() -> Result<(), String> {
    let rules = Rules::builtin().map_err(|e| e.to_string())?;
    let specs = onebasket::knowledge::feed_specs(&rules).map_err(|e| e.to_string())?;
    let schema = migrate::Schema::of(&store::get_one("schema").await.unwrap_or(JsValue::UNDEFINED));
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
    let stored_status = store::get_one("feedStatus")
        .await
        .ok()
        .filter(|v| !v.is_undefined());
    let (stored_status, status_unreadable) = match stored_status.map(store::from_js::<FeedStatus>) {
        Some(Ok(s)) => (s, false),
        Some(Err(e)) => {
            bindings::warn(&format!(
                "OneBasket: stored feedStatus unreadable ({e}); discarded"
            ));
            (FeedStatus::default(), true)
        }
        None => (FeedStatus::default(), false),
    };
    // What the overview reports is the table actually in use (the stored status may be from
    // before a kill, or describe a table that was discarded).
    let feed_status = FeedStatus {
        feeds: table.feeds().to_vec(),
        records: u32::try_from(table.len()).unwrap_or(u32::MAX),
        ..stored_status
    };
    let feeds_from = load_feed_source().await;
    let provider_status = load_provider_status().await;
    let classifier = Classifier::new(table, rules, SiteKeys::builtin());
    let config = EngineConfig {
        asn_lookups: settings.asn_lookups,
        ..EngineConfig::default()
    };
    let empty_table = classifier.table().is_empty();
    // The feed source was changed while no worker ran (a storage event woke this one with the
    // new settings already stored, so no change is seen): the table must come from it.
    let source_moved = feeds_from
        .as_ref()
        .is_some_and(|from| *from != settings.feed_base);
    let classes = known_classes(&sites);
    WORKER.with(|w| {
        *w.borrow_mut() = Some(Worker {
            settings,
            engine: Engine::new(classifier, config),
            specs,
            sites,
            lookups: HashMap::new(),
            pending: BTreeSet::new(),
            feed_status,
            refreshing: false,
            refresh_again: false,
            feeds_from,
            refreshing_from: None,
            offline: false,
            incidents: provider_status.providers,
            status_polled: provider_status.polled.into_iter().collect(),
            checking: false,
            notified: BTreeSet::new(),
            last_answer_at: 0,
            last_profile_at: 0,
            incognito_tabs: HashMap::new(),
            classes,
            dirty: BTreeSet::new(),
            flush_scheduled: false,
            main_frames_seen: BTreeSet::new(),
        });
    });
    if status_unreadable && !schema.is_newer() {
        if let Some(status) = with(|w| w.feed_status.clone()) {
            let _ = store::set("feedStatus", &status).await;
        }
    }
    // The schema is written only once the data is in its layout: after a migration that
    // succeeded, and never over a newer one.
    if schema.needs_migration() && migrated {
        if let Err(e) = store::set("schema", &store::SCHEMA).await {
            bindings::warn(&format!("OneBasket: writing the schema failed: {e}"));
        }
    }

    // Look-ups cut off by a kill start again.
    let (pending, warnings) = migrate::pending(
        &store::get_one("pending")
            .await
            .unwrap_or(JsValue::UNDEFINED),
    );
    for w in &warnings {
        bindings::warn(&format!("OneBasket: {w}"));
    }
    if !warnings.is_empty() && !schema.is_newer() {
        let _ = store::set("pending", &pending).await;
    }
    for host in pending {
        start_lookup(&host, Hints::default());
    }
    // Visits cut off by a kill, once the events that woke this worker have had their turn
    // (they are queued behind this start): those carry what a look-up should start with (the
    // connected address, the headers), so their own handling wins.
    spawn_local(async {
        bindings::sleep(RECOVER_AFTER_MS).await;
        recover_cut_visits().await;
    });
    // So is a feed refresh, a table that was never filled or was rebuilt without some feed, and
    // one from a feed source that is no longer the one set.
    let interrupted = store::get_one("refreshing")
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if interrupted || empty_table || !table_complete || source_moved {
        spawn_local(async {
            feeds::refresh().await;
        });
    }
    ensure_alarms().await;
    Ok(())
}

/// How long after start the cut-off visits are recovered ([`recover_cut_visits`]).
const RECOVER_AFTER_MS: i32 = 50;

/// Recovers the visits a kill cut off: the site of every open tab that is not recorded (its
/// main-frame event reached a worker stopped before it stored the site), and the look-up of
/// every site recorded but never profiled (a kill between storing the site and storing
/// `pending`, or a stored profile that was unreadable), the most recently seen first.
async fn recover_cut_visits() {
    record_open_tabs().await;
    let unprofiled = with(|w| {
        let mut never: Vec<&SiteRecord> = w
            .sites
            .values()
            .filter(|r| r.profile.is_none() && r.profiled_at.is_none())
            // A page of it loading now looks it up with its hints.
            .filter(|r| !w.main_frames_seen.contains(&r.main_host))
            .collect();
        never.sort_by_key(|r| std::cmp::Reverse(r.last_seen));
        never
            .into_iter()
            .take(RESUME_UNPROFILED)
            .map(|r| r.main_host.clone())
            .collect::<Vec<_>>()
    })
    .unwrap_or_default();
    for host in unprofiled {
        start_lookup(&host, Hints::default());
    }
}

/// Brings every open tab up to date after a kill. A main-frame response is the event that
/// records a visit, and one delivered to a worker stopped before it stored the site (Chrome
/// stops idle workers at any moment) is gone: the site of a tab still showing the page is
/// recorded (no visit counted, since an event still on its way would count it twice) and looked
/// up. A navigation clears the tab's badge and the worker sets it again when the tab completes;
/// that event can be cut off too, so every tab of a recorded site gets its badge again. Only
/// tabs done loading whose page this worker has not seen count: the others' events are being,
/// or will be, handled. Incognito tabs are skipped unless `recordIncognito`.
async fn record_open_tabs() {
    let Ok(list) = bindings::tabs_query(&js_sys::Object::new().into()).await else {
        return;
    };
    let now = now();
    for tab in js_sys::Array::from(&list).iter() {
        let field = |name: &str| js_sys::Reflect::get(&tab, &name.into()).ok();
        let Some(url) = field("url").and_then(|v| v.as_string()) else {
            continue;
        };
        let Some(tab_id) = field("id").and_then(|v| v.as_f64()) else {
            continue;
        };
        let incognito = field("incognito")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let complete = field("status").and_then(|v| v.as_string()).as_deref() == Some("complete");
        let Some(host) = host_of_url(&url) else {
            continue;
        };
        let found = with(|w| {
            if (incognito && !w.settings.record_incognito)
                || !complete
                || w.main_frames_seen.contains(&host)
            {
                return None;
            }
            let site = site_for(w, &host)?;
            if let Some(known) = w.sites.get(&site) {
                let looking = w.pending.contains(&known.main_host);
                return Some((known.clone(), looking, false));
            }
            let mut record = SiteRecord::new(&site, &host, now);
            record.observe(&host, None, None, false, now);
            record.origin = origin_of_url(&url);
            w.sites.insert(site, record.clone());
            Some((record, true, true))
        })
        .flatten();
        let Some((record, looking, new)) = found else {
            continue;
        };
        if new {
            bindings::info(&format!(
                "OneBasket: {} recorded from an open tab (its visit was cut off)",
                record.site
            ));
            if let Err(e) = store::put_site(&record).await {
                bindings::warn(&format!("OneBasket: saving {} failed: {e}", record.site));
            }
        }
        badge::show_for_tab(tab_id as i32, &record, looking).await;
        if new {
            start_lookup(&record.main_host, Hints::default());
        }
    }
}

/// The feed source the last completed refresh used; `None` when unknown (stored by an older
/// version, or never).
async fn load_feed_source() -> Option<Option<String>> {
    let value = store::get_one(feeds::SOURCE_KEY)
        .await
        .unwrap_or(JsValue::UNDEFINED);
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
            let _ = store::remove(&[feeds::SOURCE_KEY.to_owned()]).await;
            None
        }
    }
}

async fn load_settings() -> Settings {
    let stored = store::get_one("settings")
        .await
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null());
    // Nothing is written back: a settings write racing this start (the options page, a test, a
    // policy) must never be overwritten by defaults.
    let Some(stored) = stored else {
        return Settings::default();
    };
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

/// The combined snapshot, else a rebuild from the per-feed snapshots (written back as the
/// combined snapshot), else an empty table. The flag is false when the table is not known to
/// hold every feed that was stored (a per-feed snapshot was discarded): a refresh restores it.
async fn load_table(specs: &[FeedSpec]) -> (PrefixTable, bool) {
    let stored = store::get_one("table").await.unwrap_or(JsValue::UNDEFINED);
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
        if let Err(e) = store::set("table", &store::encode_bytes(&table.to_snapshot())).await {
            bindings::warn(&format!("OneBasket: storing the rebuilt table failed: {e}"));
        }
    }
    (table, discarded == 0)
}

/// Every stored site, and whether the stored layout is now the current one. Records are read
/// leniently ([`migrate::site`]); one that needed it is rewritten, and so is every record when
/// the layout is older. What is no record at all is removed, unless a newer version wrote it.
/// `Err` when the sites cannot be read at all.
async fn load_sites(
    schema: migrate::Schema,
) -> Result<(HashMap<String, SiteRecord>, bool), String> {
    let now = now();
    let newer = schema.is_newer();
    let mut sites = HashMap::new();
    let mut broken = Vec::new();
    let mut rewrite = Vec::new();
    // A worker that could not read the sites must not run: the first visit to a site would
    // store a new record over the one it could not read. The next event starts a new worker,
    // which tries again.
    let entries = store::entries(store::SITE_PREFIX)
        .await
        .map_err(|e| format!("reading the sites failed ({e}); not starting"))?;
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
        sites.insert(record.site.clone(), record);
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

/// The newest class of every dependency in the stored records.
fn known_classes(sites: &HashMap<String, SiteRecord>) -> HashMap<String, HostClass> {
    let mut classes: HashMap<String, HostClass> = HashMap::new();
    for (host, dep) in sites.values().flat_map(|r| r.deps.iter()) {
        if let Some(c) = &dep.class {
            if classes.get(host).is_none_or(|old| old.at < c.at) {
                classes.insert(host.clone(), c.clone());
            }
        }
    }
    classes
}

/// What the status polls leave, kept under `providerStatus`: the browser stops an idle worker
/// within seconds, and the incidents and the time each page was asked must outlive it, or the
/// popup would show no incident and every wake would ask every page again.
#[derive(Debug, Default, serde::Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProviderStatusMemory {
    /// When each provider's status page was last asked (ms since the epoch).
    #[serde(default)]
    pub(crate) polled: std::collections::BTreeMap<String, u64>,
    /// Each provider's last good status.
    #[serde(default)]
    pub(crate) providers: std::collections::BTreeMap<String, onebasket::status::ProviderStatus>,
}

/// The stored [`ProviderStatusMemory`]; an unreadable one is discarded with a warning (the
/// next poll refills it).
async fn load_provider_status() -> ProviderStatusMemory {
    let stored = store::get_one("providerStatus")
        .await
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null());
    match stored.map(store::from_js::<ProviderStatusMemory>) {
        Some(Ok(m)) => m,
        Some(Err(e)) => {
            bindings::warn(&format!(
                "OneBasket: stored providerStatus unreadable ({e}); discarded"
            ));
            ProviderStatusMemory::default()
        }
        None => ProviderStatusMemory::default(),
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

// ---------------------------------------------------------------------------------------------
// webRequest events

/// One HTTP header from webRequest.
#[derive(Debug, Deserialize)]
struct HttpHeader {
    name: String,
    value: Option<String>,
}

/// The fields of webRequest details the worker uses.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestDetails {
    url: String,
    #[serde(default = "no_tab")]
    tab_id: i32,
    #[serde(rename = "type", default)]
    kind: String,
    ip: Option<String>,
    status_code: Option<u16>,
    response_headers: Option<Vec<HttpHeader>>,
    error: Option<String>,
    /// Firefox says; Chrome does not (then the tab is asked).
    incognito: Option<bool>,
    /// The origin of the page that made the request (Chrome).
    initiator: Option<String>,
    /// The URL of the page that made the request (Firefox).
    document_url: Option<String>,
}

impl RequestDetails {
    /// The host of the page the request belongs to (for sub-resources).
    fn page_host(&self) -> Option<String> {
        self.document_url
            .as_deref()
            .or(self.initiator.as_deref())
            .and_then(host_of_url)
    }
}

/// How an observed request relates to the user's sites.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// The page itself (a main-frame request) of this site.
    Page(String),
    /// A request of this site's page to one of the site's own hosts (`api.`, `cdn.`…).
    Own(String),
    /// A request of this site's page to another site's host (whose site key is `dep_site`).
    ThirdParty {
        /// The site whose page made the request.
        site: String,
        /// The requested host's own site key.
        dep_site: String,
    },
}

/// Which site an observed request belongs to, and how; `None` when it belongs to no recorded
/// site (a frame of an unvisited page, a private address).
fn observed_site(w: &Worker, d: &RequestDetails, host: &str) -> Option<Seen> {
    let site = site_for(w, host)?;
    if d.kind == "main_frame" {
        return Some(Seen::Page(site));
    }
    let page_site = d.page_host().and_then(|h| site_for(w, &h))?;
    if !w.sites.contains_key(&page_site) {
        return None;
    }
    Some(if page_site == site {
        Seen::Own(site)
    } else {
        Seen::ThirdParty {
            site: page_site,
            dep_site: site,
        }
    })
}

fn no_tab() -> i32 {
    -1
}

/// `http(s)://host[:port]/…` → `http(s)://host[:port]`: what an active check requests, and
/// nothing of the path or query the user visited.
fn origin_of_url(url: &str) -> Option<String> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit('@').next()?;
    let scheme = &url[..scheme_end];
    matches!(scheme, "http://" | "https://").then(|| format!("{scheme}{authority}"))
}

/// `http(s)://host[:port]/…` → host (brackets of IPv6 literals removed).
fn host_of_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit('@').next()?;
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_owned())
}

async fn is_incognito(tab_id: i32, said: Option<bool>) -> bool {
    if let Some(s) = said {
        return s;
    }
    if let Some(known) = with(|w| w.incognito_tabs.get(&tab_id).copied()).flatten() {
        return known;
    }
    let tab = bindings::tabs_get(tab_id).await.ok();
    let incognito = tab
        .and_then(|t| js_sys::Reflect::get(&t, &"incognito".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    with(|w| w.incognito_tabs.insert(tab_id, incognito));
    incognito
}

/// The site key string for a host, `None` for names that are not sites (IP literals of
/// private networks, `localhost`).
///
/// Names without a public suffix (`printer.local`, `nas.home.arpa`, `shop.example.test`) are
/// private to the user's network: they are recorded and looked up only when the resolver runs
/// on this machine, so they never reach a third-party resolver.
fn site_for(w: &Worker, host: &str) -> Option<String> {
    match w.engine.classifier().sites().site_key(host).ok()? {
        SiteKey::Domain(d) => Some(d),
        SiteKey::Ip(ip) if onebasket::dns::is_public(ip) => Some(ip.to_string()),
        SiteKey::Local(d) if d.contains('.') && w.settings.resolver_is_loopback() => Some(d),
        _ => None,
    }
}

/// The site of a page URL, as the worker keys it.
pub(crate) fn site_of_url(url: &str) -> Option<String> {
    let host = host_of_url(url)?;
    with(|w| site_for(w, &host)).flatten()
}

/// `onResponseStarted`: a response arrived for a tab.
pub async fn on_response(details: JsValue) {
    let Ok(mut d) = store::from_js::<RequestDetails>(details) else {
        return;
    };
    // Requests outside tabs include the worker's own DoH and feed fetches: never observed.
    if d.tab_id < 0 {
        return;
    }
    let Some(host) = host_of_url(&d.url) else {
        return;
    };
    if d.kind == "main_frame" {
        // Before the first await: the recovery after a start must know this page is handled.
        with(|w| w.main_frames_seen.insert(host.clone()));
    }
    let incognito = is_incognito(d.tab_id, d.incognito).await;
    let now = now();
    let ip =
        d.ip.as_deref()
            .and_then(|s| s.trim_matches(['[', ']']).parse::<IpAddr>().ok());
    let headers: Vec<(String, String)> = d
        .response_headers
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|h| (h.name, h.value.unwrap_or_default()))
        .collect();
    let seen = with(|w| {
        if incognito && !w.settings.record_incognito {
            return None;
        }
        observed_site(w, &d, &host)
    })
    .flatten();
    match seen {
        Some(Seen::Page(site)) | Some(Seen::Own(site)) => {
            own_response(&d, &host, &site, ip, headers, now).await;
        }
        Some(Seen::ThirdParty { site, dep_site }) => {
            let outcome = d
                .status_code
                .map_or(DepOutcome::Unknown, DepOutcome::Status);
            let failure = d.status_code.filter(|s| *s >= 500).map(|status| {
                (
                    Observation::Response { at: now, status },
                    format!("HTTP {status}"),
                )
            });
            third_party(&d, &host, &site, &dep_site, ip, outcome, failure, now);
            if let Some(hints) = dependency_hints(&site, &host, ip, headers, now).await {
                start_lookup(&host, hints);
            }
        }
        None => {}
    }
}

/// A response of a site's own host: the page itself, or one of its same-site requests.
async fn own_response(
    d: &RequestDetails,
    host: &str,
    site: &str,
    ip: Option<IpAddr>,
    headers: Vec<(String, String)>,
    now: u64,
) {
    let main_frame = d.kind == "main_frame";
    let action = with(|w| {
        let cfg = w.settings.health_config();
        let record = w
            .sites
            .entry(site.to_owned())
            .or_insert_with(|| SiteRecord::new(site, host, now));
        record.observe(host, ip, d.status_code, main_frame, now);
        if !main_frame {
            let outcome = d
                .status_code
                .map_or(DepOutcome::Unknown, DepOutcome::Status);
            record.depend(host, site, false, &d.kind, ip, outcome, now);
        }
        if main_frame && host == record.main_host {
            record.origin = origin_of_url(&d.url);
        }
        let before = record.status;
        if let Some(status) = d.status_code {
            record.status =
                record
                    .health
                    .record(&Observation::Response { at: now, status }, now, &cfg);
        }
        let stale = record
            .profiled_at
            .is_none_or(|t| now.saturating_sub(t) > PROFILE_MAX_AGE_MS);
        let lookup = main_frame && host == record.main_host && stale;
        Some((record.clone(), lookup, before != record.status))
    })
    .flatten();
    let Some((record, lookup, changed)) = action else {
        return;
    };
    // Firefox omits `ip` for responses served from its cache: the host's last seen address
    // stands in.
    let ip = ip.or_else(|| record.hosts.get(host).and_then(|h| h.last_ip));
    if let Err(e) = store::put_site(&record).await {
        bindings::warn(&format!("OneBasket: saving {} failed: {e}", record.site));
    }
    if main_frame {
        badge::show_for_tab(d.tab_id, &record, lookup).await;
    } else if changed {
        badge::show_for_site(&record).await;
    }
    if lookup {
        // The browser's own address is evidence only when public (loopback / LAN never is).
        let hints = Hints {
            connected_ip: ip.filter(|ip| onebasket::dns::is_public(*ip)),
            headers,
            resolved: browser_resolve(host).await,
        };
        start_lookup(host, hints);
    } else if !main_frame {
        if let Some(hints) = dependency_hints(site, host, ip, headers, now).await {
            start_lookup(host, hints);
        }
    }
}

/// Records a request of `site`'s page to a third party's `host`; a failure of a host the page
/// needs also counts against the site (its users see it broken), and is put down to that
/// host while the site's own hosts answer.
#[allow(clippy::too_many_arguments)]
fn third_party(
    d: &RequestDetails,
    host: &str,
    site: &str,
    dep_site: &str,
    ip: Option<IpAddr>,
    outcome: DepOutcome<'_>,
    failure: Option<(Observation, String)>,
    now: u64,
) {
    let changed = with(|w| {
        let cfg = w.settings.health_config();
        let record = w.sites.get_mut(site)?;
        record.depend(host, dep_site, true, &d.kind, ip, outcome, now);
        let mut changed = None;
        if let Some((obs, error)) = failure.filter(|_| is_critical_type(&d.kind)) {
            record.fail(host, &error, now);
            let before = record.status;
            record.status = record.health.record(&obs, now, &cfg);
            changed = (before != record.status).then(|| record.clone());
        }
        w.dirty.insert(site.to_owned());
        Some(changed)
    })
    .flatten()
    .flatten();
    schedule_flush();
    if let Some(record) = changed {
        spawn_local(async move {
            badge::show_for_site(&record).await;
            crate::checks::after_change().await;
        });
    }
}

/// The hints to look `host` up with, as a dependency of `site`, or `None` when it needs no
/// look-up: another site's look-up of the same host, still fresh, is reused instead.
async fn dependency_hints(
    site: &str,
    host: &str,
    ip: Option<IpAddr>,
    headers: Vec<(String, String)>,
    now: u64,
) -> Option<Hints> {
    let needed = with(|w| w.attach_class(site, host, now)).unwrap_or(false);
    if !needed {
        return None;
    }
    Some(Hints {
        connected_ip: ip.filter(|ip| onebasket::dns::is_public(*ip)),
        headers,
        resolved: browser_resolve(host).await,
    })
}

impl Worker {
    /// Gives `site`'s dependency `host` the shared class of that host when it is fresh; true
    /// when the host needs a look-up (unknown or stale, and none under way).
    fn attach_class(&mut self, site: &str, host: &str, now: u64) -> bool {
        let fresh = self
            .classes
            .get(host)
            .filter(|c| now.saturating_sub(c.at) <= PROFILE_MAX_AGE_MS)
            .cloned();
        let Some(dep) = self.sites.get_mut(site).and_then(|r| r.deps.get_mut(host)) else {
            return false;
        };
        match fresh {
            Some(c) => {
                if dep.class.as_ref() != Some(&c) {
                    dep.class = Some(c);
                    self.dirty.insert(site.to_owned());
                }
                false
            }
            None => !self.pending.contains(host),
        }
    }
}

/// How long dependency traffic waits before it is written: a page loading 200 hosts then
/// costs a few writes of its site instead of hundreds. A worker killed in between loses at
/// most this much of the counts; the next page load sees the same hosts again.
const SAVE_DELAY_MS: i32 = 250;

/// Writes the sites changed by dependency traffic, once, [`SAVE_DELAY_MS`] from now.
pub(crate) fn schedule_flush() {
    let schedule =
        with(|w| !w.dirty.is_empty() && !std::mem::replace(&mut w.flush_scheduled, true))
            .unwrap_or(false);
    if schedule {
        spawn_local(async {
            bindings::sleep(SAVE_DELAY_MS).await;
            flush().await;
        });
    }
}

/// Writes every dirty site now.
pub(crate) async fn flush() {
    let records = with(|w| {
        w.flush_scheduled = false;
        std::mem::take(&mut w.dirty)
            .into_iter()
            .filter_map(|s| w.sites.get(&s).cloned())
            .collect::<Vec<_>>()
    })
    .unwrap_or_default();
    for record in records {
        if let Err(e) = store::put_site(&record).await {
            bindings::warn(&format!("OneBasket: saving {} failed: {e}", record.site));
        }
    }
}

/// `onErrorOccurred`: a request failed. Main-frame and same-site failures feed the failure
/// detector; so do failures of third parties the page needs (their host is blamed while the
/// site's own hosts answer). The user's own doing (navigating away, an ad blocker) is ignored.
pub async fn on_request_error(details: JsValue) {
    let Ok(d) = store::from_js::<RequestDetails>(details) else {
        return;
    };
    if d.tab_id < 0 {
        return;
    }
    let Some(host) = host_of_url(&d.url) else {
        return;
    };
    if is_incognito(d.tab_id, d.incognito).await
        && !with(|w| w.settings.record_incognito).unwrap_or(false)
    {
        return;
    }
    let error = d
        .error
        .clone()
        .unwrap_or_else(|| "unknown error".to_owned());
    let now = now();
    let obs = Observation::from_error(now, &error);
    if obs.verdict() == onebasket::health::Verdict::Ignore {
        return;
    }
    let seen = with(|w| observed_site(w, &d, &host)).flatten();
    let (site, main_frame) = match seen {
        Some(Seen::Page(site)) => (site, true),
        Some(Seen::Own(site)) => (site, false),
        Some(Seen::ThirdParty { site, dep_site }) => {
            let fail = obs.verdict() == onebasket::health::Verdict::Fail;
            let outcome = if fail {
                DepOutcome::Failed(&error)
            } else {
                DepOutcome::Unknown
            };
            let failure = fail.then(|| (obs.clone(), error.clone()));
            third_party(&d, &host, &site, &dep_site, None, outcome, failure, now);
            return;
        }
        None => return,
    };
    let record = with(|w| {
        let cfg = w.settings.health_config();
        let record = w
            .sites
            .entry(site.clone())
            .or_insert_with(|| SiteRecord::new(&site, &host, now));
        record.observe(&host, None, None, main_frame, now);
        if main_frame && host == record.main_host {
            record.origin = origin_of_url(&d.url);
        }
        if obs.verdict() == onebasket::health::Verdict::Fail {
            record.fail(&host, &error, now);
            if !main_frame {
                record.depend(
                    &host,
                    &site,
                    false,
                    &d.kind,
                    None,
                    DepOutcome::Failed(&error),
                    now,
                );
            }
        }
        record.status = record.health.record(&obs, now, &cfg);
        Some(record.clone())
    })
    .flatten();
    if let Some(record) = record {
        let _ = store::put_site(&record).await;
        badge::show_for_site(&record).await;
        crate::checks::after_change().await;
    }
}

/// `tabs.onUpdated`: re-applies the badge once a page has loaded (navigation resets it).
pub async fn on_tab_updated(tab_id: i32, url: Option<String>) {
    let Some(host) = url.as_deref().and_then(host_of_url) else {
        return;
    };
    let record = with(|w| site_for(w, &host).and_then(|s| w.sites.get(&s).cloned())).flatten();
    if let Some(record) = record {
        let looking = with(|w| w.pending.contains(&record.main_host)).unwrap_or(false);
        badge::show_for_tab(tab_id, &record, looking).await;
    }
}

/// `tabs.onRemoved`.
pub fn on_tab_removed(tab_id: i32) {
    with(|w| w.incognito_tabs.remove(&tab_id));
}

// ---------------------------------------------------------------------------------------------
// Look-ups

/// Starts looking up `host` unless it already is; persists the pending set.
pub(crate) fn start_lookup(host: &str, hints: Hints) {
    let started = with(|w| {
        if w.pending.contains(host) {
            return Ok(false);
        }
        // Checked here, where every look-up starts, and not only where a visit is recorded: a
        // host resumed from `pending` or a stored site may have been recorded under another
        // resolver, and a private name (`nas.home.arpa`) or private address must never reach
        // one that is not on this machine.
        if site_for(w, host).is_none() {
            return Err(
                "a private name or address, and the resolver is not on this machine".to_owned(),
            );
        }
        let id = w
            .engine
            .start(host, hints, now())
            .map_err(|e| e.to_string())?;
        w.lookups.insert(id, host.to_owned());
        w.pending.insert(host.to_owned());
        Ok::<bool, String>(true)
    });
    match started {
        Some(Ok(true)) => {
            spawn_local(save_pending());
            pump();
        }
        Some(Err(e)) => bindings::warn(&format!("OneBasket: cannot look up {host}: {e}")),
        _ => {}
    }
}

/// The browser's own answer for `host` when the user chose "resolve with the browser" and the
/// browser has a DNS API; `None` sends the address look-ups to the DoH resolver.
async fn browser_resolve(host: &str) -> Option<BrowserResolution> {
    let wanted = with(|w| w.settings.resolve_with_browser).unwrap_or(false);
    if !wanted || !bindings::has_browser_dns() {
        return None;
    }
    let flags = js_sys::Array::of1(&JsValue::from_str("canonical_name"));
    let record = match bindings::dns_resolve(host, &flags).await {
        Ok(r) => r,
        Err(e) => {
            bindings::warn(&format!(
                "OneBasket: dns.resolve({host}) failed: {e:?}; using DoH"
            ));
            return None;
        }
    };
    let addresses = js_sys::Reflect::get(&record, &"addresses".into())
        .ok()
        .map(|a| js_sys::Array::from(&a))
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_string()?.parse::<IpAddr>().ok())
                .collect()
        })
        .unwrap_or_default();
    let canonical_name = js_sys::Reflect::get(&record, &"canonicalName".into())
        .ok()
        .and_then(|v| v.as_string())
        .map(|c| c.trim_end_matches('.').to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    Some(BrowserResolution {
        addresses,
        canonical_name,
    })
}

async fn save_pending() {
    if let Some(pending) = with(|w| w.pending.iter().cloned().collect::<Vec<_>>()) {
        let _ = store::set("pending", &pending).await;
    }
}

/// Sends every query the engine wants and applies every finished profile.
pub(crate) fn pump() {
    let (queries, done, resolver) = with(|w| {
        let mut queries: Vec<Query> = Vec::new();
        while let Some(q) = w.engine.poll_query() {
            queries.push(q);
        }
        let mut done = Vec::new();
        while let Some((id, profile)) = w.engine.poll_profile() {
            if let Some(host) = w.lookups.remove(&id) {
                w.pending.remove(&host);
                done.push(profile);
            }
        }
        (queries, done, w.settings.resolver.clone())
    })
    .unwrap_or_default();
    for q in queries {
        let resolver = resolver.clone();
        spawn_local(async move {
            let answer = doh::query(&resolver, &q).await;
            with(|w| {
                w.last_answer_at = now();
                match answer {
                    Ok(body) => w
                        .engine
                        .handle_response(q.id, AnswerFormat::Wire, &body, now()),
                    Err(reason) => w.engine.handle_failure(q.id, &reason, now()),
                }
            });
            pump();
        });
    }
    if !done.is_empty() {
        spawn_local(async move {
            for profile in done {
                apply_profile(profile).await;
            }
            save_pending().await;
        });
    }
}

/// Stores a finished profile: on the site whose main host it is (refreshing the badges of the
/// tabs showing it), and as the shared class of the host in every site that loads it.
async fn apply_profile(profile: SiteProfile) {
    let now = now();
    let failed = matches!(profile.resolution, Resolution::ResolverError(_));
    let record = with(|w| {
        w.last_profile_at = now;
        if !failed {
            // The resolver being down says nothing about the host: the last class stays.
            let class = HostClass::from_profile(&profile, now);
            for r in w.sites.values_mut() {
                if let Some(dep) = r.deps.get_mut(&profile.name) {
                    dep.class = Some(class.clone());
                    w.dirty.insert(r.site.clone());
                }
            }
            w.classes.insert(profile.name.clone(), class);
        }
        let site = site_for(w, &profile.name)?;
        let record = w.sites.get_mut(&site)?;
        if record.main_host != profile.name {
            return None;
        }
        if failed {
            bindings::warn(&format!(
                "OneBasket: look-up of {} failed: {:?}",
                profile.name, profile.resolution
            ));
            if record.profile.is_none() {
                record.profile = Some(profile);
            }
        } else {
            record.profile = Some(profile);
            record.profiled_at = Some(now);
        }
        w.dirty.remove(&site);
        Some(record.clone())
    })
    .flatten();
    schedule_flush();
    if let Some(record) = record {
        if let Err(e) = store::put_site(&record).await {
            bindings::warn(&format!("OneBasket: saving {} failed: {e}", record.site));
        }
        badge::show_for_site(&record).await;
        let since = with(|w| bindings::now().saturating_sub(w.last_answer_at)).unwrap_or_default();
        bindings::info(&format!(
            "OneBasket: badge for {} set {since} ms after the last DoH answer",
            record.site
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Alarms, settings, messages

/// `alarms.onAlarm`.
pub async fn on_alarm(name: String) {
    match name.as_str() {
        "feeds" => feeds::refresh().await,
        "retention" => prune().await,
        "checks" => {
            // Answers past their TTL would only be asked again: drop them to bound memory.
            with(|w| w.engine.expire(now()));
            crate::checks::round(false).await
        }
        "status" => crate::checks::poll_status().await,
        _ => {}
    }
}

/// Forgets sites not seen within the retention period.
async fn prune() {
    let now = now();
    let expired = with(|w| {
        let days = w.settings.retention_days;
        let gone: Vec<String> = w
            .sites
            .values()
            .filter(|r| r.expired(now, days))
            .map(|r| r.site.clone())
            .collect();
        for s in &gone {
            w.sites.remove(s);
            w.dirty.remove(s);
        }
        if !gone.is_empty() {
            w.classes = known_classes(&w.sites);
        }
        gone
    })
    .unwrap_or_default();
    if !expired.is_empty() {
        let keys: Vec<String> = expired
            .iter()
            .map(|s| format!("{}{s}", store::SITE_PREFIX))
            .collect();
        let _ = store::remove(&keys).await;
    }
}

/// `storage.onChanged` for `settings`: applies a change made anywhere (options page, another
/// window, a test) at once.
pub async fn on_settings_changed(new_value: JsValue) {
    let Ok(settings) = store::from_js::<Settings>(new_value) else {
        bindings::warn("OneBasket: ignored unreadable settings change");
        return;
    };
    if let Err(e) = settings.validate() {
        bindings::warn(&format!("OneBasket: ignored invalid settings: {e}"));
        return;
    }
    let feeds_moved = with(|w| {
        // Compared with the source the table comes from (or is being fetched from), not with
        // the settings in memory: a worker woken by this very change has loaded the new
        // settings at start already.
        let source = if w.refreshing {
            w.refreshing_from.clone()
        } else {
            w.feeds_from.clone()
        };
        let moved = match source {
            Some(from) => from != settings.feed_base,
            None => w.settings.feed_base != settings.feed_base,
        };
        w.engine.set_config(EngineConfig {
            asn_lookups: settings.asn_lookups,
            ..EngineConfig::default()
        });
        w.settings = settings;
        moved
    })
    .unwrap_or(false);
    bindings::info(&format!(
        "OneBasket: settings applied (feed source changed: {feeds_moved})"
    ));
    if feeds_moved {
        feeds::refresh().await;
    }
}

/// Answers a page's request.
pub async fn on_message(message: JsValue) -> Response {
    let request = match store::from_js::<Request>(message) {
        Ok(r) => r,
        Err(e) => {
            return Response::Error {
                message: format!("unknown request: {e}"),
            }
        }
    };
    match request {
        Request::GetOverview => with(|w| Response::Overview {
            overview: overview(w),
        })
        .unwrap_or_else(not_ready),
        Request::GetSite { site } => with(|w| Response::Site {
            site: w.sites.get(&site).cloned(),
        })
        .unwrap_or_else(not_ready),
        Request::GetSettings => with(|w| Response::Settings {
            settings: w.settings.clone(),
        })
        .unwrap_or_else(not_ready),
        Request::SetSettings { settings } => {
            if let Err(e) = settings.validate() {
                return Response::Error {
                    message: e.to_string(),
                };
            }
            if let Err(e) = store::set("settings", &settings).await {
                return Response::Error { message: e };
            }
            // storage.onChanged applies it (also for changes made elsewhere); apply now too so
            // the answer reflects it.
            on_settings_changed(store::to_js(&settings).unwrap_or(JsValue::NULL)).await;
            Response::Settings { settings }
        }
        Request::ClearData => clear_data().await,
        Request::GetStats => {
            with(|w| Response::Stats { stats: stats(w) }).unwrap_or_else(not_ready)
        }
        Request::CheckNow => {
            crate::checks::round(true).await;
            Response::Done
        }
        Request::RefreshFeeds => {
            feeds::refresh().await;
            with(|w| Response::Feeds {
                feeds: w.feed_status.clone(),
            })
            .unwrap_or_else(not_ready)
        }
    }
}

fn not_ready() -> Response {
    Response::Error {
        message: "the worker has not started".to_owned(),
    }
}

/// Failures concentrating on one provider, region, edge or DNS provider.
pub(crate) fn correlations(w: &Worker) -> Vec<onebasket::protocol::Correlation> {
    // A group needs two failing sites: with fewer there is nothing to correlate, and the
    // per-site facts (every critical dependency) need not be built.
    let failing = w
        .sites
        .values()
        .filter(|r| matches!(r.status, HealthState::Down | HealthState::Degraded))
        .count();
    if failing < 2 {
        return Vec::new();
    }
    let window = w.settings.health_config().window_ms;
    let now = now();
    let facts: Vec<SiteFacts> = w
        .sites
        .values()
        .map(|r| SiteFacts::at(r, now, window))
        .collect();
    let rules = w.engine.classifier().rules();
    let names = |id: &str| {
        rules
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    onebasket::health::correlate(&facts, 2, onebasket::health::DEFAULT_ALPHA, &names)
}

fn stats(w: &Worker) -> WorkerStats {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let deps = w.sites.values().map(|r| r.deps.len()).sum();
    let classified = w
        .sites
        .values()
        .flat_map(|r| r.deps.values())
        .filter(|d| d.class.is_some())
        .count();
    let memory = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0, |b| u64::from(b.byte_length()));
    WorkerStats {
        sites: count(w.sites.len()),
        deps: count(deps),
        deps_classified: count(classified),
        classes: count(w.classes.len()),
        pending: count(w.pending.len()),
        last_answer_at: w.last_answer_at,
        last_profile_at: w.last_profile_at,
        wasm_memory_bytes: memory,
    }
}

fn overview(w: &Worker) -> Overview {
    let window = w.settings.health_config().window_ms;
    let now = now();
    let mut sites: Vec<SiteSummary> = w
        .sites
        .values()
        .map(|r| SiteSummary::at(r, now, window))
        .collect();
    sites.sort_by(|a, b| {
        b.last_seen
            .cmp(&a.last_seen)
            .then_with(|| a.site.cmp(&b.site))
    });
    Overview {
        sites,
        feeds: w.feed_status.clone(),
        settings: w.settings.clone(),
        correlations: correlations(w),
        offline: w.offline,
        // A status is shown while polling it goes on (see `STATUS_SHOWN_MS`).
        incidents: w
            .incidents
            .iter()
            .filter(|(p, _)| {
                w.settings.status_feeds
                    && w.status_polled.get(*p).is_some_and(|&at| {
                        now.saturating_sub(at) <= onebasket::status::STATUS_SHOWN_MS
                    })
            })
            .flat_map(|(_, s)| s.incidents.iter().cloned())
            .collect(),
    }
}

async fn clear_data() -> Response {
    let keys = with(|w| {
        let keys: Vec<String> = w
            .sites
            .keys()
            .map(|s| format!("{}{s}", store::SITE_PREFIX))
            .collect();
        w.sites.clear();
        // What third-party hosts run on, and the answers about them, are browsing history too.
        w.classes.clear();
        w.engine.clear_cache();
        w.dirty.clear();
        // Which providers' status pages were asked says where the user's sites run.
        w.incidents.clear();
        w.status_polled.clear();
        keys
    })
    .unwrap_or_default();
    // Also whatever a previous worker stored that this one did not load.
    let mut all = keys;
    if let Ok(entries) = store::entries(store::SITE_PREFIX).await {
        all.extend(entries.into_iter().map(|(k, _)| k));
    }
    all.push("pending".to_owned());
    all.push("providerStatus".to_owned());
    match store::remove(&all).await {
        Ok(()) => {
            badge::clear_all().await;
            Response::Done
        }
        Err(message) => Response::Error { message },
    }
}
