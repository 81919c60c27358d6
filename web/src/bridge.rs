//! The browser: the worker connection (the one context every page shares), tabs, downloads and
//! performance marks. Extension APIs are reached through `globalThis.browser ?? globalThis.chrome`
//! (Firefox's promise API first, as the worker's loader does) by reflection, so the glue needs no
//! JS snippets beside it.

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use onebasket::protocol::{packed, Request, Response};
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use yew::Callback;

/// Why a page got no answer it can show: the browser refused, the worker said no or answered
/// something this page does not read. The text is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BridgeError {
    /// No `browser` or `chrome` global: the page was not opened by the extension.
    #[error("not running as an extension page")]
    NotExtension,
    /// The browser has no such API (or the extension lacks its permission).
    #[error("{ns}.{method} is not available")]
    Unavailable {
        /// The API's namespace (`runtime`, `tabs`).
        ns: &'static str,
        /// The method.
        method: &'static str,
    },
    /// A browser call threw, or its promise rejected, in the browser's words.
    #[error("{0}")]
    Browser(String),
    /// The request could not be encoded as a message.
    #[error("{0}")]
    Encode(String),
    /// The worker answered nothing (not started, or stopped meanwhile).
    #[error("the background worker did not answer")]
    NoAnswer,
    /// A part of the worker's answer could not be read.
    #[error("unreadable answer ({part}): {reason}")]
    Unreadable {
        /// The field of the answer.
        part: &'static str,
        /// Why.
        reason: String,
    },
    /// An answer of a type this page does not read.
    #[error("unexpected answer type {0}")]
    UnexpectedType(String),
    /// An answer, but not one the request asks for.
    #[error("unexpected answer from the worker")]
    Unexpected,
    /// The worker refused ([`Response::Error`]), in its words.
    #[error("{0}")]
    Refused(String),
    /// The page has no document to save a file from.
    #[error("no document")]
    NoDocument,
}

/// Something that arrives from the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    /// Asked, not answered yet.
    Loading,
    /// Answered.
    Ready(T),
    /// The worker refused or did not answer.
    Failed(BridgeError),
}

impl<T> Load<Rc<T>> {
    /// The answer to a request (boxed in its message: views are large), as a load.
    pub fn of(answer: Result<Box<T>, BridgeError>) -> Self {
        match answer {
            Ok(v) => Self::Ready(Rc::from(v)),
            Err(e) => Self::Failed(e),
        }
    }
}

/// A view a page asks for again and again (a filter typed on, a sort, the worker's `changed`):
/// the answer to the latest request stands, an earlier one arriving late is dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Latest<T> {
    /// The view of the latest request answered.
    pub load: Load<Rc<T>>,
    /// The number of that request.
    answered: u32,
}

impl<T> Default for Latest<T> {
    fn default() -> Self {
        Self {
            load: Load::Loading,
            answered: 0,
        }
    }
}

impl<T> Latest<T> {
    /// Takes the answer to request `n` unless a later one is already in; true when taken.
    pub fn answer(&mut self, n: u32, answer: Result<Box<T>, BridgeError>) -> bool {
        if n < self.answered {
            return false;
        }
        self.answered = n;
        self.load = Load::of(answer);
        true
    }
}

/// A pending answer of the worker, as the value it sent (decoded by the [`Conn`] method asking).
pub type Answer = Pin<Box<dyn Future<Output = Result<JsValue, BridgeError>>>>;

/// The connection to the background worker, provided once at the root of each page.
///
/// The transport is a function so a page can be driven by something else than the extension
/// runtime (a preview, a test harness) without any component knowing.
#[derive(Clone)]
pub struct Conn {
    transport: Rc<dyn Fn(Request) -> Answer>,
}

impl PartialEq for Conn {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.transport, &other.transport)
    }
}

impl Conn {
    /// `runtime.sendMessage` to the extension's worker.
    pub fn extension() -> Self {
        Self {
            transport: Rc::new(|req| Box::pin(send(req))),
        }
    }

