//! Showing a badge: what it says is the tracker's (`Tracker::badge`); this module only sets it.

use onebasket::tracker::{Badge, TabId};
use wasm_bindgen::JsValue;

use crate::bindings;

fn details(tab: TabId, key: &str, value: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"tabId".into(), &JsValue::from(tab));
    let _ = js_sys::Reflect::set(&o, &key.into(), &JsValue::from_str(value));
    o.into()
}

/// Applies a badge to one tab (errors, e.g. a tab closed meanwhile, are ignored). The four calls
/// are issued together before any is awaited, so two badges for one tab never interleave: the
/// later one wins whole.
pub(crate) async fn apply(tab: TabId, badge: &Badge) {
    let (text, color) = (
        details(tab, "text", &badge.text),
        details(tab, "color", &badge.color),
    );
    let (fg, title) = (
        details(tab, "color", "#FFFFFF"),
        details(tab, "title", &badge.title),
    );
    let _ = futures_util::future::join4(
        bindings::set_badge_text(&text),
        bindings::set_badge_background_color(&color),
        bindings::set_badge_text_color(&fg),
        bindings::set_title(&title),
    )
    .await;
}

/// Removes the badge of every tab (after "clear data"), the tracker's or not.
pub(crate) async fn clear_all() {
    let Ok(list) = bindings::tabs_query(&js_sys::Object::new().into()).await else {
        return;
    };
    for tab in js_sys::Array::from(&list).iter() {
        let id = js_sys::Reflect::get(&tab, &"id".into())
            .ok()
            .and_then(|v| v.as_f64());
        if let Some(id) = id {
            apply(id as TabId, &Badge::empty()).await;
        }
    }
}
