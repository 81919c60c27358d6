//! The popup: this tab's stack, what is failing and why, and the user's sites by cloud, region
//! or DNS provider.

use std::rc::Rc;

use onebasket::knowledge::FeedStatus;
use onebasket::panel::tab::{DepGroup, DependsOn, Stack, TabSite};
use onebasket::panel::{PopupQuery, PopupView, Row, TabPanel};
use onebasket::profile::LayerKind;
use onebasket::protocol::{Request, Response};
use yew::prelude::*;

use crate::bridge::{self, BridgeError, Conn, Latest, Load};
use crate::model::{self, GroupBy, GroupKey, Label};
use crate::ui::{self, Banners, Chart, Chip, Status};

/// The popup's state (one reducer).
#[derive(Clone)]
pub struct State {
    /// The worker's view of the user's sites for `query` (`GetPopup`), the latest request's
    /// (a filter typed on meanwhile drops an earlier answer).
    view: Latest<PopupView>,
    /// Bumped when the worker says what the popup shows changed: the view is asked again.
    stale: u32,
    /// The worker's view of the tab the popup was opened on (`GetTabPanel`).
    tab: Load<Rc<TabPanel>>,
    /// Grouping, filter and opened groups: what the view is asked for.
    query: PopupQuery,
    open_layers: Vec<LayerKind>,
    now: u64,
}

impl Default for State {
    fn default() -> Self {
        Self {
            view: Latest::default(),
            stale: 0,
            tab: Load::Loading,
            query: PopupQuery::default(),
            open_layers: Vec::new(),
            now: bridge::now(),
        }
    }
}

/// Everything that changes the popup's state.
pub enum Action {
    /// The worker's view of this tab (boxed: it is large, the other actions small).
    Tab(Result<Box<TabPanel>, BridgeError>),
    /// The worker's view of the sites, answering request number `.0`.
    View(u32, Result<Box<PopupView>, BridgeError>),
    /// What the popup shows changed in the worker: ask again.
    Stale,
    /// Group by another layer.
    GroupBy(GroupBy),
    /// The filter text.
    Filter(String),
    /// Open or close a group (`None`: the unknown group).
    ToggleGroup(Option<GroupKey>),
    /// Open or close a layer's evidence.
    ToggleLayer(LayerKind),
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = Rc::unwrap_or_clone(self);
        match action {
            Action::Tab(r) => s.tab = Load::of(r),
            Action::View(n, r) => {
                if s.view.answer(n, r) {
                    s.now = bridge::now();
                }
            }
            Action::Stale => s.stale = s.stale.wrapping_add(1),
            Action::GroupBy(g) => {
                s.query.group_by = g;
                s.query.open.clear();
            }
            Action::Filter(f) => s.query.filter = f,
            Action::ToggleGroup(key) => {
                toggle(&mut s.query.open, key);
            }
            Action::ToggleLayer(l) => {
                toggle(&mut s.open_layers, l);
            }
        }
        Rc::new(s)
    }
}

/// Removes `v` if present, else adds it.
fn toggle<T: PartialEq>(list: &mut Vec<T>, v: T) {
    match list.iter().position(|x| *x == v) {
        Some(n) => {
            list.remove(n);
        }
        None => list.push(v),
    }
}