    /// Sends a request; the answer (or why there is none) goes to `done`. A
    /// [`Response::Error`] is turned into `Err` with the worker's text.
    pub fn request(&self, req: Request, done: Callback<Result<Response, BridgeError>>) {
        let answer = (self.transport)(req);
        yew::platform::spawn_local(async move {
            done.emit(answer.await.and_then(|a| refused(decode(&a)?)));
        });
    }

    /// The same, awaited.
    pub async fn ask(&self, req: Request) -> Result<Response, BridgeError> {
        refused(decode(&(self.transport)(req).await?)?)
    }
}

/// A [`Response::Error`] as `Err` with the worker's text.
fn refused(r: Response) -> Result<Response, BridgeError> {
    match r {
        Response::Error { message } => Err(BridgeError::Refused(message)),
        other => Ok(other),
    }
}

/// A thrown JS value, in its own words.
fn js_error(e: JsValue) -> BridgeError {
    if let Some(s) = e.as_string() {
        return BridgeError::Browser(s);
    }
    BridgeError::Browser(
        Reflect::get(&e, &JsValue::from_str("message"))
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "unknown error".to_owned()),
    )
}

/// `browser` (Firefox) or `chrome`.
fn api() -> Result<JsValue, BridgeError> {
    let global = js_sys::global();
    for name in ["browser", "chrome"] {
        if let Ok(v) = Reflect::get(&global, &JsValue::from_str(name)) {
            if v.is_object() {
                return Ok(v);
            }
        }
    }
    Err(BridgeError::NotExtension)
}

/// Calls `api.<ns>.<method>(...args)` and awaits its promise.
async fn call(
    ns: &'static str,
    method: &'static str,
    args: &[JsValue],
) -> Result<JsValue, BridgeError> {
    let api = api()?;
    let target = Reflect::get(&api, &JsValue::from_str(ns)).map_err(js_error)?;
    let f: Function = Reflect::get(&target, &JsValue::from_str(method))
        .map_err(js_error)?
        .dyn_into()
        .map_err(|_| BridgeError::Unavailable { ns, method })?;
    let args: Array = args.iter().collect();
    let value = f.apply(&target, &args).map_err(js_error)?;
    JsFuture::from(Promise::resolve(&value))
        .await
        .map_err(js_error)
}

/// Asks for an optional permission (`permissions.request`); true when granted. The request
/// is made before the returned future is first polled, so it stays inside the user's click.
pub fn request_permission(name: &str) -> impl Future<Output = bool> {
    let asked = (|| {
        let api = api().ok()?;
        let target = Reflect::get(&api, &JsValue::from_str("permissions")).ok()?;
        let f: Function = Reflect::get(&target, &JsValue::from_str("request"))
            .ok()?
            .dyn_into()
            .ok()?;
        let perms = Object::new();
        let list: Array = std::iter::once(JsValue::from_str(name)).collect();
        Reflect::set(&perms, &JsValue::from_str("permissions"), &list).ok()?;
        f.call1(&target, &perms).ok()
    })();
    async move {
        match asked {
            Some(p) => JsFuture::from(Promise::resolve(&p))
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
            None => false,
        }
    }
}

/// Plain JS objects (no `Map`s): the extension's messaging clones them structurally.
fn to_js<T: Serialize>(v: &T) -> Result<JsValue, BridgeError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| BridgeError::Encode(e.to_string()))
}

/// One request to the worker and its answer, still to be decoded (the worker's data is
/// external input: an unreadable answer is an error, never a panic).
pub async fn send(req: Request) -> Result<JsValue, BridgeError> {
    let msg = to_js(&req)?;
    let answer = call("runtime", "sendMessage", &[msg]).await?;
    if answer.is_undefined() || answer.is_null() {
        return Err(BridgeError::NoAnswer);
    }
    Ok(answer)
}

