//! The options page: resolver, feed mirror, ASN look-ups, incognito, retention; clearing the
//! data and refreshing the feeds.

use std::rc::Rc;

use onebasket::dns::DEFAULT_RESOLVER;
use onebasket::knowledge::{FeedAgeWarning, FeedStatus};
use onebasket::panel::OptionsView;
use onebasket::protocol::{Request, Response};
use onebasket::settings::{Settings, SettingsError};
use yew::prelude::*;

use crate::bridge::{self, BridgeError, Conn, Load};
use crate::model;

/// The resolvers offered by name (label, RFC 8484 URL).
pub const RESOLVERS: [(&str, &str); 3] = [
    ("Cloudflare", DEFAULT_RESOLVER),
    ("Google", "https://dns.google/dns-query"),
    ("Quad9", "https://dns.quad9.net/dns-query"),
];

/// The form, as typed (text fields stay text until saved).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form {
    /// Index into [`RESOLVERS`], or `None` for a custom URL.
    pub preset: Option<usize>,
    /// The custom resolver URL.
    pub custom: String,
    /// The feed mirror (`""` = the official URLs).
    pub feed_base: String,
    /// Team Cymru look-ups.
    pub asn_lookups: bool,
    /// Record incognito windows.
    pub record_incognito: bool,
    /// Retention, as typed.
    pub retention: String,
    /// Firefox: addresses from the browser's own resolver.
    pub resolve_with_browser: bool,
    /// Check recently visited sites now and then.
    pub active_checks: bool,
    /// Minutes between checks, as typed.
    pub check_interval: String,
    /// Poll the providers' status pages.
    pub status_feeds: bool,
    /// Notify when failures concentrate on one provider.
    pub notify_failures: bool,
}

impl Form {
    /// The form showing `s`.
    pub fn of(s: &Settings) -> Self {
        let preset = RESOLVERS.iter().position(|(_, url)| *url == s.resolver);
        Self {
            preset,
            custom: if preset.is_none() {
                s.resolver.clone()
            } else {
                String::new()
            },
            feed_base: s.feed_base.clone().unwrap_or_default(),
            asn_lookups: s.asn_lookups,
            record_incognito: s.record_incognito,
            retention: s.retention_days.to_string(),
            resolve_with_browser: s.resolve_with_browser,
            active_checks: s.active_checks,
            check_interval: s.check_interval_minutes.to_string(),
            status_feeds: s.status_feeds,
            notify_failures: s.notify_failures,
        }
    }

    /// The settings the form describes, checked with [`Settings::validate`].
    pub fn settings(&self) -> Result<Settings, FormError> {
        let resolver = match self.preset.and_then(|i| RESOLVERS.get(i)) {
            Some((_, url)) => (*url).to_owned(),
            None => self.custom.trim().to_owned(),
        };
        let feed_base = Some(self.feed_base.trim().to_owned()).filter(|b| !b.is_empty());
        let retention_days = self
            .retention
            .trim()
            .parse()
            .map_err(|_| FormError::NotWhole {
                field: "retentionDays",
                unit: "days",
            })?;
        let check_interval_minutes =
            self.check_interval
                .trim()
                .parse()
                .map_err(|_| FormError::NotWhole {
                    field: "checkIntervalMinutes",
                    unit: "minutes",
                })?;
        let s = Settings {
            resolver,
            feed_base,
            asn_lookups: self.asn_lookups,
            record_incognito: self.record_incognito,
            retention_days,
            resolve_with_browser: self.resolve_with_browser,
            active_checks: self.active_checks,
            check_interval_minutes,
            status_feeds: self.status_feeds,
            notify_failures: self.notify_failures,
        };
        s.validate()?;
        Ok(s)
    }
}

/// Why the form describes no settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// A number field holds something else than a whole number.
    #[error("{field} must be a whole number of {unit}")]
    NotWhole {
        /// The setting's name.
        field: &'static str,
        /// What it counts.
        unit: &'static str,
    },
    /// Settings [`Settings::validate`] refuses.
    #[error(transparent)]
    Invalid(#[from] SettingsError),
}

