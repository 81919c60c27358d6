//! The per-tab badge: provider label and colour, `?` while unknown, and the one-line stack as
//! the tooltip.

use onebasket::protocol::{HealthState, SiteRecord};
use wasm_bindgen::JsValue;

use crate::bindings;
use crate::worker::with;

/// Grey for "not known (yet)".
const UNKNOWN_COLOR: &str = "#5F6368";
/// Red for a site that is down (the provider label stays).
pub const DOWN_COLOR: &str = "#B3261E";
/// Amber for a degraded site.
pub const DEGRADED_COLOR: &str = "#A15C00";

/// What a badge shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// At most four characters.
    pub text: String,
    /// Background colour, `#rrggbb`.
    pub color: String,
    /// Tooltip.
    pub title: String,
}

/// The badge for a site: its provider's label (or `?`), red when the site is down and amber
/// when it is degraded.
pub fn badge_for(record: &SiteRecord, looking_up: bool) -> Badge {
    let mut badge = provider_badge(record, looking_up);
    match record.status {
        HealthState::Down => {
            badge.color = DOWN_COLOR.to_owned();
            badge.title = format!("DOWN — {}", badge.title);
        }
        HealthState::Degraded => {
            badge.color = DEGRADED_COLOR.to_owned();
            badge.title = format!("DEGRADED — {}", badge.title);
        }
        HealthState::Up | HealthState::Unknown => {}
    }
    badge
}

/// The provider's label and colour, or `?` while looking up or unknown.
fn provider_badge(record: &SiteRecord, looking_up: bool) -> Badge {
    let unknown = |title: String| Badge {
        text: "?".to_owned(),
        color: UNKNOWN_COLOR.to_owned(),
        title,
    };
    let Some(profile) = &record.profile else {
        return unknown(format!("OneBasket: looking up {}…", record.main_host));
    };
    let found = with(|w| {
        let classifier = w.engine.classifier();
        let line = classifier.stack_line(profile);
        let provider = profile
            .badge_provider()
            .and_then(|id| classifier.rules().get(id))
            .cloned();
        (line, provider)
    });
    match found {
        Some((line, Some(p))) => Badge {
            text: p.badge,
            color: p.color,
            title: format!("OneBasket · {}: {line}", record.site),
        },
        Some((line, None)) if profile.resolution == onebasket::profile::Resolution::Ok => {
            unknown(format!("OneBasket · {}: {line}", record.site))
        }
        _ if looking_up => unknown(format!("OneBasket: looking up {}…", record.main_host)),
        _ => unknown(format!(
            "OneBasket · {}: not known yet ({})",
            record.site,
            describe(&profile.resolution)
        )),
    }
}

fn describe(r: &onebasket::profile::Resolution) -> String {
    use onebasket::profile::Resolution as R;
    match r {
        R::Ok => "resolved".to_owned(),
        R::NxDomain => "no such domain".to_owned(),
        R::ServFail => "the resolver failed".to_owned(),
        R::Refused => "the resolver refused".to_owned(),
        R::Truncated => "truncated answer".to_owned(),
        R::NoAddress => "no address".to_owned(),
        R::ResolverError(e) => format!("look-up failed: {e}"),
    }
}

fn details(tab_id: i32, key: &str, value: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"tabId".into(), &JsValue::from(tab_id));
    let _ = js_sys::Reflect::set(&o, &key.into(), &JsValue::from_str(value));
    o.into()
}

/// Applies a badge to one tab (errors, e.g. a tab closed meanwhile, are ignored). The four calls
/// are issued together before any is awaited, so two badges for one tab never interleave: the
/// later one wins whole.
pub async fn apply(tab_id: i32, badge: &Badge) {
    let (text, color) = (
        details(tab_id, "text", &badge.text),
        details(tab_id, "color", &badge.color),
    );
    let (fg, title) = (
        details(tab_id, "color", "#FFFFFF"),
        details(tab_id, "title", &badge.title),
    );
    let _ = futures_util::future::join4(
        bindings::set_badge_text(&text),
        bindings::set_badge_background_color(&color),
        bindings::set_badge_text_color(&fg),
        bindings::set_title(&title),
    )
    .await;
}

/// Shows a site's badge on one tab.
pub async fn show_for_tab(tab_id: i32, record: &SiteRecord, looking_up: bool) {
    apply(tab_id, &badge_for(record, looking_up)).await;
}

/// Shows a site's badge on every tab showing it.
pub async fn show_for_site(record: &SiteRecord) {
    let badge = badge_for(record, false);
    for (tab_id, url) in tabs().await {
        let matches = crate::worker::site_of_url(&url).is_some_and(|s| s == record.site);
        if matches {
            apply(tab_id, &badge).await;
        }
    }
}

/// Removes every badge (after "clear data").
pub async fn clear_all() {
    let empty = Badge {
        text: String::new(),
        color: UNKNOWN_COLOR.to_owned(),
        title: "OneBasket".to_owned(),
    };
    for (tab_id, _) in tabs().await {
        apply(tab_id, &empty).await;
    }
}

/// Every tab's id and URL.
async fn tabs() -> Vec<(i32, String)> {
    let Ok(list) = bindings::tabs_query(&js_sys::Object::new().into()).await else {
        return Vec::new();
    };
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|t| {
            let id = js_sys::Reflect::get(&t, &"id".into()).ok()?.as_f64()?;
            let url = js_sys::Reflect::get(&t, &"url".into()).ok()?.as_string()?;
            Some((id as i32, url))
        })
        .collect()
}