/// Reads a [`Response`] by its `type` tag, then only the payload it names.
///
/// Why not `from_value::<Response>`: serde reads an internally tagged enum by buffering the
/// whole value into its generic `Content` tree first, and that machinery, instantiated for
/// every type in the tree, was about a fifth of the page's wasm.
///
/// No page reads the whole overview any more (each asks for its own view). The popup asks for
/// its views packed ([`unpacked`]), so its build decodes no view from a JS object at all: there
/// the other pages' answers are unexpected.
fn decode(answer: &JsValue) -> Result<Response, BridgeError> {
    #[cfg(feature = "pages")]
    fn part<T: serde::de::DeserializeOwned>(
        v: &JsValue,
        name: &'static str,
    ) -> Result<T, BridgeError> {
        serde_wasm_bindgen::from_value(field(v, name)).map_err(|e| BridgeError::Unreadable {
            part: name,
            reason: e.to_string(),
        })
    }
    let tag = field(answer, "type").as_string().unwrap_or_default();
    Ok(match tag.as_str() {
        #[cfg(feature = "pages")]
        "dashboard" => Response::Dashboard {
            dashboard: part(answer, "dashboard")?,
        },
        #[cfg(feature = "pages")]
        "export" => Response::Export {
            format: part(answer, "format")?,
            text: part(answer, "text")?,
        },
        #[cfg(feature = "pages")]
        "options" => Response::Options {
            options: part(answer, "options")?,
        },
        #[cfg(feature = "pages")]
        "site" => Response::Site {
            site: part(answer, "site")?,
        },
        #[cfg(feature = "pages")]
        "settings" => Response::Settings {
            settings: part(answer, "settings")?,
        },
        #[cfg(feature = "pages")]
        "feeds" => Response::Feeds {
            feeds: part(answer, "feeds")?,
        },
        "packed" => Response::Packed {
            data: field(answer, "data")
                .as_string()
                .ok_or_else(|| BridgeError::Unreadable {
                    part: "data",
                    reason: "not text".to_owned(),
                })?,
        },
        "done" => Response::Done,
        "error" => Response::Error {
            message: field(answer, "message")
                .as_string()
                .unwrap_or_else(|| "the worker refused without saying why".to_owned()),
        },
        other => return Err(BridgeError::UnexpectedType(other.to_owned())),
    })
}

/// The view a request asked for `packed` ([`Response::Packed`]), read as `T`.
pub fn unpacked<T: serde::de::DeserializeOwned>(
    answer: Result<Response, BridgeError>,
) -> Result<Box<T>, BridgeError> {
    match answer? {
        Response::Packed { data } => {
            packed::unpack(&data)
                .map(Box::new)
                .map_err(|e| BridgeError::Unreadable {
                    part: "data",
                    reason: e.to_string(),
                })
        }
        _ => Err(BridgeError::Unexpected),
    }
}