/// The popup page.
#[function_component]
pub fn Popup() -> Html {
    let conn = use_context::<Conn>().unwrap_or_else(Conn::extension);
    let state = use_reducer(State::default);

    // The tab's view and the sites' view go out at once; both are asked again whenever the
    // worker says what they show changed (a look-up finished, the IP ranges arrived), so the
    // popup never goes stale. The sites' view is asked again for every new query too.
    {
        let (state, conn) = (state.clone(), conn.clone());
        use_effect_with(state.stale, move |_| load_tab(&conn, &state));
    }
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            bridge::on_changed(Callback::from(move |()| state.dispatch(Action::Stale)))
        });
    }
    let asked = use_mut_ref(|| 0u32);
    {
        let state = state.clone();
        use_effect_with((state.stale, state.query.clone()), move |(_, query)| {
            *asked.borrow_mut() += 1;
            let n = *asked.borrow();
            let query = query.clone();
            conn.request(
                Request::GetPopup {
                    query,
                    packed: true,
                },
                Callback::from(move |r: Result<Response, BridgeError>| {
                    bridge::mark("ob-data");
                    state.dispatch(Action::View(n, bridge::unpacked(r)));
                }),
            );
        });
    }

    // The first render with data, for the performance figure.
    let marked = use_mut_ref(|| false);
    {
        let ready = matches!(state.view.load, Load::Ready(_));
        use_effect_with(ready, move |ready| {
            if *ready && !*marked.borrow() {
                *marked.borrow_mut() = true;
                bridge::mark("ob-first-render");
            }
        });
    }

    let on_filter = {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            state.dispatch(Action::Filter(input.value()));
        })
    };
    let open_dashboard = Callback::from(|e: MouseEvent| {
        e.prevent_default();
        bridge::open_page("dashboard.html");
    });
    let open_options = Callback::from(|e: MouseEvent| {
        e.prevent_default();
        bridge::open_page("options.html");
    });

    let body = match &state.view.load {
        Load::Loading => {
            html! { <p class="muted" role="status">{ "Asking the background worker…" }</p> }
        }
        Load::Failed(e) => html! {
            <div class="banner banner-error" role="alert">
                { format!("The background worker did not answer: {e}") }
            </div>
        },
        Load::Ready(v) => html! {
            <>
                <Banners banners={v.banners.clone()} />
                { this_tab(&state, &v.feeds) }
                { failing_section(v) }
                { sites_section(&state, v) }
            </>
        },
    };
    let footer = match &state.view.load {
        Load::Ready(v) => model::data_age(&v.feeds, None, state.now)
            .unwrap_or_else(|| "No IP-range data yet".to_owned()),
        _ => String::new(),
    };

    html! {
        <div class="popup">
            <header class="bar">
                <h1 class="brand">{ "OneBasket" }</h1>
                <input type="search" class="search" placeholder="Filter sites, providers, regions"
                       aria-label="Filter sites by name, provider or region"
                       value={state.query.filter.clone()} oninput={on_filter} />
                <a class="link" href="dashboard.html" target="_blank" onclick={open_dashboard}>
                    { "Dashboard" }
                </a>
            </header>
            <main class="scroll" id="main">{ body }</main>
            <footer class="foot">
                <span class="muted" id="data-age">{ footer }</span>
                <a class="link" href="options.html" target="_blank" onclick={open_options}>{ "Settings" }</a>
            </footer>
        </div>
    }
}

/// Asks the worker for the view of the tab the user is looking at.
fn load_tab(conn: &Conn, state: &UseReducerHandle<State>) {
    let (conn, state) = (conn.clone(), state.clone());
    yew::platform::spawn_local(async move {
        // Not a web page (or no tab at all) is the worker's to say, like everything else.
        let url = bridge::active_tab_url().await.unwrap_or_default();
        conn.request(
            Request::GetTabPanel { url, packed: true },
            Callback::from(move |r: Result<Response, BridgeError>| {
                state.dispatch(Action::Tab(bridge::unpacked(r)));
            }),
        );
    });
}

fn this_tab(state: &UseReducerHandle<State>, feeds: &FeedStatus) -> Html {
    let content = match &state.tab {
        Load::Loading => html! { <p class="muted">{ "…" }</p> },
        Load::Failed(e) => html! { <p class="error" role="alert">{ e.to_string() }</p> },
        Load::Ready(v) => match (&v.site, &v.note) {
            (Some(site), _) => tab_site(state, feeds, site),
            (None, note) => html! { <p class="muted">{ note.clone().unwrap_or_default() }</p> },
        },
    };
    html! {
        <section class="card" id="this-tab" aria-labelledby="tab-h">
            <h2 id="tab-h">{ "This tab" }</h2>
            { content }
        </section>
    }
}

