//! "Failing now" in the worker: active checks of recently visited sites, the offline verdict of
//! a round, provider status pages, and the optional notification when failures concentrate.
//! The decisions (what is due, what a result means, backoff, correlation) are the core's
//! (`onebasket::health`, `onebasket::status`); this module does the requests.

use gloo_net::http::{Method, Request};
use onebasket::dns::{self, QueryType, Rcode};
use onebasket::health::{is_offline, sites_due, CheckOutcome, DnsCheck, HttpCheck};
use onebasket::protocol::HealthState;
use onebasket::status::{next_poll, parse_status, StatusFormat};
use wasm_bindgen::JsValue;
use web_sys::{RequestCache, RequestCredentials};

use crate::bindings::{self, now};
use crate::worker::with;
use crate::{badge, doh, store};

/// How long the HTTP part of a check may take.
const HTTP_TIMEOUT_MS: u32 = 10_000;

/// One site to check.
struct Planned {
    site: String,
    host: String,
    origin: Option<String>,
}

/// Checks the sites that are due (or, when `force`, every recently visited site) and applies
/// the results; a round whose every check reached nothing means the user is offline.
pub async fn round(force: bool) {
    // A forced round ("check now") waits for one under way, so every site it plans is checked
    // after the request; a scheduled round simply skips its turn.
    while force && with(|w| w.checking).unwrap_or(false) {
        bindings::sleep(50).await;
    }
    let plan = with(|w| {
        if w.checking || (!force && !w.settings.active_checks) {
            return None;
        }
        let cfg = w.settings.health_config();
        let now = now();
        let due: Vec<String> = if force {
            w.sites
                .values()
                .filter(|r| now.saturating_sub(r.last_seen) <= cfg.recent_visit_ms)
                .map(|r| r.site.clone())
                .collect()
        } else {
            sites_due(
                w.sites
                    .iter()
                    .map(|(k, r)| (k.as_str(), &r.health, r.last_seen)),
                now,
                &cfg,
            )
        };
        if due.is_empty() {
            return None;
        }
        w.checking = true;
        let planned: Vec<Planned> = due
            .into_iter()
            .filter_map(|site| {
                let r = w.sites.get(&site)?;
                Some(Planned {
                    site,
                    host: r.main_host.clone(),
                    origin: r.origin.clone(),
                })
            })
            .collect();
        Some((planned, w.settings.resolver.clone()))
    })
    .flatten();
    let Some((planned, resolver)) = plan else {
        return;
    };
    let checks = planned
        .iter()
        .map(|p| check_one(&resolver, &p.host, p.origin.as_deref()));
    let outcomes: Vec<CheckOutcome> = futures_util::future::join_all(checks).await;
    let offline = is_offline(&outcomes);
    let now = now();
    let changed = with(|w| {
        let cfg = w.settings.health_config();
        w.offline = offline;
        w.checking = false;
        let mut changed = Vec::new();
        for (p, outcome) in planned.iter().zip(&outcomes) {
            if let Some(r) = w.sites.get_mut(&p.site) {
                let before = r.status;
                r.status = r.health.after_check(outcome, offline, now, &cfg);
                changed.push((r.clone(), before != r.status));
            }
        }
        changed
    })
    .unwrap_or_default();
    for (record, status_changed) in changed {
        let _ = store::put_site(&record).await;
        if status_changed {
            badge::show_for_site(&record).await;
        }
    }
    after_change().await;
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
        Ok(resp) => match resp.rcode {
            // A name with no A record may still have AAAA: only NXDOMAIN says "no such name".
            Rcode::NoError => DnsCheck::Resolved,
            Rcode::NxDomain => DnsCheck::NoSuchName,
            Rcode::ServFail => DnsCheck::ServFail,
            _ => DnsCheck::ResolverFailed,
        },
        Err(_) => DnsCheck::ResolverFailed,
    }
}

