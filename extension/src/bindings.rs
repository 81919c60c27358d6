//! Every call from Rust into the browser's extension APIs, in one place.
//!
//! Chrome and Firefox both expose the promise-based `chrome.*` namespace in MV3, so one set of
//! bindings serves both. Each call that can reject is `catch`, so a closed tab or a storage error
//! surfaces as `Err`, never as a trap.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `chrome.storage.local.get(keys)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
    pub async fn storage_get(keys: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.storage.local.set(items)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
    pub async fn storage_set(items: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.storage.local.remove(keys)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = remove, catch)]
    pub async fn storage_remove(keys: &JsValue) -> Result<JsValue, JsValue>;

    /// `oneBasketBytes.get(key)` (`js/reads.js`): what IndexedDB holds under `key`, a
    /// `Uint8Array` when it is bytes.
    #[wasm_bindgen(js_namespace = oneBasketBytes, js_name = get, catch)]
    pub async fn bytes_get(key: &str) -> Result<JsValue, JsValue>;
    /// `oneBasketBytes.put(key, bytes)`: stores a copy of `bytes` in IndexedDB.
    #[wasm_bindgen(js_namespace = oneBasketBytes, js_name = put, catch)]
    pub async fn bytes_put(key: &str, bytes: &[u8]) -> Result<JsValue, JsValue>;

    /// `oneBasketFirst.take()` (`js/background.js`): the page request that woke the worker,
    /// kept for the start; `undefined` when there is none.
    #[wasm_bindgen(js_namespace = oneBasketFirst, js_name = take)]
    pub fn first_take() -> JsValue;
    /// `oneBasketFirst.request`, left where it is: `undefined` when there is none (yet).
    #[wasm_bindgen(js_namespace = oneBasketFirst, js_name = peek)]
    pub fn first_peek() -> JsValue;
    /// `oneBasketFirst.respond(answer)`: answers it.
    #[wasm_bindgen(js_namespace = oneBasketFirst, js_name = respond)]
    pub fn first_respond(answer: &JsValue);

    /// `oneBasketParsers.feed(spec, bytes)` (`js/background.js`, the parsers' module): the
    /// downloaded feed as its one-feed table snapshot (`Uint8Array`); throws the parse error's
    /// text.
    #[wasm_bindgen(js_namespace = oneBasketParsers, js_name = feed, catch)]
    pub async fn parsers_feed(spec: &JsValue, bytes: &[u8]) -> Result<JsValue, JsValue>;
    /// `oneBasketParsers.status(format, provider, bytes, now)`: the status page as a
    /// `ProviderStatus`; throws the parse error's text.
    #[wasm_bindgen(js_namespace = oneBasketParsers, js_name = status, catch)]
    pub async fn parsers_status(
        format: &JsValue,
        provider: &str,
        bytes: &[u8],
        now: f64,
    ) -> Result<JsValue, JsValue>;

    /// `chrome.alarms.getAll()`.
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = getAll, catch)]
    pub async fn alarms_get_all() -> Result<JsValue, JsValue>;

    /// `chrome.action.setBadgeText(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeText, catch)]
    pub async fn set_badge_text(details: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.action.setBadgeBackgroundColor(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeBackgroundColor, catch)]
    pub async fn set_badge_background_color(details: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.action.setBadgeTextColor(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setBadgeTextColor, catch)]
    pub async fn set_badge_text_color(details: &JsValue) -> Result<JsValue, JsValue>;
    /// `chrome.action.setTitle(details)`.
    #[wasm_bindgen(js_namespace = ["chrome", "action"], js_name = setTitle, catch)]
    pub async fn set_title(details: &JsValue) -> Result<JsValue, JsValue>;

    /// `oneBasketGet(url, limit, timeoutMs, credentials, accept)` (`js/background.js`): the
    /// body of a GET, read no further than `limit` bytes and waited for at most `timeout_ms`
    /// (see [`get`]).
    #[wasm_bindgen(js_name = oneBasketGet, catch)]
    async fn bounded_get(
        url: &str,
        limit: u32,
        timeout_ms: u32,
        credentials: &str,
        accept: Option<&str>,
    ) -> Result<JsValue, JsValue>;

    /// `oneBasketAlarm(name, when)` (`js/background.js`): sets the one-shot alarm `name` to fire
    /// at `when` (ms since the epoch), or clears it when `when` is `None`; a refusal is logged.
    #[wasm_bindgen(js_name = oneBasketAlarm)]
    pub fn set_alarm(name: &str, when: Option<f64>);

    /// `oneBasketArmSoon()` (`js/background.js`): calls [`crate::arm_alarms`] two seconds from
    /// now, unless a call is due already.
    #[wasm_bindgen(js_name = oneBasketArmSoon)]
    pub fn arm_alarms_soon();

    /// `chrome.alarms.create(name, info)`.
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = create, catch)]
    pub async fn alarms_create(name: &str, info: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.tabs.get(tabId)`.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = get, catch)]
    pub async fn tabs_get(tab_id: i32) -> Result<JsValue, JsValue>;
    /// `chrome.tabs.query(queryInfo)`.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = query, catch)]
    pub async fn tabs_query(query: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.runtime.getURL(path)`: the extension's own origin, to ignore its own requests.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    pub fn runtime_get_url(path: &str) -> String;

    /// `chrome.runtime.sendMessage(message)`: to the extension's open pages.
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = sendMessage, catch)]
    pub async fn runtime_send_message(message: &JsValue) -> Result<JsValue, JsValue>;

    /// Firefox's `browser.dns.resolve(host, flags)`: the browser's own resolver.
    #[wasm_bindgen(js_namespace = ["browser", "dns"], js_name = resolve, catch)]
    pub async fn dns_resolve(host: &str, flags: &JsValue) -> Result<JsValue, JsValue>;

    /// `chrome.notifications.create(id, options)` (only with the optional permission).
    #[wasm_bindgen(js_namespace = ["chrome", "notifications"], js_name = create, catch)]
    pub async fn notifications_create(id: &str, options: &JsValue) -> Result<JsValue, JsValue>;

    /// `console.warn(message)` (the worker's log, visible in the extension's inspector).
    #[wasm_bindgen(js_namespace = console, js_name = warn)]
    pub fn warn(message: &str);
    /// `console.info(message)`.
    #[wasm_bindgen(js_namespace = console, js_name = info)]
    pub fn info(message: &str);
}

