//! The dashboard (a full tab): every site in a sortable table, what-if, and exports.

use std::rc::Rc;

use onebasket::panel::{DashboardQuery, DashboardView, ExportFormat};
use onebasket::protocol::{Request, Response};
use yew::prelude::*;

use crate::bridge::{self, BridgeError, Conn, Latest, Load};
use crate::model::{self, Column, Label, Target, Through};
use crate::ui::{Banners, Chip, Status};

/// The index in [`Column::ALL`] after which the "Also depends on" column sits (DNS).
const DEPS_AFTER: usize = 4;

/// The dashboard's state.
#[derive(Clone)]
pub struct State {
    /// The worker's view for `query` (`GetDashboard`), the latest request's.
    view: Latest<DashboardView>,
    /// Bumped when the worker says the figures changed: the view is asked again.
    stale: u32,
    /// Sort, filter, rows wanted, what-if: what the view is asked for.
    query: DashboardQuery,
    notice: Option<String>,
    now: u64,
}

/// Everything that changes the dashboard.
pub enum Action {
    /// The worker's view, answering request number `.0`.
    View(u32, Result<Box<DashboardView>, BridgeError>),
    /// What the dashboard shows changed in the worker: ask again.
    Stale,
    /// Sort by a column (again: reverse).
    Sort(Column),
    /// Filter text.
    Filter(String),
    /// The what-if choice.
    Target(Option<Target>),
    /// Render every row.
    ShowAll,
    /// A message under the toolbar (export failures).
    Notice(Option<String>),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = Rc::unwrap_or_clone(self);
        match action {
            Action::View(n, r) => {
                if s.view.answer(n, r) {
                    s.now = bridge::now();
                }
            }
            Action::Stale => s.stale = s.stale.wrapping_add(1),
            Action::Sort(c) => {
                let q = &mut s.query;
                if q.sort == c {
                    q.descending = !q.descending;
                } else {
                    q.sort = c;
                    q.descending = c.descending_first();
                }
            }
            Action::Filter(f) => s.query.filter = f,
            Action::Target(t) => s.query.what_if = t,
            Action::ShowAll => s.query.limit = None,
            Action::Notice(n) => s.notice = n,
        }
        Rc::new(s)
    }
}

/// The dashboard page.
#[function_component]
pub fn Dashboard() -> Html {
    let conn = use_context::<Conn>().unwrap_or_else(Conn::extension);
    let state = use_reducer(|| State {
        view: Latest::default(),
        stale: 0,
        query: DashboardQuery::default(),
        notice: None,
        now: bridge::now(),
    });
    {
        // Asked again whenever the worker says the figures changed (a look-up finished, the IP
        // ranges arrived, a site failed), so an open dashboard never goes stale.
        let state = state.clone();
        use_effect_with((), move |_| {
            bridge::on_changed(Callback::from(move |()| state.dispatch(Action::Stale)))
        });
    }
    let asked = use_mut_ref(|| 0u32);
    {
        let (state, conn) = (state.clone(), conn.clone());
        use_effect_with((state.stale, state.query.clone()), move |(_, query)| {
            *asked.borrow_mut() += 1;
            let n = *asked.borrow();
            conn.request(
                Request::GetDashboard {
                    query: query.clone(),
                },
                Callback::from(move |r: Result<Response, BridgeError>| {
                    state.dispatch(Action::View(
                        n,
                        r.and_then(|r| match r {
                            Response::Dashboard { dashboard } => Ok(Box::new(dashboard)),
                            _ => Err(BridgeError::Unexpected),
                        }),
                    ))
                }),
            );
        });
    }

    let o = match &state.view.load {
        Load::Loading => {
            return page(
                html! { <p class="muted" role="status">{ "Asking the background worker…" }</p> },
            )
        }
        Load::Failed(e) => {
            return page(html! {
                <div class="banner banner-error" role="alert">{ format!("The background worker did not answer: {e}") }</div>
            })
        }
        Load::Ready(o) => o.clone(),
    };

    let on_filter = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            state.dispatch(Action::Filter(input.value()));
        })
    };
    // The file is built in the worker (every site, with what it depends on) and only then
    // saved: the page holds one page of rows, never every site's exposure.
    let export = |format: ExportFormat| {
        let state = state.clone();
        let conn = conn.clone();
        Callback::from(move |_: MouseEvent| {
            let state = state.clone();
            conn.request(
                Request::GetExport { format },
                Callback::from(move |r: Result<Response, BridgeError>| {
                    let saved = r.and_then(|r| match r {
                        Response::Export { format, text } => {
                            bridge::download(format.file_name(), format.mime(), &text)
                        }
                        _ => Err(BridgeError::Unexpected),
                    });
                    state.dispatch(Action::Notice(
                        saved.err().map(|e| format!("Export failed: {e}")),
                    ));
                }),
            );
        })
    };

    let headline = o
        .headline
        .as_ref()
        .map(model::headline_text)
        .unwrap_or_else(|| "No sites yet.".to_owned());

    let header = Column::ALL.iter().enumerate().map(|(n, &c)| {
        let sorted = state.query.sort == c;
        let aria = match (sorted, state.query.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        };
        let arrow = match (sorted, state.query.descending) {
            (false, _) => "",
            (true, true) => " ▼",
            (true, false) => " ▲",
        };
        let state = state.clone();
        html! {
            <>
                <th scope="col" aria-sort={aria}>
                    <button class="sort" onclick={Callback::from(move |_| state.dispatch(Action::Sort(c)))}>
                        { model::column_label(c) }<span aria-hidden="true">{ arrow }</span>
                    </button>
                </th>
                // After DNS: what the site needs beyond its main host (not sortable).
                if n == DEPS_AFTER {
                    <th scope="col" class="muted">{ "Also depends on" }</th>
                }
            </>
        }
    });
    let body = o.rows.iter().map(|s| {
        let region = match (&s.hosting, &s.region) {
            (Some(h), Some(r)) => format!("{} {r}", crate::providers::badge(h)),
            _ => String::new(),
        };
        html! {
            <tr>
                <th scope="row" class="site-cell" title={s.main_host.clone()}>{ s.site.clone() }</th>
                <td>
                    <Chip id={s.cloud.clone().map(AttrValue::from)} />
                    if let Some(t) = &s.origin {
                        <span class="origin small">{ t.clone() }</span>
                    }
                </td>
                <td>{ region }</td>
                <td>{ s.edge.as_deref().map(crate::providers::name).unwrap_or("—").to_owned() }</td>
                <td>{ s.dns.clone().unwrap_or_else(|| "—".to_owned()) }</td>
                <td class="deps-cell">
                    <span class="partly">{ s.partly.clone().unwrap_or_else(|| "—".to_owned()) }</span>
                    if let Some(t) = &s.also {
                        <span class="also muted small">{ t.clone() }</span>
                    }
                </td>
                <td>
                    <Status status={s.status} />
                    if let Some(b) = &s.blame {
                        <span class="blame small">{ b.clone() }</span>
                    }
                </td>
                <td title={model::iso_time(s.last_seen)}>{ model::ago(state.now, s.last_seen) }</td>
                <td class="num">{ s.visits }</td>
            </tr>
        }
    });

    page(html! {
        <>
            <div class="toolbar">
                <input type="search" class="search" placeholder="Filter sites, providers, regions"
                       aria-label="Filter sites by name, provider or region"
                       value={state.query.filter.clone()} oninput={on_filter} />
                <button class="btn" onclick={export(ExportFormat::Json)} disabled={o.total == 0}>{ "Export JSON" }</button>
                <button class="btn" onclick={export(ExportFormat::Csv)} disabled={o.total == 0}>{ "Export CSV" }</button>
            </div>
            if let Some(n) = &state.notice {
                <p class="error" role="alert">{ n.clone() }</p>
            }
            <Banners banners={o.banners.clone()} />
            <p class="headline" id="headline">{ headline }</p>
            { what_if(&state, &o) }
            <section class="card" aria-labelledby="all-h">
                <h2 id="all-h">{ format!("All sites ({} of {})", o.matched, o.total) }</h2>
                <div class="table-wrap">
                    <table class="sites-table" id="sites-table">
                        <thead><tr>{ for header }</tr></thead>
                        <tbody>{ for body }</tbody>
                    </table>
                </div>
                if o.rows.len() < o.matched {
                    <button class="btn" onclick={let s = state.clone(); Callback::from(move |_| s.dispatch(Action::ShowAll))}>
                        { format!("Show all {} rows", o.matched) }
                    </button>
                }
            </section>
        </>
    })
}

