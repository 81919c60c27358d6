//! "Failing now" I/O: active checks of recently visited sites, provider status pages, and the
//! optional notification when failures concentrate. What is due, what a result means, backoff
//! and correlation are the core's (`onebasket::health`, `onebasket::status`, the tracker); this
//! module does the requests.

use std::rc::Rc;

use gloo_net::http::{Method, Request};
use onebasket::correlation::Correlation;
use onebasket::dns::{self, QueryType};
use onebasket::health::checks::{CheckOutcome, DnsCheck, HttpCheck};
use wasm_bindgen::JsValue;
use web_sys::{RequestCache, RequestCredentials};

use crate::bindings::{self, now};
use crate::doh;
use crate::feeds;
use crate::parsers;
use crate::shell::{perform, Shell};

/// How long the HTTP part of a check may take.
const HTTP_TIMEOUT_MS: u32 = 10_000;

/// Checks the sites that are due (or, when `force`, every recently visited site) and applies
/// the results; a round whose every check reached nothing means the user is offline.
pub(crate) async fn round(shell: &Rc<Shell>, force: bool) {
    // A forced round ("check now") waits for one under way, so every site it plans is checked
    // after the request; a scheduled round simply skips its turn.
    while force && shell.with(|t| t.checking()) {
        bindings::sleep(50).await;
    }
    let Some(plan) = shell.with(|t| t.plan_checks(force, now())) else {
        return;
    };
    let resolver = shell.with(|t| t.settings().resolver.clone());
    let checks = plan
        .iter()
        .map(|p| check_one(&resolver, &p.host, p.origin.as_deref()));
    let outcomes: Vec<CheckOutcome> = futures_util::future::join_all(checks).await;
    shell.with(|t| t.checks_done(&plan, &outcomes, now()));
    perform(shell).await;
}

/// One check: the DoH resolution of the main host, then a HEAD (GET when HEAD is refused) of
/// the main page's origin, without cookies.
async fn check_one(resolver: &str, host: &str, origin: Option<&str>) -> CheckOutcome {
    let dns = resolve(resolver, host).await;
    let http = match origin {
        Some(origin) if dns != DnsCheck::NoSuchName => Some(fetch_status(origin).await),
        _ => None,
    };
    CheckOutcome { dns, http }
}

async fn resolve(resolver: &str, host: &str) -> DnsCheck {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return DnsCheck::Skipped;
    }
    let Ok(wire) = dns::build_query(host, QueryType::A) else {
        return DnsCheck::Skipped;
    };
    let Ok(body) = doh::query_wire(resolver, &wire).await else {
        return DnsCheck::ResolverFailed;
    };
    match dns::parse_response(&body, host, QueryType::A) {
        Ok(resp) => DnsCheck::from_rcode(&resp.rcode),
        Err(_) => DnsCheck::ResolverFailed,
    }
}

async fn fetch_status(origin: &str) -> HttpCheck {
    let url = format!("{origin}/");
    let mut result = request(&url, Method::HEAD).await;
    if let HttpCheck::Status(s) = result {
        if onebasket::health::checks::needs_get_fallback(s) {
            result = request(&url, Method::GET).await;
        }
    }
    result
}

async fn request(url: &str, method: Method) -> HttpCheck {
    let signal = web_sys::AbortSignal::timeout_with_u32(HTTP_TIMEOUT_MS);
    let sent = Request::get(url)
        .method(method)
        .credentials(RequestCredentials::Omit)
        .cache(RequestCache::NoStore)
        .abort_signal(Some(&signal))
        .send()
        .await;
    match sent {
        Ok(resp) => HttpCheck::Status(resp.status()),
        Err(_) if signal.aborted() => HttpCheck::TimedOut,
        Err(_) => HttpCheck::Failed,
    }
}

/// Shows the notification for a new concentration of failures (the user turned them on).
pub(crate) async fn notify(c: &Correlation) {
    let options = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| {
        let _ = js_sys::Reflect::set(&options, &k.into(), v);
    };
    set("type", &"basic".into());
    set("title", &"OneBasket: failures on one provider".into());
    set("message", &c.message.as_str().into());
    set("iconUrl", &bindings::runtime_get_url("icon-128.png").into());
    if let Err(e) =
        bindings::notifications_create(&format!("onebasket-{}-{}", c.layer, c.key), &options).await
    {
        bindings::warn(&format!(
            "OneBasket: notification not shown ({e:?}); is the permission granted?"
        ));
    }
}

/// Reads the status pages the tracker says are due. A page that fails or does not parse
/// changes nothing.
pub(crate) async fn poll_status(shell: &Rc<Shell>) {
    let polls = shell.with(|t| t.plan_status(now()));
    // Each page counts as asked before it is downloaded: a worker stopped while a page hangs
    // does not ask it again at its next start (nor at every start after).
    perform(shell).await;
    for poll in polls {
        let body = match feeds::get(&poll.url, "omit", onebasket::status::MAX_STATUS_BYTES).await {
            Ok(body) => body,
            Err(e) => {
                bindings::warn(&format!(
                    "OneBasket: status page of {} unreachable ({e}); nothing changed",
                    poll.provider
                ));
                continue;
            }
        };
        match parsers::status(poll.format, &poll.provider, &body, now()).await {
            Ok(mut status) => {
                status.resolve_links(&poll.url);
                shell.with(|t| t.status_read(status, now()));
            }
            Err(e) => bindings::warn(&format!("OneBasket: {e}; nothing changed")),
        }
    }
    perform(shell).await;
}
