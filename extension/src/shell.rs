//! The worker's one state, and the performing of what the tracker decided.
//!
//! Every handler calls the tracker synchronously ([`Shell::with`]: never across an await), then
//! [`perform`]s the effects it queued. Effects are performed in order; a storage write reads the
//! record at the moment it is issued, so the last write of a key always carries its newest
//! state, whichever handler's `perform` issued it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use onebasket::engine::BrowserResolution;
use onebasket::tracker::{Effect, Tracker};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::spawn_local;

use crate::bindings::{self, now};
use crate::events::{ALARM_CHECKS, ALARM_STATUS};
use crate::{badge, doh, feeds, store};

/// The worker's state: the tracker, the one timer it asked for, and what it knows of its
/// one-shot alarms.
pub(crate) struct Shell {
    tracker: RefCell<Tracker>,
    /// When the armed timer fires, if one is armed.
    timer_at: Cell<Option<u64>>,
    /// Each of [`SCHEDULED`]'s alarms as this worker last set or listed it.
    scheduled: [Cell<Alarm>; 2],
}

/// A tracker's answer to "when is this work next due?" (`None`: there is none).
type NextAt = fn(&Tracker, u64) -> Option<u64>;

/// The one-shot alarms, each set for when the tracker says its work is next due and cleared
/// when there is none, so the browser starts a stopped worker only when there is something to
/// do: the next round of active checks, the next status page to read.
static SCHEDULED: [(&str, NextAt); 2] = [
    (ALARM_CHECKS, Tracker::next_checks_at),
    (ALARM_STATUS, Tracker::next_status_poll_at),
];

/// What the worker knows of one of [`SCHEDULED`]'s alarms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alarm {
    /// Not listed yet: a start, until `startup` has read the alarms the browser kept.
    Unknown,
    /// None pending.
    Clear,
    /// Pending, due at this time (ms since the epoch).
    At(u64),
    /// Maybe pending, at a time that no longer matters: set anew (or cleared) at the next
    /// [`arm_alarms`]. What a handler leaves once its work is done, replacing the fallback it
    /// set before the work (`events::on_alarm`).
    Stale,
}

/// The soonest an alarm is set: a round of checks at most once a minute, as the periodic
/// alarm it replaced ran them (Chrome puts off alarms sooner than 30 s to 30 s).
const ALARM_MIN_MS: u64 = 60_000;

impl Shell {
    /// A shell around a restored tracker.
    pub(crate) fn new(tracker: Tracker) -> Rc<Self> {
        Rc::new(Self {
            tracker: RefCell::new(tracker),
            timer_at: Cell::new(None),
            scheduled: [Cell::new(Alarm::Unknown), Cell::new(Alarm::Unknown)],
        })
    }

    /// Runs `f` on the tracker. Never held across an await.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut Tracker) -> R) -> R {
        f(&mut self.tracker.borrow_mut())
    }

    /// Records what the browser said of the alarm `name`, one of [`Shell::scheduled_names`] (at
    /// a start, or when it fired, which spends a one-shot alarm).
    pub(crate) fn alarm_is(&self, name: &str, known: Alarm) {
        if let Some(i) = SCHEDULED.iter().position(|(n, _)| *n == name) {
            self.scheduled[i].set(known);
        }
    }

    /// The names of the one-shot alarms the worker sets.
    pub(crate) fn scheduled_names() -> impl Iterator<Item = &'static str> {
        SCHEDULED.iter().map(|(n, _)| *n)
    }
}

