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
use onebasket::engine::{
    AnswerFormat, BrowserResolution, Engine, EngineConfig, Hints, LookupId, Query,
};
use onebasket::feeds::FeedSpec;
use onebasket::health::{Observation, SiteFacts};
use onebasket::profile::{Resolution, SiteProfile};
use onebasket::protocol::{
    FeedStatus, Overview, Request, Response, Settings, SiteRecord, SiteSummary,
};
use onebasket::rules::Rules;
use onebasket::site::{SiteKey, SiteKeys};
use onebasket::table::PrefixTable;
use serde::Deserialize;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{self, now};
use crate::{badge, doh, feeds, store};

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
    /// Tabs known to be incognito (Chrome's webRequest details do not say).
    incognito_tabs: HashMap<i32, bool>,
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Runs `f` on the worker if it has started.
pub(crate) fn with<R>(f: impl FnOnce(&mut Worker) -> R) -> Option<R> {
    WORKER.with(|w| w.borrow_mut().as_mut().map(f))
}

/// Loads settings, the prefix table and every site, then resumes interrupted work.
pub async fn start() -> Result<(), String> {
    let rules = Rules::builtin().map_err(|e| e.to_string())?;
    let specs = onebasket::knowledge::feed_specs(&rules).map_err(|e| e.to_string())?;
    let settings = load_settings().await;
    let table = load_table(&specs).await;
    let sites = load_sites().await;
    let feed_status: FeedStatus = store::get_one("feedStatus")
        .await
        .ok()
        .filter(|v| !v.is_undefined())
        .and_then(|v| store::from_js(v).ok())
        .unwrap_or_default();
    let classifier = Classifier::new(table, rules, SiteKeys::builtin());
    let config = EngineConfig {
        asn_lookups: settings.asn_lookups,
        ..EngineConfig::default()
    };
    let empty_table = classifier.table().is_empty();
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
            offline: false,
            incidents: std::collections::BTreeMap::new(),
            status_polled: HashMap::new(),
            checking: false,
            notified: BTreeSet::new(),
            last_answer_at: 0,
            incognito_tabs: HashMap::new(),
        });
    });
    let _ = store::set("schema", &store::SCHEMA).await;

    // Look-ups cut off by a kill start again.
    let pending: Vec<String> = store::get_one("pending")
        .await
        .ok()
        .filter(|v| !v.is_undefined())
        .and_then(|v| store::from_js(v).ok())
        .unwrap_or_default();
    for host in pending {
        start_lookup(&host, Hints::default());
    }
    // So is a feed refresh, and a table that was never filled.
    let interrupted = store::get_one("refreshing")
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if interrupted || empty_table {
        spawn_local(async {
            feeds::refresh().await;
        });
    }
    ensure_alarms().await;
    Ok(())
}

async fn load_settings() -> Settings {
    let stored = store::get_one("settings")
        .await
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null());
    match stored.map(store::from_js::<Settings>) {
        Some(Ok(s)) if s.validate().is_ok() => s,
        Some(Ok(s)) => {
            bindings::warn(&format!(
                "OneBasket: stored settings invalid ({:?}); using defaults",
                s.validate()
            ));
            Settings::default()
        }
        Some(Err(e)) => {
            bindings::warn(&format!(
                "OneBasket: stored settings unreadable ({e}); using defaults"
            ));
            Settings::default()
        }
        // Nothing is written back: a settings write racing this start (the options page, a
        // test, a policy) must never be overwritten by defaults.
        None => Settings::default(),
    }
}

/// The combined snapshot, else a rebuild from the per-feed snapshots, else an empty table.
async fn load_table(specs: &[FeedSpec]) -> PrefixTable {
    let stored = store::get_one("table")
        .await
        .ok()
        .and_then(|v| v.as_string());
    if let Some(text) = stored {
        match store::decode_bytes(&text).map(|b| PrefixTable::from_snapshot(&b)) {
            Some(Ok(t)) => return t,
            Some(Err(e)) => bindings::warn(&format!("OneBasket: stored table discarded: {e}")),
            None => bindings::warn("OneBasket: stored table is not base64; discarded"),
        }
    }
    feeds::rebuild_from_feed_snapshots(specs).await
}