fn tab_site(state: &UseReducerHandle<State>, feeds: &FeedStatus, site: &TabSite) -> Html {
    let stack = match &site.stack {
        None if site.looking_up => {
            html! { <p class="muted" role="status">{ "Looking it up…" }</p> }
        }
        None => html! { <p class="muted">{ "Not looked up yet." }</p> },
        Some(s) => html! {
            <>
                { stack(state, s) }
                if s.ranges_missing {
                    <p class="muted small" id="waiting" role="status">
                        { "Waiting for the providers' IP ranges: this updates by itself when they arrive." }
                    </p>
                }
                <p class="muted small" id="tab-age">
                    { model::data_age(feeds, s.hosting.as_deref(), state.now)
                        .unwrap_or_else(|| "No IP-range data yet".to_owned()) }
                </p>
            </>
        },
    };
    html! {
        <>
            <div class="site-line">
                <Chip id={site.badge.clone().map(AttrValue::from)} />
                <strong class="site-name" title={site.main_host.clone()}>{ site.site.clone() }</strong>
                <Status status={site.status} />
            </div>
            { stack }
            { site.depends.as_ref().map(depends_on).unwrap_or_default() }
        </>
    }
}

fn stack(state: &UseReducerHandle<State>, s: &Stack) -> Html {
    let rows = s.layers.iter().map(|l| {
        let open = state.open_layers.contains(&l.kind);
        let id = match l.kind {
            LayerKind::Dns => "ev-dns",
            LayerKind::Edge => "ev-edge",
            LayerKind::Hosting => "ev-hosting",
            LayerKind::Cloud => "ev-cloud",
            LayerKind::Resolution => "ev-resolution",
        };
        let toggle = {
            let state = state.clone();
            let kind = l.kind;
            Callback::from(move |_| state.dispatch(Action::ToggleLayer(kind)))
        };
        html! {
            <li class="layer">
                <span class="layer-kind">{ l.title.clone() }</span>
                <Chip id={l.provider.clone().map(AttrValue::from)} />
                <span class="layer-body">
                    <span class="layer-name">{ l.name.clone() }</span>
                    if let Some(detail) = &l.detail {
                        <span class="layer-detail">{ detail.clone() }</span>
                    }
                </span>
                if !l.evidence.is_empty() {
                    <button class="why" aria-expanded={open.to_string()} aria-controls={id}
                            aria-label={format!("Why: evidence for the {} layer", l.title)} onclick={toggle}>
                        { if open { "Hide" } else { "Why?" } }
                    </button>
                }
                if open {
                    <ul class="evidence" id={id}>
                        { for l.evidence.iter().map(|t| html! { <li>{ t.clone() }</li> }) }
                    </ul>
                }
            </li>
        }
    });
    html! {
        <>
            <ol class="stack" aria-label="Stack, from DNS down to the cloud">{ for rows }</ol>
            if let Some(failure) = &s.failure {
                <p class="error small">{ failure.clone() }</p>
            }
            <p class="muted small" id="resolved-by">{ s.resolved_by.clone() }</p>
        </>
    }
}

/// "Depends on": the hosts the site's pages need, by the cloud they run on, and apart those
/// they only load images and the like from.
fn depends_on(d: &DependsOn) -> Html {
    html! {
        <div class="deps" id="deps">
            <h3 class="sub">{ "Depends on" }</h3>
            if let Some(b) = &d.blame {
                <p class="blame small">{ b.clone() }</p>
            }
            if let Some(t) = &d.partly {
                <p class="partly small">{ t.clone() }</p>
            }
            { dep_groups(&d.critical, "plain deps-critical") }
            if !d.other.is_empty() {
                <p class="muted small">{ "Not needed for the site to work:" }</p>
                { dep_groups(&d.other, "plain deps-other") }
            }
        </div>
    }
}

/// Each cloud's hosts, after the cloud's name. A plain loop into one list: an iterator chain
/// per `for` in `html!` is another copy of the collecting code in the wasm.
fn dep_groups(list: &[DepGroup], class: &'static str) -> Html {
    let mut groups: Vec<Html> = Vec::new();
    for g in list {
        groups.push(html! {
            <li class="deps-group">
                <Chip id={Some(AttrValue::from(g.provider.clone()))} />
                <span class="deps-name">{ g.name.clone() }</span>
                <span class="dep">{ g.hosts.clone() }</span>
            </li>
        });
    }
    html! { <ul {class}>{ ui::list(groups) }</ul> }
}