/// Performs every effect queued, then arms the tracker's timer.
pub(crate) async fn perform(shell: &Rc<Shell>) {
    while let Some(effect) = shell.with(Tracker::poll_effect) {
        match effect {
            Effect::Query { resolver, query } => {
                let shell = shell.clone();
                spawn_local(async move {
                    // The tracker keeps a failure's words as the look-up's evidence.
                    let answer = doh::query(&resolver, &query)
                        .await
                        .map_err(|e| e.to_string());
                    shell.with(|t| t.answer(query.id, answer, now()));
                    Box::pin(perform(&shell)).await;
                });
            }
            Effect::BrowserResolve { host, mut hints } => {
                let shell = shell.clone();
                spawn_local(async move {
                    hints.resolved = browser_resolve(&host).await;
                    shell.with(|t| t.browser_resolved(&host, hints, now()));
                    Box::pin(perform(&shell)).await;
                });
            }
            Effect::SaveSite(site) => {
                if let Some(record) = shell.with(|t| t.site(&site).cloned()) {
                    store::save_site(&record).await;
                }
            }
            Effect::SaveHost(host) => {
                if let Some(evidence) = shell.with(|t| t.host_evidence(&host).cloned()) {
                    store::save_host(&evidence).await;
                }
            }
            Effect::SavePending => {
                let pending = shell.with(|t| t.pending());
                store::save(store::PENDING, &pending).await;
            }
            Effect::RemoveSites(sites) => {
                let keys: Vec<String> = sites.iter().map(|s| store::site_key(s)).collect();
                store::discard(&keys).await;
            }
            Effect::RemoveHosts(hosts) => {
                let keys: Vec<String> = hosts.iter().map(|h| store::host_key(h)).collect();
                store::discard(&keys).await;
            }
            Effect::SaveFeedStatus => {
                let status = shell.with(|t| t.feed_status().clone());
                store::save(store::FEED_STATUS, &status).await;
            }
            Effect::SaveProviderStatus => {
                let memory = shell.with(|t| t.provider_status().clone());
                store::save(store::PROVIDER_STATUS, &memory).await;
            }
            Effect::RemoveProviderStatus => {
                store::discard(&[store::PROVIDER_STATUS.to_owned()]).await;
            }
            Effect::Badge { tab, badge } => badge::apply(tab, &badge).await,
            Effect::PagesChanged => bindings::tell_pages(onebasket::protocol::CHANGED),
            Effect::RefreshFeeds => spawn_local(feeds::refresh(shell.clone())),
            Effect::Notify(c) => crate::checks::notify(&c).await,
            Effect::Log { warn, message } => {
                if warn {
                    bindings::warn(&message);
                } else {
                    bindings::info(&message);
                }
            }
        }
    }
    arm_timer(shell);
    // The alarms' next times go over every site: once after a burst of events (`js/background.js`).
    bindings::arm_alarms_soon();
}

/// Sets each of [`SCHEDULED`]'s alarms for the tracker's next time, or clears it when there is
/// none, so a worker is not started for nothing. An alarm is only ever moved sooner: one pending
/// sooner than needed fires, finds nothing due and sets the next (`events::on_alarm`), while
/// moving it later at every event would put off an overdue round for as long as events come.
pub(crate) fn arm_alarms(shell: &Rc<Shell>) {
    let now = now();
    for (&(name, next), known) in SCHEDULED.iter().zip(&shell.scheduled) {
        let pending = match known.get() {
            Alarm::Unknown => continue,
            // Long past: it fired unseen or was never set (a refused `create`), so none is
            // pending. Believed pending, it would keep every sooner alarm from being set.
            Alarm::At(p) if p.saturating_add(ALARM_MIN_MS) < now => Alarm::Clear,
            pending => pending,
        };
        let when = match shell.with(|t| next(t, now)) {
            Some(at) => at.max(now.saturating_add(ALARM_MIN_MS)),
            None if pending == Alarm::Clear => continue,
            None => {
                known.set(Alarm::Clear);
                bindings::set_alarm(name, None);
                continue;
            }
        };
        if matches!(pending, Alarm::At(p) if p <= when) {
            continue;
        }
        known.set(Alarm::At(when));
        bindings::set_alarm(name, Some(when as f64));
    }
}

/// Sets a timer for the tracker's next deadline, unless one that fires sooner is armed. A
/// worker stopped before it fires loses what it would have done: at most the dependency
/// counts of the last quarter second, and a "changed" message to pages that are reopened
/// anyway.
fn arm_timer(shell: &Rc<Shell>) {
    let Some(at) = shell.with(|t| t.poll_timeout()) else {
        return;
    };
    if shell.timer_at.get().is_some_and(|armed| armed <= at) {
        return;
    }
    shell.timer_at.set(Some(at));
    let shell = shell.clone();
    spawn_local(async move {
        let wait = at.saturating_sub(now());
        bindings::sleep(i32::try_from(wait).unwrap_or(i32::MAX)).await;
        if shell.timer_at.get() == Some(at) {
            shell.timer_at.set(None);
        }
        shell.with(|t| t.handle_timeout(now()));
        Box::pin(perform(&shell)).await;
    });
}

/// The browser's own answer for `host` (Firefox `dns.resolve`); `None` sends the address
/// look-ups to the DoH resolver.
async fn browser_resolve(host: &str) -> Option<BrowserResolution> {
    let flags = js_sys::Array::of1(&JsValue::from_str("canonical_name"));
    let record = match bindings::dns_resolve(host, &flags).await {
        Ok(r) => r,
        Err(e) => {
            bindings::warn(&format!(
                "OneBasket: dns.resolve({host}) failed: {e:?}; using DoH"
            ));
            return None;
        }
    };
    let addresses = js_sys::Reflect::get(&record, &"addresses".into())
        .ok()
        .map(|a| js_sys::Array::from(&a))
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_string()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let canonical_name = js_sys::Reflect::get(&record, &"canonicalName".into())
        .ok()
        .and_then(|v| v.as_string())
        .map(|c| c.trim_end_matches('.').to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    Some(BrowserResolution {
        addresses,
        canonical_name,
    })
}
