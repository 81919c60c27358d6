//! One definition of "depends on": for a site, every provider, region, edge and DNS provider
//! whose failure breaks it, each with its paths (its hosting, its CDN, its DNS, its platform,
//! its CDN's own DNS, or another host its pages need), and whether it is critical.
//!
//! A dependency is critical unless it is redundant (the criterion of Kashaf et al., IMC 2020):
//! a site whose name servers span two DNS operators (two providers, or a provider beside its
//! own name servers) survives either failing, and so does a site spread over two CDNs. The
//! headline, the groups, what-if, correlation and the CLI's `report` all read this.

use litemap::LiteMap;

use serde::{Deserialize, Serialize};

use crate::deps::{role_of, ClassOf, Dependency, HostClass};
use crate::rules::schema::ProviderKind;
use crate::rules::Rules;
use crate::site_record::SiteRecord;

pub mod research;

/// Most hosts named per exposure entry; the rest are counted in [`Exposed::more`].
pub const MAX_VIA: usize = 4;

/// A layer of the stack a site can be exposed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExposureLayer {
    /// The cloud everything ultimately runs on (behind a CDN with an unknown origin: the CDN,
    /// said so by [`Path::Edge`]).
    Cloud,
    /// One region of a hosting provider.
    Region,
    /// An edge / CDN.
    Edge,
    /// An authoritative DNS provider.
    Dns,
    /// A hosting provider other than the cloud under it (a platform such as Vercel on AWS);
    /// listed last so the order of the other layers stays the stack's.
    Hosting,
}

impl ExposureLayer {
    /// Its name on the wire (`cloud`, `region`, `edge`, `dns`, `hosting`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cloud => "cloud",
            Self::Region => "region",
            Self::Edge => "edge",
            Self::Dns => "dns",
            Self::Hosting => "hosting",
        }
    }
}

impl std::fmt::Display for ExposureLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a site's own main host depends on an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Path {
    /// It runs there (its hosting provider, region or cloud).
    Hosting,
    /// Its hosting platform runs on it (Vercel → AWS).
    Platform,
    /// It is behind it (a CDN).
    Edge,
    /// It answers the site's DNS.
    Dns,
    /// It answers the DNS of the CDN in front of the site (the zone its CNAME chain ends in).
    EdgeDns,
}

/// A host through which a site is exposed to a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Via {
    /// The hostname.
    pub host: String,
    /// True for another site's host.
    pub third_party: bool,
    /// What it is for ([`role_of`]).
    pub role: String,
    /// Its hosting provider.
    pub hosting: Option<String>,
    /// Its hosting region.
    pub region: Option<String>,
}

/// One provider (or region) a site depends on, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposed {
    /// Which layer.
    pub layer: ExposureLayer,
    /// Provider id.
    pub provider: String,
    /// The region, for [`ExposureLayer::Region`].
    pub region: Option<String>,
    /// True when the site's main host itself is exposed (see `paths`).
    pub own: bool,
    /// How the main host is exposed, closest first (empty when only other hosts are).
    #[serde(default)]
    pub paths: Vec<Path>,
    /// Other hosts through which it is exposed: the site's own first, then third parties;
    /// at most [`MAX_VIA`].
    pub via: Vec<Via>,
    /// Hosts beyond those in `via`.
    pub more: u32,
    /// True when at least one of the hosts (listed or not) is a third party.
    pub third_party: bool,
    /// True when every path to it has another operator beside it (two DNS providers, two
    /// CDNs): it failing alone does not break the site.
    #[serde(default)]
    pub redundant: bool,
}

impl Exposed {
    /// The group key correlation and the pages use: `aws`, or `aws us-east-1` for a region.
    pub fn key(&self) -> String {
        match &self.region {
            Some(r) => format!("{} {r}", self.provider),
            None => self.provider.clone(),
        }
    }

    /// How the site depends on it, closest first: through its main host (by that path), else
    /// one of its own other hosts, else only third parties.
    pub fn through(&self) -> Option<Through> {
        if let Some(p) = self.paths.first() {
            return Some(Through::Main(*p));
        }
        let first = self.via.first()?;
        Some(if first.third_party {
            Through::ThirdParty
        } else {
            Through::OwnHost
        })
    }
}

