//! OneBasket's Manifest V3 background worker, compiled to wasm.
//!
//! `js/background.js` registers every listener synchronously and hands events here once the
//! module is ready. The worker owns all state; pages talk to it through the typed protocol in
//! `onebasket::protocol`.

mod badge;
mod bindings;
mod checks;
mod doh;
mod feeds;
mod migrate;
mod store;
mod worker;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

/// Loads state and resumes interrupted work; events are handed over only after this resolves.
#[wasm_bindgen]
pub async fn start() -> Result<(), JsValue> {
    worker::start().await.map_err(|e| JsValue::from_str(&e))
}

/// `webRequest.onResponseStarted`.
#[wasm_bindgen]
pub fn on_response(details: JsValue) {
    spawn_local(worker::on_response(details));
}

/// `webRequest.onErrorOccurred`.
#[wasm_bindgen]
pub fn on_request_error(details: JsValue) {
    spawn_local(worker::on_request_error(details));
}

/// `tabs.onUpdated` (with the tab's URL once it is known).
#[wasm_bindgen]
pub fn on_tab_updated(tab_id: i32, url: Option<String>) {
    spawn_local(worker::on_tab_updated(tab_id, url));
}

/// `tabs.onRemoved`.
#[wasm_bindgen]
pub fn on_tab_removed(tab_id: i32) {
    worker::on_tab_removed(tab_id);
}

/// `alarms.onAlarm`.
#[wasm_bindgen]
pub fn on_alarm(name: String) {
    spawn_local(worker::on_alarm(name));
}

/// `runtime.onInstalled`: fetch the feeds at once.
#[wasm_bindgen]
pub fn on_installed() {
    spawn_local(feeds::refresh());
}

/// `storage.onChanged` for the `settings` key.
#[wasm_bindgen]
pub fn on_settings_changed(new_value: JsValue) {
    spawn_local(worker::on_settings_changed(new_value));
}

/// `runtime.onMessage` from the extension's own pages: a `Request`, answered with a `Response`.
#[wasm_bindgen]
pub async fn on_message(message: JsValue) -> JsValue {
    let response = worker::on_message(message).await;
    store::to_js(&response).unwrap_or_else(|e| JsValue::from_str(&e))
}
