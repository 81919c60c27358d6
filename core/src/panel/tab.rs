//! The popup's view of its tab, in words: the stack from DNS down to the cloud, each layer with
//! its evidence, and what the site depends on. The popup renders it as it is; which words a
//! profile and a row give ("origin unknown behind the CDN", a redundant DNS set) is decided
//! here, once, and tested natively.

use serde::{Deserialize, Serialize};

use super::words::{self, Names, ViaWords};
use crate::exposure::Exposed;
use crate::health::HealthState;
use crate::profile::{LayerKind, Resolution, ResolvedBy, SiteProfile};
use crate::summary::SiteSummary;

/// One answer to `Request::GetTabPanel`: a note instead of a site (not a web page, a private
/// name, not seen yet), or the site.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TabPanel {
    /// What the popup says when it shows no site ("This tab is not a website.").
    pub note: Option<String>,
    /// The recorded site the tab shows.
    pub site: Option<TabSite>,
}

/// A recorded site, as the popup shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TabSite {
    /// Site key.
    pub site: String,
    /// Its main host (the tooltip of the site's name).
    pub main_host: String,
    /// Provider id of its badge.
    pub badge: Option<String>,
    /// Whether it works.
    pub status: HealthState,
    /// Its main host's stack; `None` while it was never looked up.
    pub stack: Option<Stack>,
    /// A look-up of its main host is under way.
    pub looking_up: bool,
    /// What it depends on; `None` when nothing is known.
    pub depends: Option<DependsOn>,
}

/// The main host's layers, from DNS down to the cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Stack {
    /// DNS, edge, hosting, cloud.
    pub layers: Vec<StackLayer>,
    /// How the look-up failed, when it did.
    pub failure: Option<String>,
    /// Which resolver gave the addresses.
    pub resolved_by: String,
    /// No IP ranges were loaded yet to place the addresses in.
    pub ranges_missing: bool,
    /// The hosting provider (whose IP-range data's age the popup states).
    pub hosting: Option<String>,
}

/// One layer: what it is, who, details, and its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StackLayer {
    /// Which layer.
    pub kind: LayerKind,
    /// Its title ("Edge / CDN").
    pub title: String,
    /// Provider id (for the chip); `None` when nobody is known.
    pub provider: Option<String>,
    /// The provider's name, or what is known instead ("origin unknown behind the CDN").
    pub name: String,
    /// Region, service, AS, platform… joined with " · ".
    #[serde(default)]
    pub detail: Option<String>,
    /// The reasons behind it.
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// "Depends on": the hosts the site's pages need, by cloud, and those only loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DependsOn {
    /// The third party its failure is put down to.
    pub blame: Option<String>,
    /// "Partly on …": the other clouds its critical hosts run on.
    pub partly: Option<String>,
    /// Critical hosts by cloud.
    pub critical: Vec<DepGroup>,
    /// Hosts not needed for the site to work, by cloud.
    pub other: Vec<DepGroup>,
}

/// One cloud's hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DepGroup {
    /// Provider id (for the chip).
    pub provider: String,
    /// Its name.
    pub name: String,
    /// The hosts, in words.
    pub hosts: String,
}

/// The panel of a tab showing `host`, recorded under `site` (`None`: not recorded), with the
/// site's row and its main host's profile.
pub fn tab_panel(
    host: Option<&str>,
    site: Option<&str>,
    summary: Option<&SiteSummary>,
    profile: Option<&SiteProfile>,
    looking_up: bool,
    names: &dyn Names,
) -> TabPanel {
    let note = |text: String| TabPanel {
        note: Some(text),
        site: None,
    };
    match (host, site, summary) {
        (None, _, _) => note("This tab is not a website.".to_owned()),
        (Some(host), None, _) => note(format!(
            "{host} is a private name or address: not recorded."
        )),
        (Some(host), Some(_), None) => note(format!(
            "{host} has not been seen yet: reload the tab to classify it."
        )),
        (_, _, Some(s)) => TabPanel {
            note: None,
            site: Some(TabSite {
                site: s.site.clone(),
                main_host: s.main_host.clone(),
                badge: s.class.badge_provider().map(str::to_owned),
                status: s.status,
                stack: profile.map(|p| stack(p, names)),
                looking_up,
                depends: depends_on(s, names),
            }),
        },
    }
}

/// The profile's layers with their evidence.
pub fn stack(p: &SiteProfile, names: &dyn Names) -> Stack {
    Stack {
        layers: layers(p, names),
        failure: (p.resolution != Resolution::Ok).then(|| p.resolution.to_string()),
        resolved_by: resolved_by_text(p.resolved_by).to_owned(),
        ranges_missing: p.ranges_missing,
        hosting: p.hosting.provider.clone(),
    }
}