/// How a site depends on a provider or region, closest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Through {
    /// Its main host, by this path.
    Main(Path),
    /// Another of its own hosts (`api.`, `cdn.` of the same site).
    OwnHost,
    /// Only third parties it needs.
    ThirdParty,
}

/// What would break a site, and what would not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Exposure {
    /// Providers whose failure breaks the site: its main host's stack, and that of every host
    /// its pages need (documents, scripts, API calls, stylesheets).
    pub critical: Vec<Exposed>,
    /// Providers whose failure alone would not break it: seen only behind images, fonts,
    /// media and beacons, or redundant (a second DNS provider or CDN answers).
    pub non_critical: Vec<Exposed>,
}

/// One entry of a host's stack: the layer, provider and region, how the host reaches it, and
/// whether another operator stands beside it. Borrowed from the host's class and the rules:
/// a site with 50 dependencies has hundreds of entries, and each allocation showed.
struct Entry<'a> {
    layer: ExposureLayer,
    provider: &'a str,
    region: Option<&'a str>,
    path: Path,
    redundant: bool,
}

/// Every entry of one host's stack, each with its path, into `out` (cleared first).
fn entries<'a>(c: &'a HostClass, rules: &'a Rules, out: &mut Vec<Entry<'a>>) {
    out.clear();
    let mut push = |layer, provider: &'a str, region: Option<&'a str>, path, redundant| {
        out.push(Entry {
            layer,
            provider,
            region,
            path,
            redundant,
        });
    };
    if let Some(cloud) = &c.cloud {
        let path = if c.hosting.as_ref() == Some(cloud) || c.hosting.is_none() {
            Path::Hosting
        } else {
            Path::Platform
        };
        push(ExposureLayer::Cloud, cloud, None, path, false);
    }
    if let Some(h) = c.hosting.as_ref().filter(|h| c.cloud.as_ref() != Some(*h)) {
        push(ExposureLayer::Hosting, h, None, Path::Hosting, false);
    }
    if let (Some(h), Some(r)) = (&c.hosting, &c.region) {
        push(ExposureLayer::Region, h, Some(r), Path::Hosting, false);
    }
    let cdns = usize::from(c.edge.is_some()) + c.edge_also.len();
    let (has_edge, multi_cdn) = (cdns > 0, cdns > 1);
    let origin_unknown = c.hosting.is_none() && c.cloud.is_none();
    for e in c.edge.iter().chain(c.edge_also.iter()) {
        push(ExposureLayer::Edge, e, None, Path::Edge, multi_cdn);
        // Behind a CDN with no evidence of the origin, the site is counted under the CDN, never
        // under a cloud it may not use.
        if origin_unknown {
            push(ExposureLayer::Cloud, e, None, Path::Edge, multi_cdn);
        }
    }
    let redundant_dns = c.redundant_dns();
    for d in c.dns.iter().chain(c.dns_also.iter()) {
        push(ExposureLayer::Dns, d, None, Path::Dns, redundant_dns);
        // A cloud's DNS product (Route 53 is AWS's): the site depends on that cloud through it.
        if let Some(cloud) = cloud_of(rules, d) {
            push(ExposureLayer::Cloud, cloud, None, Path::Dns, redundant_dns);
        }
    }
    if let Some(d) = c
        .edge_dns
        .as_ref()
        .filter(|d| has_edge && c.edge.as_ref() != Some(*d))
    {
        push(ExposureLayer::Dns, d, None, Path::EdgeDns, multi_cdn);
        if let Some(cloud) = cloud_of(rules, d) {
            push(ExposureLayer::Cloud, cloud, None, Path::EdgeDns, multi_cdn);
        }
    }
}

/// The cloud a provider is or runs on, when that is a cloud (Route 53 → AWS; NS1 → none).
fn cloud_of<'r>(rules: &'r Rules, id: &str) -> Option<&'r str> {
    let last = rules.ultimate(id)?;
    (last.kind == ProviderKind::Cloud).then_some(last.id.as_str())
}

/// A host of the site's pages through which an entry is reached (borrowed until the entry
/// keeps it as a [`Via`]).
#[derive(Clone, Copy)]
struct HostRef<'a> {
    host: &'a str,
    dep: &'a Dependency,
    class: &'a HostClass,
}

/// What one entry of a site's exposure collects on its way.
#[derive(Default)]
struct Acc<'a> {
    paths: Vec<Path>,
    /// Some path (own or through a critical host) is not redundant.
    critical: bool,
    /// The entry is reached through a host its pages need.
    needed: bool,
    via: Vec<HostRef<'a>>,
}