async fn load_sites() -> HashMap<String, SiteRecord> {
    let mut sites = HashMap::new();
    let mut broken = Vec::new();
    match store::entries(store::SITE_PREFIX).await {
        Ok(entries) => {
            for (key, value) in entries {
                match store::from_js::<SiteRecord>(value) {
                    Ok(r) => {
                        sites.insert(r.site.clone(), r);
                    }
                    Err(e) => {
                        bindings::warn(&format!("OneBasket: {key} unreadable ({e}); dropped"));
                        broken.push(key);
                    }
                }
            }
        }
        Err(e) => bindings::warn(&format!("OneBasket: reading sites failed: {e}")),
    }
    if !broken.is_empty() {
        let _ = store::remove(&broken).await;
    }
    sites
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

/// What the worker does with one observed request: which site, and whether it is the page itself
/// or one of the page's own (same-site) requests. Third-party requests are not recorded.
fn observed_site(w: &Worker, d: &RequestDetails, host: &str) -> Option<(String, bool)> {
    let site = site_for(w, host)?;
    let main_frame = d.kind == "main_frame";
    if main_frame {
        return Some((site, true));
    }
    let page_site = d.page_host().and_then(|h| site_for(w, &h))?;
    (page_site == site && w.sites.contains_key(&site)).then_some((site, false))
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
    let incognito = is_incognito(d.tab_id, d.incognito).await;
    let main_frame = d.kind == "main_frame";
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
    let action = with(|w| {
        if incognito && !w.settings.record_incognito {
            return None;
        }
        let (site, main_frame) = observed_site(w, &d, &host)?;
        let cfg = w.settings.health_config();
        let record = w
            .sites
            .entry(site.clone())
            .or_insert_with(|| SiteRecord::new(&site, &host, now));
        record.observe(&host, ip, d.status_code, main_frame, now);
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
    let ip = ip.or_else(|| record.hosts.get(&host).and_then(|h| h.last_ip));
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
            resolved: browser_resolve(&host).await,
        };
        start_lookup(&host, hints);
    }
}

/// `onErrorOccurred`: a request failed. Main-frame and same-site failures feed the failure
/// detector; the user's own doing (navigating away, an ad blocker) is ignored by it.
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
    let record = with(|w| {
        let (site, main_frame) = observed_site(w, &d, &host)?;
        let obs = Observation::from_error(now, &error);
        if obs.verdict() == onebasket::health::Verdict::Ignore {
            return None;
        }
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

/// Stores a finished profile on its site and refreshes the badges of the tabs showing it.
async fn apply_profile(profile: SiteProfile) {
    let now = now();
    let record = with(|w| {
        let site = site_for(w, &profile.name)?;
        let record = w.sites.get_mut(&site)?;
        let failed = matches!(profile.resolution, Resolution::ResolverError(_));
        if failed {
            // The resolver being down says nothing about the site: keep what we knew.
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
        Some(record.clone())
    })
    .flatten();
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
        "checks" => crate::checks::round(false).await,
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
        let moved = w.settings.feed_base != settings.feed_base;
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
    let facts: Vec<SiteFacts> = w.sites.values().map(SiteFacts::from_record).collect();
    let rules = w.engine.classifier().rules();
    let names = |id: &str| {
        rules
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    onebasket::health::correlate(&facts, 2, onebasket::health::DEFAULT_ALPHA, &names)
}

fn overview(w: &Worker) -> Overview {
    let mut sites: Vec<SiteSummary> = w.sites.values().map(SiteSummary::from).collect();
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
        incidents: w
            .incidents
            .values()
            .flat_map(|s| s.incidents.iter().cloned())
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
        keys
    })
    .unwrap_or_default();
    // Also whatever a previous worker stored that this one did not load.
    let mut all = keys;
    if let Ok(entries) = store::entries(store::SITE_PREFIX).await {
        all.extend(entries.into_iter().map(|(k, _)| k));
    }
    all.push("pending".to_owned());
    match store::remove(&all).await {
        Ok(()) => {
            badge::clear_all().await;
            Response::Done
        }
        Err(message) => Response::Error { message },
    }
}