/// DNS, edge, hosting and cloud: who (or what is known instead), the details, the evidence.
fn layers(p: &SiteProfile, names: &dyn Names) -> Vec<StackLayer> {
    let layer = |kind: LayerKind,
                 title: &str,
                 provider: &Option<String>,
                 detail: Vec<String>,
                 empty: &str| StackLayer {
        kind,
        title: title.to_owned(),
        name: provider
            .as_deref()
            .map_or_else(|| empty.to_owned(), |id| names.name(id).to_owned()),
        provider: provider.clone(),
        detail: (!detail.is_empty()).then(|| detail.join(" · ")),
        evidence: p
            .evidence
            .iter()
            .filter(|e| e.layer == kind)
            .map(|e| e.text.clone())
            .collect(),
    };
    let h = &p.hosting;
    let mut hosting_detail: Vec<String> = [h.region.clone(), h.service.clone()]
        .into_iter()
        .flatten()
        .collect();
    if let Some(asn) = h.asn {
        hosting_detail.push(match &h.asn_holder {
            Some(holder) => format!("AS{asn} {holder}"),
            None => format!("AS{asn}"),
        });
    }
    if let Some(platform) = &h.platform {
        hosting_detail.push(format!("via {}", names.name(platform)));
    }
    let redundant =
        !p.dns.also.is_empty() || (p.dns.provider.is_some() && (p.dns.own || p.dns.other));
    let dns_detail = if redundant {
        vec![words::dns_set(
            names,
            p.dns.provider.as_ref(),
            &p.dns.also,
            p.dns.own,
            p.dns.other,
        )]
    } else {
        p.dns.product.clone().into_iter().collect()
    };
    let mut edge_detail: Vec<String> = p.edge.service.clone().into_iter().collect();
    for also in &p.edge.also {
        edge_detail.push(format!("also {}", names.name(also)));
    }
    if let Some(d) = &p.edge.dns {
        edge_detail.push(format!("its DNS on {}", names.dns_name(d)));
    }
    // Behind a CDN with nothing saying where the site runs: said so, never guessed.
    let origin_unknown = p.edge.provider.is_some() && h.provider.is_none() && p.cloud.is_none();
    vec![
        layer(
            LayerKind::Dns,
            "DNS",
            &p.dns.provider,
            dns_detail,
            if p.dns.own {
                "own name servers"
            } else {
                "unknown"
            },
        ),
        layer(
            LayerKind::Edge,
            "Edge / CDN",
            &p.edge.provider,
            edge_detail,
            "none seen",
        ),
        layer(
            LayerKind::Hosting,
            "Hosting",
            &h.provider,
            hosting_detail,
            if origin_unknown {
                "origin unknown behind the CDN"
            } else {
                "unknown"
            },
        ),
        layer(LayerKind::Cloud, "Cloud", &p.cloud, Vec::new(), "unknown"),
    ]
}

/// Which resolver gave the addresses (the user may have chosen the browser's own, on Firefox).
fn resolved_by_text(by: ResolvedBy) -> &'static str {
    match by {
        ResolvedBy::Doh => "Addresses from your DNS-over-HTTPS resolver.",
        ResolvedBy::Browser => {
            "Addresses from the browser's own resolver; DNS provider and AS over DNS-over-HTTPS."
        }
        ResolvedBy::Literal => "The address is the site's name.",
    }
}

/// The site's critical and other hosts by cloud, the blame and "partly on"; `None` when there
/// is nothing to say.
fn depends_on(s: &SiteSummary, names: &dyn Names) -> Option<DependsOn> {
    let critical = &s.exposure.critical;
    let other = &s.exposure.non_critical;
    if words::clouds(critical)
        .chain(words::clouds(other))
        .next()
        .is_none()
        && s.blame.is_none()
    {
        return None;
    }
    Some(DependsOn {
        blame: s.blame.as_ref().map(|b| words::blame_text(names, b)),
        partly: words::partly_on(names, s),
        critical: groups(critical, names, words::via_text, "; "),
        other: groups(other, names, words::loads_via, ", "),
    })
}

fn groups(list: &[Exposed], names: &dyn Names, text: ViaWords, sep: &str) -> Vec<DepGroup> {
    words::clouds(list)
        .map(|e| DepGroup {
            provider: e.provider.clone(),
            name: names.name(&e.provider).to_owned(),
            hosts: words::host_list(names, e, text, sep),
        })
        .collect()
}
