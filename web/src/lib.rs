//! OneBasket's pages: the popup, the dashboard and the options page, in Yew.
//!
//! Each HTML page (`web/static/page.html`, filled in per page) loads `page.js`, which starts
//! this module with the page's name. The crate is built twice: without the `pages` feature for the popup
//! (`onebasket_popup_bg.wasm`, small because it opens on every click) and with it for the
//! dashboard and options page (`onebasket_web_bg.wasm`). The worker owns all state: pages send `onebasket::protocol::Request`s through the one
//! [`bridge::Conn`] context and render the `Response`s. Site-derived strings are only ever
//! text nodes and attribute values.

pub mod bridge;
#[cfg(feature = "pages")]
pub mod dashboard;
pub mod model;
#[cfg(feature = "pages")]
pub mod options;
pub mod popup;
pub mod providers;
pub mod ui;

use wasm_bindgen::prelude::*;
use yew::prelude::*;

/// Which page to render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// The toolbar popup: only in the popup's build (`popup.html` loads that one; in the
    /// pages' build it would be dead weight).
    #[cfg(not(feature = "pages"))]
    Popup,
    /// The full-tab dashboard.
    #[cfg(feature = "pages")]
    Dashboard,
    /// The options page.
    #[cfg(feature = "pages")]
    Options,
}

/// Props of [`App`].
#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The page.
    pub page: Page,
}

/// The root: provides the worker connection and renders one page.
#[function_component]
pub fn App(props: &AppProps) -> Html {
    let conn = use_memo((), |_| bridge::Conn::extension());
    let page = match props.page {
        #[cfg(not(feature = "pages"))]
        Page::Popup => html! { <popup::Popup /> },
        #[cfg(feature = "pages")]
        Page::Dashboard => html! { <dashboard::Dashboard /> },
        #[cfg(feature = "pages")]
        Page::Options => html! { <options::Options /> },
    };
    html! {
        <ContextProvider<bridge::Conn> context={(*conn).clone()}>{ page }</ContextProvider<bridge::Conn>>
    }
}

/// Renders `page` (`popup`, `dashboard` or `options`) into the element `#app`. Built without
/// the `pages` feature (the popup's own module), only `popup` exists.
#[wasm_bindgen]
pub fn start(page: &str) -> Result<(), JsValue> {
    let page = match page {
        #[cfg(not(feature = "pages"))]
        "popup" => Page::Popup,
        #[cfg(feature = "pages")]
        "dashboard" => Page::Dashboard,
        #[cfg(feature = "pages")]
        "options" => Page::Options,
        other => return Err(JsValue::from_str(&format!("unknown page {other}"))),
    };
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .ok_or_else(|| JsValue::from_str("no #app element"))?;
    yew::Renderer::<App>::with_root_and_props(root, AppProps { page }).render();
    Ok(())
}
