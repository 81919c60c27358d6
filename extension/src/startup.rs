//! Start-up: read what storage holds (leniently: see [`migrate`]), restore the tracker, resume.
//!
//! The `schema` first; settings field by field (a damaged field takes its default alone, and
//! nothing is written back: a settings write racing this start must never be overwritten); the
//! table (damaged or of an unknown snapshot version → rebuilt from the per-feed snapshots; of an
//! older version still read → loaded and written again in the current one; nothing → empty and
//! a refresh); the sites (an older shape takes defaults for what it lacks, an
//! unreadable field is dropped alone, only what is no record at all is discarded); the hosts'
//! evidence (unreadable evidence is discarded: a look-up gathers it again). An absent, older or
//! unreadable schema is migrated (every record rewritten in the current shape, then the schema
//! written); a newer one is left as it is.

use std::cell::RefCell;
use std::rc::Rc;

use onebasket::classify::Classifier;
use onebasket::evidence::HostEvidence;
use onebasket::feeds::FeedSpec;
use onebasket::knowledge::FeedStatus;
use onebasket::protocol::{Request, Response};
use onebasket::rules::Rules;
use onebasket::settings::Settings;
use onebasket::site::SiteKeys;
use onebasket::site_record::SiteRecord;
use onebasket::table::PrefixTable;
use onebasket::tracker::{
    site_of_tab, Capabilities, OpenTab, ProviderStatusMemory, Stored, Tracker,
};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{self, now};
use crate::shell::{arm_alarms, perform, Alarm, Shell};
use crate::store::{self, StoreError};
use crate::{events, feeds, messages, migrate};