fn page(content: Html) -> Html {
    html! {
        <div class="page">
            <header class="bar">
                <h1 class="brand">{ "OneBasket" }<span class="muted">{ " · dashboard" }</span></h1>
                <a class="link" href="options.html">{ "Settings" }</a>
            </header>
            <main id="main">{ content }</main>
        </div>
    }
}

fn what_if(state: &UseReducerHandle<State>, o: &DashboardView) -> Html {
    let choices = &o.choices;
    let onchange = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            state.dispatch(Action::Target(Target::decode(&select.value())));
        })
    };
    let selected = state
        .query
        .what_if
        .as_ref()
        .map(Target::encode)
        .unwrap_or_default();
    let group = |label: &'static str, items: &[(Target, usize)]| {
        if items.is_empty() {
            return Html::default();
        }
        html! {
            <optgroup label={label}>
                { for items.iter().map(|(t, n)| {
                    let v = t.encode();
                    html! {
                        <option value={v.clone()} selected={v == selected}>
                            { format!("{} — {n} site{}", t.label(), model::plural(*n)) }
                        </option>
                    }
                }) }
            </optgroup>
        }
    };
    // The worker's answer for the scenario now chosen (none while it is being asked).
    let answer = o
        .what_if
        .as_ref()
        .filter(|w| state.query.what_if.as_ref() == Some(&w.target));
    let result = answer.map(|w| {
        html! {
            <div id="what-if-result" aria-live="polite">
                <p class="headline">{ model::what_if_text(w.hits.len(), w.total, &w.counts, &w.target) }</p>
                <ul class="chips-list">
                    { for w.hits.iter().map(|hit| html! {
                        <li class="site-pill">
                            <Chip id={hit.badge.clone().map(AttrValue::from)} />{ hit.site.clone() }
                            if let (Some(host), true) = (&hit.host, !matches!(hit.through, Through::Main(_))) {
                                <span class={classes!("through", "small", (hit.through == Through::ThirdParty).then_some("third-party"))}>
                                    { format!("through {host}") }
                                </span>
                            }
                        </li>
                    }) }
                </ul>
            </div>
        }
    });
    html! {
        <section class="card" id="what-if" aria-labelledby="wi-h">
            <h2 id="wi-h">{ "What if…" }</h2>
            <label for="wi-target">{ "this provider or region went down: " }</label>
            <select id="wi-target" {onchange}>
                <option value="" selected={selected.is_empty()}>{ "Choose…" }</option>
                { group("Clouds and hosts", &choices.hosts) }
                { group("Regions", &choices.regions) }
                { group("Edges / CDNs", &choices.edges) }
                { group("DNS providers", &choices.dns) }
            </select>
            { result }
        </section>
    }
}
