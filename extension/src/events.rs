//! Browser events, decoded and handed to the tracker: webRequest, tabs, alarms, settings.

use std::net::IpAddr;
use std::rc::Rc;

use onebasket::settings::Settings;
use onebasket::tracker::{OpenTab, Traffic, TrafficResult};
use serde::Deserialize;
use wasm_bindgen::JsValue;

use crate::bindings::{self, now};
use crate::shell::{arm_alarms, perform, Alarm, Shell};
use crate::{checks, feeds, store};

/// The alarm that refreshes the feeds.
pub(crate) const ALARM_FEEDS: &str = "feeds";
/// The alarm that forgets sites past the retention.
pub(crate) const ALARM_RETENTION: &str = "retention";
/// The alarm of the active checks.
pub(crate) const ALARM_CHECKS: &str = "checks";
/// The alarm that reads the status pages.
pub(crate) const ALARM_STATUS: &str = "status";
/// Every periodic alarm and its period in minutes (the first fires one period after it is
/// created). The `checks` and `status` alarms are one-shot, set for when their work is next due
/// ([`arm_alarms`]).
pub(crate) const ALARMS: [(&str, f64); 2] = [(ALARM_FEEDS, 1440.0), (ALARM_RETENTION, 60.0)];

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

fn no_tab() -> i32 {
    -1
}

/// `onResponseStarted` (`failed` false) or `onErrorOccurred` (`failed` true).
pub(crate) async fn on_request(shell: Rc<Shell>, details: JsValue, failed: bool) {
    let Ok(d) = store::from_js::<RequestDetails>(details) else {
        return;
    };
    // Requests outside tabs include the worker's own DoH and feed fetches: never observed.
    if d.tab_id < 0 {
        return;
    }
    if d.kind == "main_frame" {
        // Before the first await: the recovery after a start must know this page is handled.
        shell.with(|t| t.main_frame_started(&d.url));
    }
    let incognito = is_incognito(&shell, d.tab_id, d.incognito).await;
    let result = if failed {
        TrafficResult::Error(d.error.unwrap_or_else(|| "unknown error".to_owned()))
    } else {
        TrafficResult::Response {
            status: d.status_code,
            headers: d
                .response_headers
                .unwrap_or_default()
                .into_iter()
                .map(|h| (h.name, h.value.unwrap_or_default()))
                .collect(),
        }
    };
    let traffic = Traffic {
        tab: d.tab_id,
        url: d.url,
        kind: d.kind,
        page_url: d.document_url.or(d.initiator),
        incognito,
        ip: d
            .ip
            .as_deref()
            .and_then(|s| s.trim_matches(['[', ']']).parse::<IpAddr>().ok()),
        result,
    };
    shell.with(|t| t.on_traffic(traffic, now()));
    perform(&shell).await;
}

/// Whether a tab is incognito: as the event says (Firefox), as remembered, or as the browser
/// says when asked (Chrome's webRequest details do not say).
async fn is_incognito(shell: &Rc<Shell>, tab: i32, said: Option<bool>) -> bool {
    if let Some(s) = said {
        return s;
    }
    if let Some(known) = shell.with(|t| t.incognito_of(tab)) {
        return known;
    }
    let incognito = bindings::tabs_get(tab)
        .await
        .ok()
        .and_then(|t| js_sys::Reflect::get(&t, &"incognito".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    shell.with(|t| t.set_incognito(tab, incognito));
    incognito
}

/// `tabs.onUpdated`: re-applies the badge once a page has loaded (a navigation resets it); a
/// page done loading whose visit a stop cut off is recorded
/// ([`onebasket::tracker::Tracker::tab_loaded`]), unless nothing says whether its tab is
/// incognito.
pub(crate) async fn on_tab_updated(
    shell: Rc<Shell>,
    tab: i32,
    url: Option<String>,
    complete: bool,
    incognito: Option<bool>,
) {
    let Some(url) = url else {
        return;
    };
    shell.with(|t| {
        t.on_tab(tab, &url);
        if let Some(incognito) = incognito.filter(|_| complete) {
            t.tab_loaded(
                &OpenTab {
                    tab,
                    url,
                    incognito,
                    complete,
                },
                now(),
            );
        }
    });
    perform(&shell).await;
}

/// `alarms.onAlarm`.
pub(crate) async fn on_alarm(shell: Rc<Shell>, name: String) {
    match name.as_str() {
        ALARM_FEEDS => feeds::refresh(shell).await,
        ALARM_RETENTION => {
            // Also drops answers past their TTL, for a worker that no checks alarm wakes.
            shell.with(|t| {
                t.prune(now());
                t.expire(now());
            });
            perform(&shell).await;
        }
        ALARM_CHECKS => {
            // A one-shot alarm is spent once it fired: a fallback first, in case the worker is
            // stopped before the work is done (the sites still due: a minute from now).
            shell.alarm_is(ALARM_CHECKS, Alarm::Clear);
            arm_alarms(&shell);
            // Answers past their TTL would only be asked again: drop them to bound memory.
            shell.with(|t| t.expire(now()));
            checks::round(&shell, false).await;
            // The next alarm, in place of the fallback (also after a round that found nothing
            // due).
            shell.alarm_is(ALARM_CHECKS, Alarm::Stale);
            arm_alarms(&shell);
        }
        ALARM_STATUS => {
            shell.alarm_is(ALARM_STATUS, Alarm::Clear);
            arm_alarms(&shell);
            checks::poll_status(&shell).await;
            shell.alarm_is(ALARM_STATUS, Alarm::Stale);
            arm_alarms(&shell);
        }
        _ => {}
    }
}

/// `storage.onChanged` for `settings`: applies a change made anywhere (options page, another
/// window, a test) at once.
pub(crate) async fn on_settings_changed(shell: Rc<Shell>, new_value: JsValue) {
    let settings = match store::from_js::<Settings>(new_value) {
        Ok(s) => s,
        Err(e) => {
            bindings::warn(&format!(
                "OneBasket: ignored unreadable settings change: {e}"
            ));
            return;
        }
    };
    if let Err(e) = settings.validate() {
        bindings::warn(&format!("OneBasket: ignored invalid settings: {e}"));
        return;
    }
    shell.with(|t| t.settings_changed(settings, now()));
    perform(&shell).await;
}