async fn fetch_status(origin: &str) -> HttpCheck {
    let url = format!("{origin}/");
    let mut result = request(&url, Method::HEAD).await;
    if let HttpCheck::Status(s) = result {
        if onebasket::health::needs_get_fallback(s) {
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

/// After health changed: notify once per new concentration of failures, if the user asked.
pub async fn after_change() {
    let new = with(|w| {
        let current = crate::worker::correlations(w);
        let keys: std::collections::BTreeSet<String> = current
            .iter()
            .map(|c| format!("{} {}", c.layer, c.key))
            .collect();
        let fresh: Vec<_> = current
            .into_iter()
            .filter(|c| !w.notified.contains(&format!("{} {}", c.layer, c.key)))
            .collect();
        w.notified = keys;
        if w.settings.notify_failures {
            fresh
        } else {
            Vec::new()
        }
    })
    .unwrap_or_default();
    for c in new {
        let options = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = js_sys::Reflect::set(&options, &k.into(), v);
        };
        set("type", &"basic".into());
        set("title", &"OneBasket: failures on one provider".into());
        set("message", &c.message.as_str().into());
        set("iconUrl", &bindings::runtime_get_url("icon-128.png").into());
        if let Err(e) =
            bindings::notifications_create(&format!("onebasket-{}-{}", c.layer, c.key), &options)
                .await
        {
            bindings::warn(&format!(
                "OneBasket: notification not shown ({e:?}); is the permission granted?"
            ));
        }
    }
}

/// Polls the status pages of the providers the user's sites use, when due (every 5 minutes
/// while a failure is open, otherwise hourly). A page that fails or does not parse changes
/// nothing.
pub async fn poll_status() {
    let now = now();
    let plan = with(|w| {
        let enabled = w.settings.status_feeds;
        let failing = w
            .sites
            .values()
            .any(|r| matches!(r.status, HealthState::Down | HealthState::Degraded));
        let used: std::collections::BTreeSet<String> = w
            .sites
            .values()
            .filter_map(|r| r.profile.as_ref())
            .flat_map(|p| {
                [
                    p.cloud.clone(),
                    p.hosting.provider.clone(),
                    p.edge.provider.clone(),
                    p.dns.provider.clone(),
                ]
            })
            .flatten()
            .collect();
        w.engine
            .classifier()
            .rules()
            .providers()
            .iter()
            .filter(|p| used.contains(&p.id))
            .filter_map(|p| {
                let source = p.status.as_ref()?;
                let format = StatusFormat::from_kind(source.kind)?;
                let due = next_poll(now, failing, enabled, w.status_polled.get(&p.id).copied())?;
                (due <= now).then(|| (p.id.clone(), source.url.clone(), format))
            })
            .collect::<Vec<_>>()
    })
    .unwrap_or_default();
    let polled = !plan.is_empty();
    for (provider, url, format) in plan {
        with(|w| w.status_polled.insert(provider.clone(), now));
        let body = match Request::get(&url)
            .credentials(RequestCredentials::Omit)
            .send()
            .await
        {
            Ok(resp) if resp.ok() => resp.binary().await.ok(),
            _ => None,
        };
        let Some(body) = body else {
            bindings::warn(&format!(
                "OneBasket: status page of {provider} unreachable; nothing changed"
            ));
            continue;
        };
        match parse_status(format, &provider, &body, now) {
            Ok(mut status) => {
                status.resolve_links(&url);
                with(|w| w.incidents.insert(provider.clone(), status));
            }
            Err(e) => bindings::warn(&format!("OneBasket: {e}; nothing changed")),
        }
    }
    if polled {
        save_provider_status().await;
    }
}

/// Stores the incidents and poll times (`providerStatus`), so a stopped worker keeps them.
async fn save_provider_status() {
    let memory = with(|w| crate::worker::ProviderStatusMemory {
        polled: w
            .status_polled
            .iter()
            .map(|(p, t)| (p.clone(), *t))
            .collect(),
        providers: w.incidents.clone(),
    });
    if let Some(memory) = memory {
        if let Err(e) = store::set("providerStatus", &memory).await {
            bindings::warn(&format!(
                "OneBasket: storing the provider status failed: {e}"
            ));
        }
    }
}