/// Why saving did not happen: the form, or the worker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SaveError {
    /// Refused here, before asking the worker.
    #[error(transparent)]
    Form(#[from] FormError),
    /// The worker refused or did not answer.
    #[error(transparent)]
    Worker(#[from] BridgeError),
}

/// A message beside a form action.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// It worked.
    Ok(String),
    /// It did not, and why.
    Err(String),
}

/// The options page's state.
#[derive(Clone)]
pub struct State {
    loaded: Load<()>,
    form: Form,
    saved: Option<Note>,
    sites: usize,
    feeds: FeedStatus,
    /// Feeds older than their provider's cadence allows (the worker's judgement).
    stale: Vec<FeedAgeWarning>,
    refreshing: bool,
    refreshed: Option<Note>,
    confirm_clear: bool,
    cleared: Option<Note>,
}

/// Everything that changes the options page.
pub enum Action {
    /// Settings, site count and feed state from the worker (the form is filled from the first
    /// answer only: a later one, after a refresh, leaves what the user typed alone).
    Loaded(Result<Box<OptionsView>, BridgeError>),
    /// A form edit.
    Edit(Box<dyn FnOnce(&mut Form)>),
    /// The outcome of saving.
    Saved(Result<Settings, SaveError>),
    /// A feed refresh began.
    Refreshing,
    /// The feed refresh ended.
    Refreshed(Result<FeedStatus, BridgeError>),
    /// Ask (true) or stop asking (false) to confirm clearing.
    Confirm(bool),
    /// The outcome of clearing.
    Cleared(Result<(), BridgeError>),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = Rc::unwrap_or_clone(self);
        match action {
            Action::Loaded(Ok(v)) => {
                if s.loaded != Load::Ready(()) {
                    s.form = Form::of(&v.settings);
                }
                s.loaded = Load::Ready(());
                s.sites = v.sites;
                s.feeds = v.feeds;
                s.stale = v.stale;
            }
            Action::Loaded(Err(e)) => s.loaded = Load::Failed(e),
            Action::Edit(f) => {
                f(&mut s.form);
                s.saved = None;
            }
            Action::Saved(Ok(settings)) => {
                s.form = Form::of(&settings);
                s.saved = Some(Note::Ok("Saved.".to_owned()));
            }
            Action::Saved(Err(e)) => s.saved = Some(Note::Err(e.to_string())),
            Action::Refreshing => {
                s.refreshing = true;
                s.refreshed = None;
            }
            Action::Refreshed(r) => {
                s.refreshing = false;
                s.refreshed = Some(match r {
                    Ok(f) => {
                        s.feeds = f;
                        Note::Ok("Feeds refreshed.".to_owned())
                    }
                    Err(e) => Note::Err(e.to_string()),
                });
            }
            Action::Confirm(c) => {
                s.confirm_clear = c;
                s.cleared = None;
            }
            Action::Cleared(r) => {
                s.confirm_clear = false;
                s.cleared = Some(match r {
                    Ok(()) => {
                        s.sites = 0;
                        Note::Ok("Every site was forgotten.".to_owned())
                    }
                    Err(e) => Note::Err(e.to_string()),
                });
            }
        }
        Rc::new(s)
    }
}

/// A labelled checkbox of the form.
fn checkbox(
    id: &'static str,
    checked: bool,
    onchange: Callback<Event>,
    text: &'static str,
) -> Html {
    html! {
        <label class="check">
            <input type="checkbox" {id} {checked} {onchange} />
            <span>{ text }</span>
        </label>
    }
}

fn note(n: &Option<Note>, id: &'static str) -> Html {
    match n {
        None => Html::default(),
        Some(Note::Ok(t)) => html! { <p class="ok" role="status" id={id}>{ t.clone() }</p> },
        Some(Note::Err(t)) => html! { <p class="error" role="alert" id={id}>{ t.clone() }</p> },
    }
}