/// True where the browser has its own DNS API (Firefox with the `dns` permission).
pub(crate) fn has_browser_dns() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &"browser".into())
        .ok()
        .filter(|b| b.is_object())
        .and_then(|b| js_sys::Reflect::get(&b, &"dns".into()).ok())
        .is_some_and(|d| d.is_object())
}

/// Tells the extension's open pages `{type: kind}`. With no page open the browser rejects
/// ("receiving end does not exist"): nobody to tell, nothing to log.
pub(crate) fn tell_pages(kind: &str) {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"type".into(), &JsValue::from_str(kind));
    wasm_bindgen_futures::spawn_local(async move {
        let _ = runtime_send_message(&message).await;
    });
}

/// Resolves after `ms` milliseconds (`setTimeout`, which workers and pages both have).
pub(crate) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(f) => {
                let _ = f.call2(&global, &resolve, &JsValue::from(ms));
            }
            // No timer at all: resolve at once rather than never.
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// `performance.now()`: milliseconds with a fraction, for the worker's own timings in the log.
pub(crate) fn precise_now() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| {
            let now = js_sys::Reflect::get(&p, &"now".into()).ok()?;
            now.dyn_ref::<js_sys::Function>()?.call0(&p).ok()?.as_f64()
        })
        .unwrap_or_else(js_sys::Date::now)
}

/// Milliseconds since the epoch, the `now` the core takes.
pub(crate) fn now() -> u64 {
    // Date.now() is an integral number of milliseconds well inside f64's exact range.
    js_sys::Date::now() as u64
}

/// Why a [`get`] brought no body.
#[derive(Debug, thiserror::Error)]
pub(crate) enum GetError {
    /// The server answered this HTTP status, not a success.
    #[error("HTTP {0}")]
    Status(u16),
    /// No answer (unreachable, refused, timed out) or one longer than allowed: the browser's
    /// words.
    #[error("{0}")]
    Failed(String),
}

/// The body of a GET of `url`: at most `limit` bytes, within `timeout_ms` (a longer body or a
/// slower server is an error and is read no further, whatever the server sends).
/// `credentials` is the fetch's (`"omit"`, `"same-origin"`); `accept` its Accept header.
pub(crate) async fn get(
    url: &str,
    limit: u32,
    timeout_ms: u32,
    credentials: &str,
    accept: Option<&str>,
) -> Result<Vec<u8>, GetError> {
    match bounded_get(url, limit, timeout_ms, credentials, accept).await {
        Ok(body) => Ok(js_sys::Uint8Array::new(&body).to_vec()),
        Err(e) => match js_sys::Reflect::get(&e, &"status".into()).map(|s| s.as_f64()) {
            Ok(Some(status)) => Err(GetError::Status(status as u16)),
            _ => Err(GetError::Failed(
                error_words(&e).unwrap_or_else(|| format!("{e:?}")),
            )),
        },
    }
}

/// The words of a rejected browser call: a string, an `Error`'s message (whose fields JSON
/// does not show), else the value as JSON; `None` when it has none of these.
pub(crate) fn error_words(e: &JsValue) -> Option<String> {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
}