fn site_row(s: &Row) -> Html {
    // The extra lines come before the status in the document (the status stays the row's last
    // word) and wrap below it on screen.
    let line = |class: &'static str, t: &Option<String>| {
        t.as_ref()
            .map(|t| html! { <span class={class}>{ t.clone() }</span> })
    };
    html! {
        <li class="site-row">
            <Chip id={s.badge.clone().map(AttrValue::from)} />
            <span class="site-name" title={s.main_host.clone()}>{ s.site.clone() }</span>
            { line("blame small", &s.blame) }
            { line("partly small", &s.partly) }
            { line("origin small", &s.origin) }
            { line("site-dns small", &s.dns_line) }
            <Status status={s.status} />
        </li>
    }
}

fn failing_section(v: &PopupView) -> Html {
    if v.failing == 0 {
        return Html::default();
    }
    let more = v.failing.saturating_sub(v.failing_rows.len());
    html! {
        <section class="card failing" id="failing" aria-labelledby="fail-h">
            <h2 id="fail-h">{ format!("Failing now ({})", v.failing) }</h2>
            <ul class="sites">
                { for v.failing_rows.iter().map(site_row) }
            </ul>
            if more > 0 {
                <p class="muted small">{ format!("and {more} more on the dashboard") }</p>
            }
        </section>
    }
}

fn sites_section(state: &UseReducerHandle<State>, v: &PopupView) -> Html {
    if v.total == 0 {
        return html! {
            <section class="card" id="sites" aria-labelledby="sites-h">
                <h2 id="sites-h">{ "Your sites" }</h2>
                <p class="empty">{ "No sites yet. Every site you open is classified here: its cloud, region, CDN and DNS provider." }</p>
            </section>
        };
    }
    let toggle = GroupBy::ALL.iter().map(|&g| {
        let state = state.clone();
        let pressed = state.query.group_by == g;
        html! {
            <button class="seg" aria-pressed={pressed.to_string()}
                    onclick={Callback::from(move |_| state.dispatch(Action::GroupBy(g)))}>
                { model::group_by_label(g) }
            </button>
        }
    });
    let groups = v.groups.iter().enumerate().map(|(n, g)| {
        let label = g.label();
        // Open as asked; members listed once the worker's answer for it is in.
        let open = state.query.open.contains(&g.key);
        let list_id = format!("group-{n}");
        let onclick = {
            let state = state.clone();
            let key = g.key.clone();
            Callback::from(move |_| state.dispatch(Action::ToggleGroup(key.clone())))
        };
        let more = g.count.saturating_sub(g.members.len());
        let through = model::through_text(&g.by, false);
        html! {
            <li class="group">
                <button class="group-row" aria-expanded={open.to_string()} aria-controls={list_id.clone()} {onclick}>
                    <span class="swatch" style={format!("background:{}", model::group_color(g))} aria-hidden="true"></span>
                    <span class="group-name">{ label }</span>
                    if g.failing > 0 {
                        <span class="status status-down">{ format!("{} failing", g.failing) }</span>
                    }
                    if let Some(through) = through {
                        <span class="group-through small" title={through.clone()}>{ through }</span>
                    }
                    <span class="group-count">{ g.count }</span>
                </button>
                // Members come with the worker's answer for the opened group: 1,000 sites are
                // never all sent, nor rendered.
                if open && !g.members.is_empty() {
                    <ul class="sites" id={list_id}>
                        { for g.members.iter().map(site_row) }
                        if more > 0 {
                            <li class="muted small">{ format!("and {more} more on the dashboard") }</li>
                        }
                    </ul>
                }
            </li>
        }
    });
    let headline = v
        .headline
        .as_ref()
        .map(model::headline_text)
        .unwrap_or_default();
    html! {
        <section class="card" id="sites" aria-labelledby="sites-h">
            <h2 id="sites-h">{ format!("Your sites ({})", v.total) }</h2>
            <p class="headline" id="headline">{ headline }</p>
            <div class="segs" role="group" aria-label="Group sites by">{ for toggle }</div>
            if v.shown == 0 {
                <p class="empty">{ format!("No site matches “{}”.", state.query.filter.trim()) }</p>
            } else {
                <Chart groups={v.groups.clone()} total={v.shown} />
                <ul class="groups" aria-label={format!("Sites by {}", model::group_by_label(state.query.group_by))}>{ for groups }</ul>
            }
        </section>
    }
}