/// The options page.
#[function_component]
pub fn Options() -> Html {
    let conn = use_context::<Conn>().unwrap_or_else(Conn::extension);
    let state = use_reducer(|| State {
        loaded: Load::Loading,
        form: Form::default(),
        saved: None,
        sites: 0,
        feeds: FeedStatus::default(),
        stale: Vec::new(),
        refreshing: false,
        refreshed: None,
        confirm_clear: false,
        cleared: None,
    });
    let load = {
        let (state, conn) = (state.clone(), conn.clone());
        Rc::new(move || {
            let state = state.clone();
            conn.request(
                Request::GetOptions,
                Callback::from(move |r: Result<Response, BridgeError>| {
                    state.dispatch(Action::Loaded(r.and_then(|r| match r {
                        Response::Options { options } => Ok(Box::new(options)),
                        _ => Err(BridgeError::Unexpected),
                    })))
                }),
            );
        })
    };
    {
        let load = load.clone();
        use_effect_with((), move |_| load());
    }

    if let Load::Failed(e) = &state.loaded {
        return shell(html! {
            <div class="banner banner-error" role="alert">{ format!("The background worker did not answer: {e}") }</div>
        });
    }
    if state.loaded == Load::Loading {
        return shell(html! { <p class="muted" role="status">{ "Loading…" }</p> });
    }

    let edit = |f: fn(&mut Form, String)| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let v = input.value();
            state.dispatch(Action::Edit(Box::new(move |form| f(form, v))));
        })
    };
    let check = |f: fn(&mut Form, bool)| {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let v = input.checked();
            state.dispatch(Action::Edit(Box::new(move |form| f(form, v))));
        })
    };
    let notify = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            let on = input.checked();
            state.dispatch(Action::Edit(Box::new(move |form| {
                form.notify_failures = on
            })));
            if on {
                // Asked here, inside the click, as browsers require; a refusal unticks the box.
                let state = state.clone();
                let asked = bridge::request_permission("notifications");
                yew::platform::spawn_local(async move {
                    if !asked.await {
                        state.dispatch(Action::Edit(Box::new(|form| form.notify_failures = false)));
                    }
                });
            }
        })
    };
    let onsubmit = {
        let state = state.clone();
        let conn = conn.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            // Checked here first so an invalid form never reaches the worker; the worker checks
            // again and its refusal is shown as it words it.
            match state.form.settings() {
                Err(e) => state.dispatch(Action::Saved(Err(e.into()))),
                Ok(settings) => {
                    let state = state.clone();
                    conn.request(
                        Request::SetSettings { settings },
                        Callback::from(move |r: Result<Response, BridgeError>| {
                            state.dispatch(Action::Saved(
                                r.and_then(|r| match r {
                                    Response::Settings { settings } => Ok(settings),
                                    _ => Err(BridgeError::Unexpected),
                                })
                                .map_err(SaveError::from),
                            ))
                        }),
                    );
                }
            }
        })
    };
    let refresh = {
        let state = state.clone();
        let conn = conn.clone();
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Refreshing);
            let state = state.clone();
            let load = load.clone();
            conn.request(
                Request::RefreshFeeds,
                Callback::from(move |r: Result<Response, BridgeError>| {
                    state.dispatch(Action::Refreshed(r.and_then(|r| match r {
                        Response::Feeds { feeds } => Ok(feeds),
                        _ => Err(BridgeError::Unexpected),
                    })));
                    // The feeds' ages changed: ask which are stale now.
                    load();
                }),
            );
        })
    };
    let clear = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let state = state.clone();
            conn.request(
                Request::ClearData,
                Callback::from(move |r: Result<Response, BridgeError>| {
                    state.dispatch(Action::Cleared(r.map(|_| ())))
                }),
            );
        })
    };
    let confirm = |v: bool| {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Confirm(v)))
    };

    let f = &state.form;
    let presets = RESOLVERS.iter().enumerate().map(|(i, (label, url))| {
        let state = state.clone();
        let onchange = Callback::from(move |_: Event| {
            state.dispatch(Action::Edit(Box::new(move |form| form.preset = Some(i))))
        });
        html! {
            <label class="radio">
                <input type="radio" name="resolver" value={*url} checked={f.preset == Some(i)} {onchange} />
                <span>{ *label }<span class="muted small">{ format!(" {url}") }</span></span>
            </label>
        }
    });
    let custom_on = {
        let state = state.clone();
        Callback::from(move |_: Event| {
            state.dispatch(Action::Edit(Box::new(|form| form.preset = None)))
        })
    };
    let now = bridge::now();
    let feeds = state.feeds.feeds.iter().map(|feed| {
        let stale = state.stale.iter().any(|w| w.file == feed.file);
        let age = feed
            .date
            .as_deref()
            .and_then(|d| model::days_old(d, now))
            .map(|n| format!(" ({n} d)"))
            .unwrap_or_default();
        html! {
            <tr class={classes!(stale.then_some("stale"))}>
                <th scope="row">{ feed.file.clone() }</th>
                <td>{ crate::providers::name(&feed.provider).to_owned() }</td>
                <td>{ format!("{}{age}", feed.date.clone().unwrap_or_else(|| "—".to_owned())) }</td>
                <td class="num">{ feed.records }</td>
            </tr>
        }
    });

    shell(html! {
        <>
            <form class="card" id="settings-form" onsubmit={onsubmit} novalidate=true aria-labelledby="set-h">
                <h2 id="set-h">{ "Look-ups" }</h2>
                <fieldset>
                    <legend>{ "DNS-over-HTTPS resolver" }</legend>
                    { for presets }
                    <label class="radio">
                        <input type="radio" name="resolver" value="custom" id="resolver-custom"
                               checked={f.preset.is_none()} onchange={custom_on} />
                        <span>{ "Custom" }</span>
                    </label>
                    <input type="url" id="custom-url" class="text" aria-label="Custom resolver URL"
                           placeholder="https://resolver.example/dns-query" disabled={f.preset.is_some()}
                           value={f.custom.clone()} oninput={edit(|f, v| f.custom = v)} />
                    <p class="muted small">{ "Must be https (plain http only on localhost / 127.0.0.1 / [::1])." }</p>
                </fieldset>
                <label class="field" for="feed-base">{ "IP-range feed mirror" }</label>
                <input type="url" id="feed-base" class="text" placeholder="empty: the providers' official URLs"
                       value={f.feed_base.clone()} oninput={edit(|f, v| f.feed_base = v)} />
                { checkbox("asn", f.asn_lookups, check(|f, v| f.asn_lookups = v), "Ask Team Cymru for each site's AS (through the same resolver)") }
                { checkbox("incognito", f.record_incognito, check(|f, v| f.record_incognito = v), "Record sites visited in incognito / private windows") }
                { checkbox("browser-dns", f.resolve_with_browser, check(|f, v| f.resolve_with_browser = v), "Resolve addresses with the browser (Firefox; NS and AS look-ups still use the resolver above)") }
                <label class="field" for="retention">{ "Forget sites not visited for (days)" }</label>
                <input type="number" id="retention" class="text short" min="1" max="3650"
                       value={f.retention.clone()} oninput={edit(|f, v| f.retention = v)} />
                <h2 id="fail-h">{ "Failing now" }</h2>
                { checkbox("active-checks", f.active_checks, check(|f, v| f.active_checks = v), "Check recently visited sites now and then (a DNS look-up and a HEAD request, without cookies)") }
                <label class="field" for="check-interval">{ "Minutes between checks" }</label>
                <input type="number" id="check-interval" class="text short" min="1" max="1440"
                       value={f.check_interval.clone()} oninput={edit(|f, v| f.check_interval = v)} />
                { checkbox("status-feeds", f.status_feeds, check(|f, v| f.status_feeds = v), "Read the status pages of the providers your sites use") }
                { checkbox("notify", f.notify_failures, notify, "Notify me when failures concentrate on one provider") }
                <div class="actions">
                    <button type="submit" class="btn primary" id="save">{ "Save" }</button>
                    { note(&state.saved, "save-note") }
                </div>
            </form>

            <section class="card" aria-labelledby="feeds-h">
                <h2 id="feeds-h">{ "IP-range feeds" }</h2>
                if state.feeds.feeds.is_empty() {
                    <p class="muted">{ "No IP-range data yet." }</p>
                } else {
                    <div class="table-wrap">
                        <table class="feeds-table" id="feeds-table">
                            <thead><tr>
                                <th scope="col">{ "File" }</th><th scope="col">{ "Provider" }</th>
                                <th scope="col">{ "Date" }</th><th scope="col">{ "Ranges" }</th>
                            </tr></thead>
                            <tbody>{ for feeds }</tbody>
                        </table>
                    </div>
                }
                if !state.stale.is_empty() {
                    <ul class="errors" id="feed-stale" aria-label="Feeds older than their provider's usual cadence">
                        { for state.stale.iter().map(|w| html! { <li>{ stale_text(w) }</li> }) }
                    </ul>
                }
                if let Some(at) = state.feeds.refreshed_at {
                    <p class="muted small">{ format!("Last refresh {} · {} ranges", model::ago(now, at), state.feeds.records) }</p>
                }
                if !state.feeds.errors.is_empty() {
                    <ul class="errors" id="feed-errors" aria-label="Feed problems (the previous data stays in use)">
                        { for state.feeds.errors.iter().map(|e| html! { <li>{ e.clone() }</li> }) }
                    </ul>
                }
                <div class="actions">
                    <button class="btn" id="refresh" onclick={refresh} disabled={state.refreshing}>
                        { if state.refreshing { "Refreshing…" } else { "Refresh feeds now" } }
                    </button>
                    { note(&state.refreshed, "refresh-note") }
                </div>
            </section>

            <section class="card" aria-labelledby="data-h">
                <h2 id="data-h">{ "Your data" }</h2>
                <p>{ format!("{} site{} remembered. Settings and IP-range data are kept when clearing.", state.sites, model::plural(state.sites)) }</p>
                <div class="actions">
                    if state.confirm_clear {
                        <span role="alert">{ format!("Forget all {} site{}?", state.sites, model::plural(state.sites)) }</span>
                        <button class="btn danger" id="clear-confirm" onclick={clear}>{ "Yes, forget them" }</button>
                        <button class="btn" id="clear-cancel" onclick={confirm(false)}>{ "Cancel" }</button>
                    } else {
                        <button class="btn danger" id="clear" onclick={confirm(true)}>{ "Clear all data…" }</button>
                    }
                    { note(&state.cleared, "clear-note") }
                </div>
            </section>
        </>
    })
}

