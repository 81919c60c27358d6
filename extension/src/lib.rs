//! OneBasket's Manifest V3 background worker, compiled to wasm.
//!
//! Lifecycle (the browser stops an idle worker after ~30 s and starts it again for the next
//! event, so every step below runs many times a day):
//! 1. `js/background.js` registers every listener synchronously and queues events until
//!    [`start`] resolves.
//! 2. [`start`] reads storage ([`startup`]), restores the sans-IO tracker
//!    (`onebasket::tracker::Tracker`) and performs what it queued (look-ups a stop cut off, a
//!    feed refresh); it lists the open tabs before any event is handed over, and once the
//!    listing arrives the visits a stop cut off are recovered from it (a tab still loading
//!    then, when it is done). A page that woke the worker asking for one
//!    tab's view (the popup opening) is answered before the other sites and the whole table
//!    are read, from that tab's site and the table's records around its addresses alone
//!    ([`startup`]'s `FirstRead`).
//! 3. Each event is decoded ([`events`], [`messages`]), handed to the tracker with `now`, and the
//!    effects it queued are performed ([`shell::perform`]: storage writes, DoH queries, badges,
//!    a "changed" message to the open pages).
//! 4. Feed refreshes ([`feeds`]), active checks and status pages ([`checks`]) do their I/O here
//!    and hand the results back; a new table makes every stored verdict follow at once. The
//!    downloads are parsed by a second wasm module ([`parsers`]) that only a refresh or a
//!    status poll compiles.
//! 5. What wakes a stopped worker besides the user's own browsing: the daily feed and hourly
//!    retention alarms, and two one-shot alarms set for when their work is next due (the next
//!    round of checks, the next status page: [`shell::arm_alarms`]) and cleared when there is
//!    none, so an idle browser's worker stays stopped.
//!
//! The tracker lives in one `Rc<Shell>`, held here and passed down to each handler: no module
//! reaches back into a global.

mod badge;
mod bindings;
mod checks;
mod doh;
mod events;
mod feeds;
mod messages;
mod migrate;
mod parsers;
mod shell;
mod startup;
mod store;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use crate::shell::Shell;

thread_local! {
    /// The worker's one state, once started.
    static SHELL: RefCell<Option<Rc<Shell>>> = const { RefCell::new(None) };
}

/// The started worker; `None` before [`start`] resolved (events are queued until then) or when
/// it could not start.
fn shell() -> Option<Rc<Shell>> {
    SHELL.with(|s| s.borrow().clone())
}

/// Loads state and resumes interrupted work; events are handed over only after this resolves.
/// `script_at` and `wasm_at` are when `background.js` began and when the module was ready
/// (`performance.now()`), for the start-up line in the log; `stored` and `table` are the reads
/// it started meanwhile (see [`startup::start`]).
#[wasm_bindgen]
pub async fn start(
    script_at: f64,
    wasm_at: f64,
    stored: JsValue,
    table: JsValue,
) -> Result<(), JsValue> {
    let mut phases = startup::Phases::new(script_at, wasm_at);
    let shell = startup::start(&mut phases, stored, table)
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))?;
    SHELL.with(|s| *s.borrow_mut() = Some(shell.clone()));
    startup::resume(&shell).await;
    phases.mark("resume");
    bindings::info(&phases.line());
    Ok(())
}

/// `webRequest.onResponseStarted`.
#[wasm_bindgen]
pub fn on_response(details: JsValue) {
    if let Some(s) = shell() {
        spawn_local(events::on_request(s, details, false));
    }
}

/// `webRequest.onErrorOccurred`.
#[wasm_bindgen]
pub fn on_request_error(details: JsValue) {
    if let Some(s) = shell() {
        spawn_local(events::on_request(s, details, true));
    }
}

/// `tabs.onUpdated` (with the tab's URL once it is known): whether it is done loading, and
/// whether it is incognito (`None` when the event did not say).
#[wasm_bindgen]
pub fn on_tab_updated(tab_id: i32, url: Option<String>, complete: bool, incognito: Option<bool>) {
    if let Some(s) = shell() {
        spawn_local(events::on_tab_updated(s, tab_id, url, complete, incognito));
    }
}

/// `tabs.onRemoved`.
#[wasm_bindgen]
pub fn on_tab_removed(tab_id: i32) {
    if let Some(s) = shell() {
        s.with(|t| t.tab_closed(tab_id));
    }
}

/// `alarms.onAlarm`.
#[wasm_bindgen]
pub fn on_alarm(name: String) {
    if let Some(s) = shell() {
        spawn_local(events::on_alarm(s, name));
    }
}

/// Moves the one-shot alarms to when their work is next due (`js/background.js` calls it
/// shortly after the events that may have changed it).
#[wasm_bindgen]
pub fn arm_alarms() {
    if let Some(s) = shell() {
        shell::arm_alarms(&s);
    }
}

/// `runtime.onInstalled`: fetch the feeds at once.
#[wasm_bindgen]
pub fn on_installed() {
    if let Some(s) = shell() {
        spawn_local(feeds::refresh(s));
    }
}

/// `storage.onChanged` for the `settings` key.
#[wasm_bindgen]
pub fn on_settings_changed(new_value: JsValue) {
    if let Some(s) = shell() {
        spawn_local(events::on_settings_changed(s, new_value));
    }
}

/// `runtime.onMessage` from the extension's own pages: a `Request`, answered with a `Response`.
#[wasm_bindgen]
pub async fn on_message(message: JsValue) -> JsValue {
    let response = match shell() {
        Some(s) => messages::on_message(s, message).await,
        None => messages::not_started(),
    };
    store::to_js(&response).unwrap_or_else(|e| JsValue::from_str(&e.to_string()))
}