/// Why the worker did not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    /// The built-in rules do not load (a build defect the tests catch).
    #[error("provider rules: {0}")]
    Rules(#[from] onebasket::rules::RulesError),
    /// The built-in rules are no JSON the browser reads (a build defect the tests catch).
    #[error("provider rules: {0}")]
    RulesJson(String),
    /// The built-in rules' feeds do not read (a build defect the tests catch).
    #[error("provider rules: {0}")]
    Feeds(#[from] onebasket::knowledge::KnowledgeError),
    /// The sites could not be read at all: a worker that ran would store a new record over the
    /// one it could not read at the first visit. The next event starts a new worker, which
    /// tries again.
    #[error("the sites could not be read ({0}); not starting")]
    Sites(StoreError),
}

/// Where a start's time went, for the one line the worker logs when it is ready: the start
/// is paid on most popup opens and many navigations (a stopped worker is started again by the
/// next event), so its parts are worth seeing in every log.
pub(crate) struct Phases {
    /// `(phase, ms, bytes the wasm memory grew by)`, in order.
    parts: Vec<(&'static str, f64, u64)>,
    /// When the last phase ended (`performance.now()`, ms since the worker began).
    last: f64,
    /// The wasm memory's size when the last phase ended: a wasm heap never shrinks, so the
    /// phase that grows it is the one that sets the worker's footprint.
    memory: u64,
}

impl Phases {
    /// Phases after the two `background.js` measured: its script began `script_at` ms after
    /// the worker did, and the wasm module was ready at `wasm_at`.
    pub(crate) fn new(script_at: f64, wasm_at: f64) -> Self {
        let memory = crate::messages::memory_bytes();
        Self {
            parts: vec![
                ("script", script_at, 0),
                ("wasm", wasm_at - script_at, memory),
            ],
            last: wasm_at,
            memory,
        }
    }

    /// Ends the phase `name` now.
    pub(crate) fn mark(&mut self, name: &'static str) {
        let now = bindings::precise_now();
        let memory = crate::messages::memory_bytes();
        self.parts
            .push((name, now - self.last, memory.saturating_sub(self.memory)));
        self.last = now;
        self.memory = memory;
    }

    /// "started 41.2 ms after the worker began: wasm 12.0, rules 1.0, …; wasm memory 3.1 MiB,
    /// grown by wasm 1.1, table load 2.0" (the phases that grew it, in MiB).
    pub(crate) fn line(&self) -> String {
        const MIB: f64 = 1_048_576.0;
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|(name, ms, _)| format!("{name} {ms:.1}"))
            .collect();
        // Sizes of a few MiB: exact in f64.
        #[allow(clippy::cast_precision_loss)]
        let grown: Vec<String> = self
            .parts
            .iter()
            .filter(|(_, _, grew)| *grew > 0)
            .map(|(name, _, grew)| format!("{name} {:.1}", *grew as f64 / MIB))
            .collect();
        #[allow(clippy::cast_precision_loss)]
        let memory = self.memory as f64 / MIB;
        format!(
            "OneBasket: started {:.1} ms after the worker began: {}; wasm memory {memory:.1} MiB, grown by {}",
            self.last,
            parts.join(", "),
            grown.join(", ")
        )
    }
}

/// Restores the tracker from what `background.js` read while the wasm compiled: `stored`, the
/// records in `chrome.storage.local`, and `table`, the table snapshot's bytes in IndexedDB (each
/// a promise of `{value}` or `{error}`, handed over once the event that woke the worker is
/// known). The page request that woke the worker ([`FirstRequest`]) is answered first when it
/// asks for a tab's view, from that tab's site alone ([`FirstRead`]) and, when the table waited
/// for it, the table's records around that site's addresses; any other is left to
/// `background.js`, which hands it over once started.
pub(crate) async fn start(
    phases: &mut Phases,
    stored: JsValue,
    table: JsValue,
) -> Result<Rc<Shell>, StartError> {
    let rules = builtin_rules()?;
    let specs = onebasket::knowledge::feed_specs(&rules)?;
    phases.mark("rules");
    // Built while the reads are in flight; the table is set once loaded.
    let mut classifier = Classifier::new(PrefixTable::empty(), rules, SiteKeys::builtin());
    phases.mark("classifier");
    // The two reads are decoded each as soon as it arrives, whichever comes first: the decode
    // of one then fills the wait for the other. (Either may come first: the table is one
    // IndexedDB value of 0.8 MB, the records two reads of `chrome.storage.local` that grow with
    // the sites.) With a tab's view to answer first, the sites, the hosts and the table wait
    // for that answer.
    let shared = RefCell::new(&mut *phases);
    let (from_db, records) =
        futures_util::future::join(read_table(table, &shared), read_stored(stored, &shared)).await;
    let mut records = records?;
    let (loaded, schema) = (&records.loaded, records.schema);
    let (feed_status, status_unreadable) = load_feed_status(loaded);
    let mut base = Stored {
        settings: records.settings,
        sites: Vec::new(),
        hosts: Vec::new(),
        pending: load_pending(schema, loaded).await,
        feed_status,
        feeds_from: load_feed_source(loaded).await,
        provider_status: load_provider_status(loaded),
        refresh_interrupted: loaded.get(store::REFRESHING).as_bool().unwrap_or(false),
        table_complete: true,
    };
    phases.mark("other keys");
    let caps = Capabilities {
        browser_dns: bindings::has_browser_dns(),
    };
    // Only from the current layout: an older one is migrated with the rest, record by record.
    let mut first = records
        .early
        .take()
        .filter(|_| schema == migrate::Schema::Current)
        .and_then(|(request, reply)| {
            let read = FirstRead::of(&request, loaded, &base.settings, classifier.sites())?;
            Some((read, request, reply))
        });
    let from_db = match from_db {
        TableRead::Loaded(t) => Some(*t),
        TableRead::Waiting(bytes) => {
            if let Some((read, ..)) = &first {
                // A snapshot that does not load is said by the whole read below.
                if let Ok(around) = onebasket::tracker::table_for(&bytes, &read.hosts) {
                    classifier.set_table(around);
                    phases.mark("table around the tab");
                    classifier = answer_first(first.take(), &base, classifier, caps, phases);
                }
            }
            decode_table(&bytes, phases)
        }
        TableRead::Absent => None,
    };
    let (table, table_complete) = load_table(&specs, loaded, from_db, phases).await;
    base.table_complete = table_complete;
    classifier.set_table(table);
    classifier = answer_first(first, &base, classifier, caps, phases);
    let records = match records.decoded {
        Some(d) => d,
        None => decode_records(&records.loaded, schema, &mut |p| phases.mark(p)).await,
    };
    let stored = Stored {
        sites: records.sites,
        hosts: records.hosts,
        ..base
    };
    let tracker = Tracker::restore(stored, classifier, caps, now());
    phases.mark("restore");
    if status_unreadable && !schema.is_newer() {
        let status = tracker.feed_status().clone();
        store::save(store::FEED_STATUS, &status).await;
    }
    // The schema is written only once the data is in its layout: after a migration that
    // succeeded, and never over a newer one.
    if schema.needs_migration() && records.migrated {
        store::save(store::SCHEMA_KEY, &store::SCHEMA).await;
    }
    Ok(Shell::new(tracker))
}

/// Answers the first request, if any, with `classifier` ([`FirstRead::answer`]); gives the
/// classifier back.
fn answer_first(
    first: Option<(FirstRead, Request, FirstRequest)>,
    base: &Stored,
    classifier: Classifier,
    caps: Capabilities,
    phases: &mut Phases,
) -> Classifier {
    let Some((read, request, reply)) = first else {
        return classifier;
    };
    let (classifier, answer) = read.answer(&request, base, classifier, caps);
    if let Some(answer) = answer {
        reply.answer(&answer);
        phases.mark("first answer");
    }
    classifier
}

/// The built-in rules, read through the browser's `JSON.parse` ([`Rules::from_deserializer`]):
/// serde_json's reader would ship for them alone (18 KB of the worker's wasm), where
/// serde-wasm-bindgen reads every stored record anyway.
fn builtin_rules() -> Result<Rules, StartError> {
    let value = js_sys::JSON::parse(Rules::builtin_json())
        .map_err(|e| StartError::RulesJson(store::js_text(&e)))?;
    Ok(Rules::from_deserializer(
        serde_wasm_bindgen::Deserializer::from(value),
    )?)
}

/// Performs what the restore queued (interrupted look-ups and refreshes), lists the open tabs
/// ([`Tracker::open_tabs`]), ensures the alarms, and builds the table's index once the events
/// that woke the worker were answered.
pub(crate) async fn resume(shell: &Rc<Shell>) {
    perform(shell).await;
    let index = shell.clone();
    spawn_local(async move {
        // A timer: the queued events run first (they are chained on the start's promise).
        bindings::sleep(0).await;
        if !index.with(|t| t.classifier().table().is_indexed()) {
            let started = bindings::precise_now();
            index.with(Tracker::index_table);
            bindings::info(&format!(
                "OneBasket: table index built in {:.1} ms",
                bindings::precise_now() - started
            ));
        }
    });
    let recover = shell.clone();
    spawn_local(async move {
        // Listed at once, before any page had this worker's answer: a tab shows the page of a
        // visit a stop cut off only until its user moves on, and one who did so right after the
        // restart took the visit along when the tabs were listed 50 ms later (the chaos test
        // saw it). Handled once the listing arrives, a task after the events queued behind the
        // start had their first step: each marks its page seen before its first await
        // (`main_frame_started`), and those pages are left to their events, which carry what a
        // look-up should start with (the connected address, the headers).
        let tabs = open_tabs().await;
        recover.with(|t| t.open_tabs(&tabs, now()));
        perform(&recover).await;
    });
    // Not on the way to the first answer: an alarm missing for a few milliseconds fires no
    // later than one created at once would.
    spawn_local(ensure_alarms(shell.clone()));
}

/// What a start takes from `chrome.storage.local` before the table: the records, their layout's
/// schema, the settings, and (unless a tab's view is answered first) the sites and the hosts'
/// evidence; and the first page request, taken then.
struct Records {
    loaded: store::Loaded,
    schema: migrate::Schema,
    settings: Settings,
    decoded: Option<Decoded>,
    /// The first page request, when it asks for a tab's view.
    early: Option<(Request, FirstRequest)>,
}

/// The sites and the hosts' evidence, read ([`decode_records`]).
struct Decoded {
    sites: Vec<SiteRecord>,
    /// Whether the stored layout is now the current one ([`load_sites`]).
    migrated: bool,
    hosts: Vec<HostEvidence>,
}

/// Reads the records `background.js` asked for ([`Records`]), warning of a schema this version
/// does not write; then takes the first page request (taken this late, it has arrived: the
/// browser hands the event that woke the worker over once its script ran), and reads the sites
/// and hosts now unless it asks for a tab's view.
async fn read_stored(
    stored: JsValue,
    phases: &RefCell<&mut Phases>,
) -> Result<Records, StartError> {
    let loaded = store::Loaded::take(stored)
        .await
        .map_err(StartError::Sites)?;
    phases.borrow_mut().mark("storage read");
    let early = FirstRequest::take().and_then(|f| {
        let request = store::from_js::<Request>(f.request.clone()).ok()?;
        request.tab_url().is_some().then_some((request, f))
    });
    let schema = migrate::Schema::of(&loaded.get(store::SCHEMA_KEY));
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
    let settings = load_settings(&loaded);
    let decoded = match early {
        None => Some(decode_records(&loaded, schema, &mut |p| phases.borrow_mut().mark(p)).await),
        Some(_) => None,
    };
    Ok(Records {
        loaded,
        schema,
        settings,
        decoded,
        early,
    })
}

/// Every stored site and host's evidence ([`load_sites`], [`load_hosts`]), each phase ended
/// with `mark`.
async fn decode_records(
    loaded: &store::Loaded,
    schema: migrate::Schema,
    mark: &mut dyn FnMut(&'static str),
) -> Decoded {
    let [site_entries, host_entries] = loaded.entries([store::SITE_PREFIX, store::HOST_PREFIX]);
    let (sites, migrated) = load_sites(schema, site_entries).await;
    mark("sites");
    let hosts = load_hosts(schema, host_entries).await;
    mark("hosts");
    Decoded {
        sites,
        migrated,
        hosts,
    }
}

/// What a first answer to a tab's view reads (`onebasket::tracker::first`): that tab's site
/// record and the evidence of the hosts it uses.
struct FirstRead {
    record: Option<SiteRecord>,
    hosts: Vec<HostEvidence>,
}

impl FirstRead {
    /// What `request`, a tab's view, reads; `None` when the site's record is not readable as
    /// it is: it is then read leniently with the rest ([`load_sites`]) and the request answered
    /// after.
    fn of(
        request: &Request,
        loaded: &store::Loaded,
        settings: &Settings,
        keys: &SiteKeys,
    ) -> Option<Self> {
        let site = request
            .tab_url()
            .and_then(|url| site_of_tab(url, keys, settings));
        let value = site
            .as_deref()
            .map(|s| loaded.get(&store::site_key(s)))
            .filter(|v| !v.is_undefined());
        let record = match value.map(store::from_js::<SiteRecord>) {
            None => None,
            Some(Ok(r)) if site.as_ref() == Some(&r.site) => Some(r),
            Some(_) => return None,
        };
        let mut hosts = Vec::new();
        if let Some(r) = &record {
            let mut used: Vec<&str> = r.hosts_used().collect();
            used.sort_unstable();
            used.dedup();
            for h in used {
                // What `load_hosts` would discard is left out here too.
                match store::from_js::<HostEvidence>(loaded.get(&store::host_key(h))) {
                    Ok(ev) if ev.name == h => hosts.push(ev),
                    _ => {}
                }
            }
        }
        Some(Self { record, hosts })
    }

    /// The answer to `request` from a tracker restored from what was read alone, and the
    /// classifier given back; `None` when `request` is no tab's view.
    fn answer(
        self,
        request: &Request,
        base: &Stored,
        classifier: Classifier,
        caps: Capabilities,
    ) -> (Classifier, Option<Response>) {
        // What a tab's view reads (`onebasket::tracker::first`); the rest is left empty.
        let stored = Stored {
            settings: base.settings.clone(),
            sites: self.record.into_iter().collect(),
            hosts: self.hosts,
            pending: base.pending.clone(),
            ..Stored::default()
        };
        let now = now();
        let tracker = Tracker::restore(stored, classifier, caps, now);
        let answer = messages::tab_answer(&tracker, request, now).map(|a| {
            a.unwrap_or_else(|e| Response::Error {
                message: e.to_string(),
            })
        });
        (tracker.into_classifier(), answer)
    }
}

/// The page request that woke the worker, when it came before any other event:
/// `background.js` keeps it (`oneBasketFirst`) for the start, which takes it and answers it if
/// it is a tab's view ([`FirstRead`], [`answer_first`]); `background.js` hands over any other
/// once the start is done.
struct FirstRequest {
    /// The message, a `Request` if the page sent a valid one.
    request: JsValue,
}

impl FirstRequest {
    /// Whether the request `background.js` keeps asks for a tab's view (the popup opening).
    fn asks_for_a_tab() -> bool {
        store::from_js::<Request>(bindings::first_peek()).is_ok_and(|r| r.tab_url().is_some())
    }

    /// Takes the request `background.js` kept; `None` when there is none.
    fn take() -> Option<Self> {
        let request = bindings::first_take();
        (!request.is_undefined()).then_some(Self { request })
    }

    /// Sends `response` to the page that asked.
    fn answer(self, response: &Response) {
        let value = store::to_js(response).unwrap_or_else(|e| JsValue::from_str(&e.to_string()));
        bindings::first_respond(&value);
    }
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

/// The feed source the last completed refresh used; `None` when unknown (stored by an older
/// version, or never).
async fn load_feed_source(loaded: &store::Loaded) -> Option<Option<String>> {
    let value = loaded.get(store::FEED_SOURCE);
    if value.is_undefined() {
        return None;
    }
    let base = value
        .is_object()
        .then(|| js_sys::Reflect::get(&value, &store::FEED_BASE.into()).ok())
        .flatten();
    match base {
        Some(b) if b.is_null() => Some(None),
        Some(b) if b.is_string() => Some(b.as_string()),
        _ => {
            bindings::warn("OneBasket: stored feedSource unreadable; discarded");
            store::discard(&[store::FEED_SOURCE.to_owned()]).await;
            None
        }
    }
}

fn load_settings(loaded: &store::Loaded) -> Settings {
    let stored = loaded.get(store::SETTINGS);
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
fn load_feed_status(loaded: &store::Loaded) -> (FeedStatus, bool) {
    let stored = loaded.get(store::FEED_STATUS);
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

/// The combined snapshot IndexedDB holds.
enum TableRead {
    /// Loaded without its index, as soon as it arrived (boxed: the other variants are small).
    Loaded(Box<PrefixTable>),
    /// Not loaded yet: the page request that woke the worker asks for a tab's view, answered
    /// first from the table's records around that tab's addresses.
    Waiting(Vec<u8>),
    /// None, or none that loads (said in the log).
    Absent,
}

/// Reads the combined snapshot IndexedDB holds ([`TableRead`]).
async fn read_table(bytes: JsValue, phases: &RefCell<&mut Phases>) -> TableRead {
    match store::take_table(bytes).await {
        Ok(Some(bytes)) => {
            phases.borrow_mut().mark("table read");
            if FirstRequest::asks_for_a_tab() {
                return TableRead::Waiting(bytes);
            }
            if let Some(t) = decode_table(&bytes, &mut phases.borrow_mut()) {
                return TableRead::Loaded(Box::new(t));
            }
        }
        Ok(None) => {}
        Err(e) => bindings::warn(&format!("OneBasket: stored table discarded: {e}")),
    }
    TableRead::Absent
}

/// The table in `bytes`, loaded without its index (built once the events that woke the worker
/// were answered); `None` when it does not load (said in the log).
fn decode_table(bytes: &[u8], phases: &mut Phases) -> Option<PrefixTable> {
    match PrefixTable::from_snapshot_unindexed(bytes) {
        Ok(t) => {
            phases.mark("table load");
            if PrefixTable::is_older_snapshot(bytes) {
                // Written again, once, in the current layout: the next starts read it faster
                // (a tab's view from a few of its records).
                let snapshot = t.to_snapshot();
                spawn_local(async move {
                    store::save_table(&snapshot).await;
                });
                phases.mark("table rewritten");
            }
            Some(t)
        }
        // A newer version's snapshot, too: the table is derived from public feeds, and the
        // rebuild or the refresh replaces it.
        Err(e) => {
            bindings::warn(&format!("OneBasket: stored table discarded: {e}"));
            None
        }
    }
}

/// The table to start with: the one [`read_table`] loaded from IndexedDB, else the base64 one
/// under `table` an older version or a failed IndexedDB left (then moved to IndexedDB), else a
/// rebuild from the per-feed snapshots (written back as the combined snapshot), else an empty
/// table. The flag is false when the table is not known to hold every feed that was stored (a
/// per-feed snapshot was discarded): a refresh restores it.
async fn load_table(
    specs: &[FeedSpec],
    loaded: &store::Loaded,
    from_db: Option<PrefixTable>,
    phases: &mut Phases,
) -> (PrefixTable, bool) {
    let legacy = loaded.get(store::TABLE);
    if let Some(t) = from_db {
        if !legacy.is_undefined() {
            // A copy an older version left, or one written when IndexedDB failed: IndexedDB
            // holds the table now.
            store::discard(&[store::TABLE.to_owned()]).await;
        }
        return (t, true);
    }
    if !legacy.is_undefined() {
        let bytes = legacy.as_string().map(|text| store::decode_bytes(&text));
        match bytes {
            Some(Some(bytes)) => match PrefixTable::from_snapshot_unindexed(&bytes) {
                Ok(t) => {
                    phases.mark("table load (base64)");
                    store::save_table(&bytes).await;
                    return (t, true);
                }
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
        store::save_table(&table.to_snapshot()).await;
    }
    phases.mark("table rebuilt");
    (table, discarded == 0)
}

/// Every stored site, and whether the stored layout is now the current one. Records are read
/// leniently ([`migrate::site`]); one that needed it is rewritten, and so is every record when
/// the layout is older. What is no record at all is removed, unless a newer version wrote it.
async fn load_sites(
    schema: migrate::Schema,
    entries: Vec<(String, JsValue)>,
) -> (Vec<SiteRecord>, bool) {
    let now = now();
    let newer = schema.is_newer();
    let mut sites = Vec::with_capacity(entries.len());
    let mut broken = Vec::new();
    let mut rewrite = Vec::new();
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
        return (sites, false);
    }
    let removed = broken.is_empty() || store::discard(&broken).await;
    let rewritten = store::save_sites(&rewrite).await;
    (sites, removed && rewritten)
}

/// Every stored host's evidence. Unreadable evidence is discarded with a warning (unless a
/// newer version may have written it): it is only what a look-up observed, and the next
/// look-up of the host gathers it again.
async fn load_hosts(schema: migrate::Schema, entries: Vec<(String, JsValue)>) -> Vec<HostEvidence> {
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
        store::discard(&broken).await;
    }
    hosts
}

/// The look-ups a stop cut off.
async fn load_pending(schema: migrate::Schema, loaded: &store::Loaded) -> Vec<String> {
    let (pending, warnings) = migrate::pending(&loaded.get(store::PENDING));
    for w in &warnings {
        bindings::warn(&format!("OneBasket: {w}"));
    }
    if !warnings.is_empty() && !schema.is_newer() {
        store::save(store::PENDING, &pending).await;
    }
    pending
}

/// The stored [`ProviderStatusMemory`]; an unreadable one is discarded with a warning (the
/// next poll refills it).
fn load_provider_status(loaded: &store::Loaded) -> ProviderStatusMemory {
    let stored = loaded.get(store::PROVIDER_STATUS);
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

/// Creates the periodic alarms that do not exist (one read of them all) and tells the shell
/// which of its one-shot alarms are pending, which it then sets for when their work is next
/// due. One of those found periodic (set by a version before they were scheduled) is cleared.
async fn ensure_alarms(shell: Rc<Shell>) {
    let listed = bindings::alarms_get_all()
        .await
        .map(|list| js_sys::Array::from(&list).to_vec())
        .unwrap_or_default();
    let field = |alarm: &JsValue, name: &str| js_sys::Reflect::get(alarm, &name.into()).ok();
    let named = |name: &str| {
        listed
            .iter()
            .find(|a| field(a, "name").and_then(|n| n.as_string()).as_deref() == Some(name))
    };
    for (name, minutes) in events::ALARMS {
        if named(name).is_none() {
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
    for name in Shell::scheduled_names() {
        let alarm = named(name);
        let periodic = alarm
            .is_some_and(|a| field(a, "periodInMinutes").is_some_and(|p| p.as_f64().is_some()));
        if periodic {
            bindings::set_alarm(name, None);
        }
        let at = alarm
            .filter(|_| !periodic)
            .and_then(|a| field(a, "scheduledTime")?.as_f64());
        shell.alarm_is(
            name,
            match at {
                Some(t) => Alarm::At(t as u64),
                None => Alarm::Clear,
            },
        );
    }
    arm_alarms(&shell);
}