/// The exposure of a site: its main host's stack plus every looked-up host its pages load,
/// read from `classes`; `rules` say which providers are clouds (a DNS product's cloud).
pub fn exposure(record: &SiteRecord, classes: &dyn ClassOf, rules: &Rules) -> Exposure {
    exposure_naming(record, classes, rules, MAX_VIA)
}

/// [`exposure`] naming at most `named` hosts per entry. Counting needs one (it says how the
/// site depends on the entry, and through which host); only a row that lists the hosts needs
/// [`MAX_VIA`], and naming them is most of the work at 50 dependencies a site.
pub fn exposure_naming(
    record: &SiteRecord,
    classes: &dyn ClassOf,
    rules: &Rules,
    named: usize,
) -> Exposure {
    type Key<'a> = (ExposureLayer, &'a str, Option<&'a str>);
    // A sorted vector: tens of entries a site, and a `BTreeMap` of these types was 5 KB of wasm.
    let mut all: LiteMap<Key<'_>, Acc<'_>> = LiteMap::new();
    let mut buf: Vec<Entry<'_>> = Vec::with_capacity(8);
    if let Some(c) = classes.class_of(&record.main_host) {
        entries(c, rules, &mut buf);
        for e in buf.drain(..) {
            let acc = all.entry((e.layer, e.provider, e.region)).or_default();
            if !acc.paths.contains(&e.path) {
                acc.paths.push(e.path);
            }
            acc.critical |= !e.redundant;
            acc.needed = true;
        }
    }
    for (host, dep) in &record.deps {
        if *host == record.main_host {
            continue;
        }
        let Some(class) = classes.class_of(host) else {
            continue;
        };
        let via = HostRef {
            host: host.as_str(),
            dep,
            class,
        };
        entries(class, rules, &mut buf);
        for e in buf.drain(..) {
            let acc = all.entry((e.layer, e.provider, e.region)).or_default();
            acc.critical |= dep.critical && !e.redundant;
            acc.needed |= dep.critical;
            // One host may reach an entry twice (its cloud, and that cloud's DNS product):
            // hosts come one after the other, so a repeat is the last one.
            if acc.via.last().is_none_or(|v| v.host != via.host) {
                acc.via.push(via);
            }
        }
    }
    let mut critical = Vec::new();
    let mut non_critical = Vec::new();
    for ((layer, provider, region), mut acc) in all {
        // The site's own hosts first, then third parties; by name within each.
        crate::sort::sort_by(&mut acc.via, |a, b| {
            (a.dep.third_party, a.host).cmp(&(b.dep.third_party, b.host))
        });
        crate::sort::sort_by(&mut acc.paths, Ord::cmp);
        let third_party = acc.via.iter().any(|v| v.dep.third_party);
        let total = acc.via.len();
        let via: Vec<Via> = acc
            .via
            .iter()
            .take(named.min(MAX_VIA))
            .map(|v| Via {
                host: v.host.to_owned(),
                third_party: v.dep.third_party,
                role: role_of(v.host, v.dep).to_owned(),
                hosting: v.class.hosting.clone(),
                region: v.class.region.clone(),
            })
            .collect();
        let e = Exposed {
            layer,
            provider: provider.to_owned(),
            region: region.map(str::to_owned),
            own: !acc.paths.is_empty(),
            paths: acc.paths,
            more: u32::try_from(total - via.len()).unwrap_or(u32::MAX),
            via,
            third_party,
            redundant: acc.needed && !acc.critical,
        };
        if acc.critical {
            critical.push(e);
        } else {
            non_critical.push(e);
        }
    }
    let order = |v: &mut Vec<Exposed>| {
        // Stack order, then the most hosts first.
        crate::sort::sort_by(v, |a, b| {
            a.layer
                .cmp(&b.layer)
                .then_with(|| (b.via.len() + b.more as usize).cmp(&(a.via.len() + a.more as usize)))
                .then_with(|| a.provider.cmp(&b.provider))
                .then_with(|| a.region.cmp(&b.region))
        });
    };
    order(&mut critical);
    order(&mut non_critical);
    Exposure {
        critical,
        non_critical,
    }
}

#[cfg(test)]
mod tests;
