//! Small pieces every page uses: provider chips, status pills, the concentration chart.
//!
//! Every site-derived string is passed to `html!` as a text node or attribute value, which Yew
//! sets with `textContent` / `setAttribute`: it is never parsed as HTML.

use onebasket::health::HealthState;
use onebasket::panel::GroupView;
use yew::prelude::*;

use crate::model::{self, Label};
use crate::providers;

/// Nodes built in a loop as one fragment (one non-generic conversion for every list).
pub fn list(items: Vec<Html>) -> Html {
    yew::virtual_dom::VList::with_children(items, None).into()
}

/// Props of [`Chip`].
#[derive(Properties, PartialEq)]
pub struct ChipProps {
    /// Provider id, or `None` for unknown.
    pub id: Option<AttrValue>,
}

/// A provider's badge label on its colour, with the full name as tooltip.
#[function_component]
pub fn Chip(props: &ChipProps) -> Html {
    match props.id.as_deref() {
        Some(id) => {
            let style = format!("background:{}", providers::color(Some(id)));
            html! {
                <span class="chip" style={style} title={providers::name(id).to_owned()}>
                    { providers::badge(id).to_owned() }
                </span>
            }
        }
        None => html! { <span class="chip chip-unknown" title="unknown">{ "?" }</span> },
    }
}

/// Props of [`Status`].
#[derive(Properties, PartialEq)]
pub struct StatusProps {
    /// The health.
    pub status: HealthState,
}

/// A coloured status word.
#[function_component]
pub fn Status(props: &StatusProps) -> Html {
    let word = model::status_label(props.status);
    html! { <span class={classes!("status", format!("status-{word}"))}>{ word }</span> }
}

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// Groups, largest first.
    pub groups: Vec<GroupView>,
    /// Sites in all groups.
    pub total: usize,
}

/// How many bars the chart draws; the rest are summed into "Other".
const BARS: usize = 6;

/// Horizontal bars: each group's share of the sites, in the provider's colour.
#[function_component]
pub fn Chart(props: &ChartProps) -> Html {
    let total = props.total.max(1);
    let mut bars: Vec<(String, &'static str, usize)> = props
        .groups
        .iter()
        .take(BARS)
        .map(|g| (g.label(), model::group_color(g), g.count))
        .collect();
    let rest: usize = props.groups.iter().skip(BARS).map(|g| g.count).sum();
    if rest > 0 {
        bars.push(("Other".to_owned(), providers::NEUTRAL, rest));
    }
    const ROW: usize = 22;
    const LABEL_W: usize = 150;
    const BAR_W: usize = 160;
    let height = (bars.len() * ROW).max(ROW);
    let summary = bars
        .iter()
        .map(|(l, _, n)| format!("{l} {} %", model::percent(*n, total)))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        <svg class="chart" viewBox={format!("0 0 360 {height}")} width="100%" role="img"
             aria-label={format!("Concentration: {summary}")}>
            <title>{ format!("Concentration: {summary}") }</title>
            { for bars.iter().enumerate().map(|(i, (label, color, n))| {
                let y = i * ROW;
                // Whole pixels: float formatting alone would add ~15 KB of wasm.
                let w = (BAR_W * *n / total).max(2);
                // Long labels are cut to fit the label column; the full text is in the title.
                let short: String = if label.chars().count() > 22 {
                    label.chars().take(21).chain(['…']).collect()
                } else {
                    label.clone()
                };
                html! {
                    <g>
                        <text x="0" y={(y + 15).to_string()} class="chart-label">{ short }</text>
                        <rect x={LABEL_W.to_string()} y={(y + 4).to_string()} width={w.to_string()}
                              height="14" rx="3" fill={*color} />
                        <text x={(LABEL_W + w + 6).to_string()} y={(y + 15).to_string()}
                              class="chart-value">
                            { format!("{} %", model::percent(*n, total)) }
                        </text>
                    </g>
                }
            }) }
        </svg>
    }
}

/// Props of [`Banners`].
#[derive(Properties, PartialEq)]
pub struct BannersProps {
    /// What the worker says goes above the page.
    pub banners: onebasket::panel::Banners,
}

/// "You are offline", the correlation banner, and the providers' incidents beside it.
#[function_component]
pub fn Banners(props: &BannersProps) -> Html {
    let props = &props.banners;
    let offline = props.offline.then(|| {
        html! {
            <div class="banner banner-offline" role="status" id="offline">
                <strong>{ "You are offline." }</strong>
                { " Every check failed, the resolver's too: your sites are probably fine." }
            </div>
        }
    });
    let correlation = props.correlation.as_ref().map(|c| {
        html! {
            <div class="banner banner-corr" role="alert" id="correlation">
                <strong>{ "Common cause? " }</strong>{ c.message.clone() }
            </div>
        }
    });
    let incidents = (!props.incidents.is_empty()).then(|| {
        html! {
            <section class="card incidents" id="incidents" aria-labelledby="inc-h">
                <h2 id="inc-h">{ format!("Provider incidents ({})", props.incidents.len()) }</h2>
                <ul class="plain">
                    { for props.incidents.iter().map(|i| {
                        // Only https links from the status feeds become links; anything else stays text.
                        let link = i.url.as_deref().filter(|u| u.starts_with("https://"));
                        html! {
                            <li class="incident">
                                <Chip id={Some(AttrValue::from(i.provider.clone()))} />
                                <span class="incident-body">
                                    if let Some(url) = link {
                                        <a href={url.to_owned()} target="_blank" rel="noopener noreferrer">{ i.title.clone() }</a>
                                    } else {
                                        <span>{ i.title.clone() }</span>
                                    }
                                    <span class="muted small">
                                        { [Some(i.severity.clone()), i.started.clone(), (!i.affected.is_empty()).then(|| i.affected.join(", "))]
                                            .into_iter().flatten().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ") }
                                    </span>
                                </span>
                            </li>
                        }
                    }) }
                </ul>
            </section>
        }
    });
    html! { <>{ offline }{ correlation }{ incidents }</> }
}