fn field(obj: &JsValue, name: &str) -> JsValue {
    Reflect::get(obj, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn is_web(url: &str) -> bool {
    url.starts_with("http://") || url.starts_with("https://")
}

/// The URL of the tab the user is looking at.
///
/// Normally the active tab of the popup's window. When the popup page is itself a tab (opened
/// from the dashboard, pinned, or in tests), that active tab is the popup: then the web tab used
/// most recently (`lastAccessed`) stands in. Whether the page is in a tab is `tabs.getCurrent`'s
/// to say (undefined in a popup), not the active tab's URL: Chromium 148 gives an extension
/// without the `tabs` permission no URL for its own pages.
pub async fn active_tab_url() -> Option<String> {
    let in_a_tab = call("tabs", "getCurrent", &[])
        .await
        .is_ok_and(|tab| tab.is_object());
    if in_a_tab {
        let all: Array = call("tabs", "query", &[Object::new().into()])
            .await
            .ok()?
            .dyn_into()
            .ok()?;
        return all
            .iter()
            .filter_map(|t| {
                let u = field(&t, "url").as_string()?;
                let at = field(&t, "lastAccessed").as_f64().unwrap_or(0.0);
                is_web(&u).then_some((at, u))
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, u)| u);
    }
    let query = Object::new();
    let _ = Reflect::set(&query, &"active".into(), &JsValue::TRUE);
    let _ = Reflect::set(&query, &"currentWindow".into(), &JsValue::TRUE);
    let tabs: Array = call("tabs", "query", &[query.into()])
        .await
        .ok()?
        .dyn_into()
        .ok()?;
    field(&tabs.get(0), "url").as_string()
}

/// Opens one of the extension's pages in a new tab (a plain link would open it inside the
/// popup on some browsers), then closes the popup.
pub fn open_page(path: &'static str) {
    yew::platform::spawn_local(async move {
        let url = api().ok().and_then(|a| {
            let rt = field(&a, "runtime");
            let get: Function = field(&rt, "getURL").dyn_into().ok()?;
            get.call1(&rt, &path.into()).ok()?.as_string()
        });
        let Some(url) = url else { return };
        let props = Object::new();
        let _ = Reflect::set(&props, &"url".into(), &url.into());
        if call("tabs", "create", &[props.into()]).await.is_ok() {
            if let Some(w) = web_sys::window() {
                if w.location()
                    .pathname()
                    .is_ok_and(|p| p.ends_with("popup.html"))
                {
                    let _ = w.close();
                }
            }
        }
    });
}

/// Calls `done` whenever the worker says what the pages show changed (its
/// [`onebasket::protocol::CHANGED`] message); the returned function stops listening (a
/// `use_effect` cleanup).
pub fn on_changed(done: Callback<()>) -> impl FnOnce() {
    let listener = wasm_bindgen::closure::Closure::<dyn Fn(JsValue) -> JsValue>::new(
        move |message: JsValue| {
            if field(&message, "type").as_string().as_deref() == Some(onebasket::protocol::CHANGED)
            {
                done.emit(());
            }
            // Not an answer: requests of other pages to the worker pass this listener too.
            JsValue::UNDEFINED
        },
    );
    let on_message = api()
        .ok()
        .map(|a| field(&field(&a, "runtime"), "onMessage"))
        .filter(|e| e.is_object());
    let call = |target: &JsValue, method: &str, f: &JsValue| {
        if let Ok(m) = field(target, method).dyn_into::<Function>() {
            let _ = m.call1(target, f);
        }
    };
    if let Some(event) = &on_message {
        call(event, "addListener", listener.as_ref());
    }
    move || {
        if let Some(event) = &on_message {
            call(event, "removeListener", listener.as_ref());
        }
        drop(listener);
    }
}

/// `performance.mark(name)`, for the first-render figure.
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Milliseconds since the epoch.
pub fn now() -> u64 {
    // `Date.now()` is a non-negative integer below 2^53.
    js_sys::Date::now().max(0.0) as u64
}

/// Saves `text` as a file through a Blob and an object URL.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), BridgeError> {
    let err = js_error;
    let parts = Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts).map_err(err)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(err)?;
    let doc = web_sys::window()
        .and_then(|w| w.document())
        .ok_or(BridgeError::NoDocument)?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(err)?
        .dyn_into()
        .map_err(|_| BridgeError::Browser("not an anchor".to_owned()))?;
    a.set_href(&url);
    a.set_download(name);
    a.click();
    // Revoke once the download has started (revoking synchronously can cancel it in Firefox).
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(w) = web_sys::window() {
        let _ =
            w.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_answer_to_an_earlier_request_is_dropped() {
        let mut view = Latest::<u32>::default();
        assert!(view.answer(2, Ok(Box::new(20))));
        // Request 1's answer arrives after request 2's: the filter typed on since wins.
        assert!(!view.answer(1, Ok(Box::new(10))));
        assert_eq!(view.load, Load::Ready(Rc::new(20)));
        // A failed later request replaces the view: the page says the worker did not answer.
        assert!(view.answer(3, Err(BridgeError::NoAnswer)));
        assert_eq!(view.load, Load::Failed(BridgeError::NoAnswer));
    }
}