fn shell(content: Html) -> Html {
    html! {
        <div class="page narrow">
            <header class="bar">
                <h1 class="brand">{ "OneBasket" }<span class="muted">{ " · settings" }</span></h1>
                <a class="link" href="dashboard.html">{ "Dashboard" }</a>
            </header>
            <main id="main">{ content }</main>
        </div>
    }
}

/// "ip-ranges.json (Amazon Web Services) is from 2026-08-02, 20 days old; it is usually
/// published every 1 day: the newest ranges may be missing."
pub fn stale_text(w: &FeedAgeWarning) -> String {
    format!(
        "{} ({}) is from {}, {} day{} old; it is usually published every {} day{}: the newest ranges may be missing.",
        w.file,
        crate::providers::name(&w.provider),
        w.date,
        w.age_days,
        model::plural(w.age_days as usize),
        w.cadence_days,
        model::plural(w.cadence_days as usize),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn form_round_trip_and_validation() {
        let s = Settings::default();
        let f = Form::of(&s);
        assert_eq!(f.preset, Some(0));
        assert_eq!(f.settings(), Ok(s.clone()));
        let mut f = Form {
            preset: None,
            custom: " http://dns.example/q ".into(),
            ..f
        };
        assert!(f
            .settings()
            .unwrap_err()
            .to_string()
            .contains("must be https"));
        f.custom = "http://127.0.0.1:8053/dns-query".into();
        assert!(f.settings().is_ok());
        f.retention = "x".into();
        assert_eq!(
            f.settings().unwrap_err().to_string(),
            "retentionDays must be a whole number of days"
        );
        f.retention = "0".into();
        assert!(f.settings().is_err());
        f.retention = "7".into();
        f.feed_base = "  ".into();
        assert_eq!(f.settings().map(|s| s.feed_base), Ok(None));
        let custom = Settings {
            resolver: "https://doh.example/q".into(),
            ..Settings::default()
        };
        assert_eq!(Form::of(&custom).preset, None);
    }
}
