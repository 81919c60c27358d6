//! The dashboard (a full tab): every site in a sortable table, what-if, and exports.

use std::rc::Rc;

use onebasket::protocol::{Overview, Request, Response};
use yew::prelude::*;

use crate::bridge::{self, Conn};
use crate::model::{self, Column, Label, Target, Through};
use crate::popup::Load;
use crate::ui::{Banners, BannersProps, Chip, Status};

/// Rows rendered before "Show all" (a table of thousands of rows is slow to lay out).
const PAGE: usize = 250;

/// The index in [`Column::ALL`] after which the "Also depends on" column sits (DNS).
const DEPS_AFTER: usize = 4;

/// The dashboard's state.
#[derive(Clone)]
pub struct State {
    overview: Load<Rc<Overview>>,
    generation: u32,
    sort: Column,
    descending: bool,
    filter: String,
    target: Option<Target>,
    limit: usize,
    notice: Option<String>,
    now: u64,
}

/// Everything that changes the dashboard.
pub enum Action {
    /// The worker's overview.
    Overview(Result<Overview, String>),
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
            Action::Overview(r) => {
                s.overview = match r {
                    Ok(o) => Load::Ready(Rc::new(o)),
                    Err(e) => Load::Failed(e),
                };
                s.generation = s.generation.wrapping_add(1);
                s.now = bridge::now();
            }
            Action::Sort(c) => {
                if s.sort == c {
                    s.descending = !s.descending;
                } else {
                    s.sort = c;
                    s.descending = c.descending_first();
                }
            }
            Action::Filter(f) => s.filter = f,
            Action::Target(t) => s.target = t,
            Action::ShowAll => s.limit = usize::MAX,
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
        overview: Load::Loading,
        generation: 0,
        sort: Column::LastSeen,
        descending: true,
        filter: String::new(),
        target: None,
        limit: PAGE,
        notice: None,
        now: bridge::now(),
    });
    {
        let state = state.clone();
        // Asked again whenever the worker says the figures changed (a look-up finished, the IP
        // ranges arrived, a site failed), so an open dashboard never goes stale.
        use_effect_with((), move |_| {
            let load = move || {
                let state = state.clone();
                conn.request(
                    Request::GetOverview,
                    Callback::from(move |r: Result<Response, String>| {
                        state.dispatch(Action::Overview(r.and_then(|r| match r {
                            Response::Overview { overview } => Ok(overview),
                            _ => Err("unexpected answer from the worker".to_owned()),
                        })))
                    }),
                );
            };
            load();
            bridge::on_changed(Callback::from(move |()| load()))
        });
    }

    let rows = {
        let overview = state.overview.clone();
        use_memo(
            (
                state.generation,
                state.sort,
                state.descending,
                state.filter.clone(),
            ),
            move |(_, sort, desc, filter)| {
                let Load::Ready(o) = overview else {
                    return Vec::new();
                };
                let needle = filter.trim().to_ascii_lowercase();
                let mut idx: Vec<usize> = (0..o.sites.len())
                    .filter(|&i| model::matches(&o.sites[i], &needle))
                    .collect();
                model::sorted(&o.sites, &mut idx, *sort, *desc);
                idx
            },
        )
    };

    let o = match &state.overview {
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
    let export = |csv: bool| {
        let state = state.clone();
        let o = o.clone();
        Callback::from(move |_: MouseEvent| {
            let result = if csv {
                bridge::download(
                    "onebasket-sites.csv",
                    "text/csv;charset=utf-8",
                    &model::to_csv(&o.sites),
                )
            } else {
                bridge::download(
                    "onebasket-sites.json",
                    "application/json",
                    &model::to_json(&o.sites),
                )
            };
            state.dispatch(Action::Notice(
                result.err().map(|e| format!("Export failed: {e}")),
            ));
        })
    };

    let headline = model::headline(&o.sites, state.now)
        .map(|h| model::headline_text(&h))
        .unwrap_or_else(|| "No sites yet.".to_owned());

    let header = Column::ALL.iter().enumerate().map(|(n, &c)| {
        let sorted = state.sort == c;
        let aria = match (sorted, state.descending) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        };
        let arrow = match (sorted, state.descending) {
            (false, _) => "",
            (true, true) => " ▼",
            (true, false) => " ▲",
        };
        let state = state.clone();
        html! {
            <>
                <th scope="col" aria-sort={aria}>
                    <button class="sort" onclick={Callback::from(move |_| state.dispatch(Action::Sort(c)))}>
                        { c.label() }<span aria-hidden="true">{ arrow }</span>
                    </button>
                </th>
                // After DNS: what the site needs beyond its main host (not sortable).
                if n == DEPS_AFTER {
                    <th scope="col" class="muted">{ "Also depends on" }</th>
                }
            </>
        }
    });
    let shown = rows.len().min(state.limit);
    let body = rows.iter().take(state.limit).filter_map(|&i| o.sites.get(i)).map(|s| {
        let region = match (&s.hosting, &s.region) {
            (Some(h), Some(r)) => format!("{} {r}", crate::providers::badge(h)),
            _ => String::new(),
        };
        html! {
            <tr>
                <th scope="row" class="site-cell" title={s.main_host.clone()}>{ s.site.clone() }</th>
                <td>
                    <Chip id={model::cloud_of(s).map(|c| AttrValue::from(c.to_owned()))} />
                    if let Some(t) = model::origin_line(s) {
                        <span class="origin small">{ t }</span>
                    }
                </td>
                <td>{ region }</td>
                <td>{ s.edge.as_deref().map(crate::providers::name).unwrap_or("—").to_owned() }</td>
                <td>{ if s.dns.is_some() || s.own_dns {
                    model::dns_set(s.dns.as_ref(), &s.dns_also, s.own_dns, s.dns_other)
                } else {
                    "—".to_owned()
                } }</td>
                <td class="deps-cell">
                    <span class="partly">{ model::partly_on(s).unwrap_or_else(|| "—".to_owned()) }</span>
                    if let Some(t) = model::also_loads(s) {
                        <span class="also muted small">{ t }</span>
                    }
                </td>
                <td>
                    <Status status={s.status} />
                    if let Some(b) = &s.blame {
                        <span class="blame small">{ model::blame_text(b) }</span>
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
                       value={state.filter.clone()} oninput={on_filter} />
                <button class="btn" onclick={export(false)} disabled={o.sites.is_empty()}>{ "Export JSON" }</button>
                <button class="btn" onclick={export(true)} disabled={o.sites.is_empty()}>{ "Export CSV" }</button>
            </div>
            if let Some(n) = &state.notice {
                <p class="error" role="alert">{ n.clone() }</p>
            }
            <Banners ..BannersProps::of(&o) />
            <p class="headline" id="headline">{ headline }</p>
            { what_if(&state, &o) }
            <section class="card" aria-labelledby="all-h">
                <h2 id="all-h">{ format!("All sites ({} of {})", rows.len(), o.sites.len()) }</h2>
                <div class="table-wrap">
                    <table class="sites-table" id="sites-table">
                        <thead><tr>{ for header }</tr></thead>
                        <tbody>{ for body }</tbody>
                    </table>
                </div>
                if shown < rows.len() {
                    <button class="btn" onclick={let s = state.clone(); Callback::from(move |_| s.dispatch(Action::ShowAll))}>
                        { format!("Show all {} rows", rows.len()) }
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

fn what_if(state: &UseReducerHandle<State>, o: &Overview) -> Html {
    let choices = model::what_if_choices(&o.sites);
    let onchange = {
        let state = state.clone();
        Callback::from(move |e: Event| {
            let select: web_sys::HtmlSelectElement = e.target_unchecked_into();
            state.dispatch(Action::Target(Target::decode(&select.value())));
        })
    };
    let selected = state
        .target
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
    let result = state.target.as_ref().map(|t| {
        let w = model::what_if(&o.sites, t);
        html! {
            <div id="what-if-result" aria-live="polite">
                <p class="headline">{ model::what_if_text(&w, t) }</p>
                <ul class="chips-list">
                    { for w.hits.iter().filter_map(|(i, hit)| Some((o.sites.get(*i)?, hit))).map(|(s, hit)| html! {
                        <li class="site-pill" title={s.main_host.clone()}>
                            <Chip id={s.badge.clone().map(AttrValue::from)} />{ s.site.clone() }
                            if let (Some(host), true) = (hit.host, !matches!(hit.through, Through::Main(_))) {
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
