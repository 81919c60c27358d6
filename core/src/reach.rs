//! The figures the pages lead with, from each site's exposure: the groups of sites that share a
//! provider, region or DNS provider, the headline, and what-if. One definition everywhere: a
//! site counts under a provider when a critical entry of its exposure names it, by the closest
//! path ([`Through`]).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::health::HealthState;

use crate::summary::SiteSummary;
use crate::Millis;

use crate::exposure::{ExposureLayer, Path, Through};

/// The window of the headline figure.
pub const WEEK_MS: Millis = 7 * 86_400_000;

/// How the sites are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// By the cloud a site runs on or depends on (through its hosting, its DNS, a host it needs;
    /// behind a CDN with an unknown origin, by the CDN).
    Cloud,
    /// By hosting provider and region.
    Region,
    /// By authoritative DNS provider (a redundant set is a group of its own).
    Dns,
}

/// A group: a provider, a provider and region, or a redundant set of DNS operators.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GroupKey {
    /// Provider id (for a redundant DNS set, the first).
    pub provider: String,
    /// Region, for region groups.
    pub region: Option<String>,
    /// The other DNS providers of a redundant set.
    pub also: Vec<String>,
    /// A redundant set that includes the site's own name servers.
    pub own: bool,
    /// A redundant set that includes name servers of no provider the rules know.
    pub other: bool,
}

impl GroupKey {
    /// A provider group.
    pub fn provider(id: &str) -> Self {
        Self {
            provider: id.to_owned(),
            region: None,
            also: Vec::new(),
            own: false,
            other: false,
        }
    }

    /// True for a redundant DNS set.
    pub fn is_redundant(&self) -> bool {
        !self.also.is_empty() || self.own || self.other
    }
}

/// How many sites of a group depend on it by each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Counts {
    /// Their main host runs there (its hosting, region, platform or cloud).
    pub hosted: usize,
    /// Their main host is behind it (a CDN).
    pub edge: usize,
    /// It answers their DNS (or their CDN's).
    pub dns: usize,
    /// Another of their own hosts runs there.
    pub own_host: usize,
    /// Only third parties they need run there.
    pub third_party: usize,
}

impl Counts {
    fn add(&mut self, how: Option<Through>) {
        match how {
            Some(Through::Main(Path::Hosting | Path::Platform)) | None => self.hosted += 1,
            Some(Through::Main(Path::Edge)) => self.edge += 1,
            Some(Through::Main(Path::Dns | Path::EdgeDns)) => self.dns += 1,
            Some(Through::OwnHost) => self.own_host += 1,
            Some(Through::ThirdParty) => self.third_party += 1,
        }
    }

    /// Sites that depend on it otherwise than by running there.
    pub fn indirect(&self) -> usize {
        self.edge + self.dns + self.own_host + self.third_party
    }
}

/// Sites sharing one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The group; `None` for the sites whose layer is unknown.
    pub key: Option<GroupKey>,
    /// Indices into the site list, in its order.
    pub sites: Vec<usize>,
    /// How many of them are down or degraded.
    pub failing: usize,
    /// How they depend on it.
    pub by: Counts,
}

impl GroupBy {
    /// Every grouping, in the order of the toggle.
    pub const ALL: [GroupBy; 3] = [GroupBy::Cloud, GroupBy::Region, GroupBy::Dns];

    fn layer(self) -> ExposureLayer {
        match self {
            GroupBy::Cloud => ExposureLayer::Cloud,
            GroupBy::Region => ExposureLayer::Region,
            GroupBy::Dns => ExposureLayer::Dns,
        }
    }

    /// Every group a site counts in, with the closest way it depends on it; one `None` group
    /// when it counts in none of this layer.
    pub fn keys(self, s: &SiteSummary) -> Vec<(Option<GroupKey>, Option<Through>)> {
        let layer = self.layer();
        let mut out: Vec<(Option<GroupKey>, Option<Through>)> = Vec::new();
        for e in s.exposure.critical.iter().filter(|e| e.layer == layer) {
            let key = Some(GroupKey {
                region: e.region.clone(),
                ..GroupKey::provider(&e.provider)
            });
            let how = e.through();
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some(m) => m.1 = m.1.min(how),
                None => out.push((key, how)),
            }
        }
        if out.is_empty() && self == GroupBy::Region {
            // Hosted where no feed says the region: a group of its own per provider.
            if let Some(h) = &s.class.hosting {
                out.push((
                    Some(GroupKey {
                        region: Some(String::new()),
                        ..GroupKey::provider(h)
                    }),
                    Some(Through::Main(Path::Hosting)),
                ));
            }
        }
        if out.is_empty() && self == GroupBy::Dns && s.class.redundant_dns() {
            // No one DNS provider is critical: the redundant set is the group.
            let mut all = s.class.dns.iter().chain(s.class.dns_also.iter());
            if let Some(first) = all.next() {
                out.push((
                    Some(GroupKey {
                        also: all.cloned().collect(),
                        own: s.class.own_dns,
                        other: s.class.dns_other,
                        ..GroupKey::provider(first)
                    }),
                    Some(Through::Main(Path::Dns)),
                ));
            }
        }
        if out.is_empty() {
            out.push((None, None));
        }
        out
    }
}

/// Sorts a list through one shared, non-generic sort of indices: every `sort_by` with its own
/// closure is another copy of the sort in a page's wasm.
pub fn sort_with<T>(items: &mut Vec<T>, cmp: &dyn Fn(&T, &T) -> Ordering) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    sort_indices(&mut order, &|a, b| cmp(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = std::mem::take(items).into_iter().map(Some).collect();
    items.extend(
        order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take)),
    );
}

/// Stable sort of indices by a comparator.
pub fn sort_indices(idx: &mut [usize], cmp: &dyn Fn(usize, usize) -> Ordering) {
    crate::sort::positions(idx, &mut |a, b| cmp(a, b));
}

/// True when the site does not work right now.
pub fn is_failing(s: &SiteSummary) -> bool {
    matches!(s.status, HealthState::Down | HealthState::Degraded)
}

/// Groups the sites at `idx`, largest first (ties by key), the unknown group last. A site
/// counts in every group of the layer it critically depends on ([`GroupBy::keys`]).
pub fn group(sites: &[SiteSummary], idx: &[usize], by: GroupBy) -> Vec<Group> {
    // A Vec and a linear search: groups are few (tens), and a hash map per call site costs
    // wasm size for no measurable speed at 1,000 sites.
    let mut groups: Vec<Group> = Vec::new();
    for &i in idx {
        let Some(s) = sites.get(i) else { continue };
        let failing = is_failing(s);
        for (key, how) in by.keys(s) {
            let n = match groups.iter().position(|g| g.key == key) {
                Some(n) => n,
                None => {
                    groups.push(Group {
                        key,
                        sites: Vec::new(),
                        failing: 0,
                        by: Counts::default(),
                    });
                    groups.len() - 1
                }
            };
            let g = &mut groups[n];
            g.sites.push(i);
            g.failing += usize::from(failing);
            g.by.add(how);
        }
    }
    sort_with(&mut groups, &|a: &Group, b: &Group| {
        a.key
            .is_none()
            .cmp(&b.key.is_none())
            .then_with(|| b.sites.len().cmp(&a.sites.len()))
            .then_with(|| a.key.cmp(&b.key))
    });
    groups
}

/// The one figure the popup leads with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Headline {
    /// Sites counted.
    pub total: usize,
    /// True when they are the sites of the last 7 days (else all sites: none this week).
    pub this_week: bool,
    /// The cloud the most sites depend on, and how many.
    pub cloud: Option<(String, usize)>,
    /// How those depend on it.
    pub by: Counts,
    /// That cloud's region the most sites depend on, and how many.
    pub region: Option<(String, usize)>,
}

/// Rounded percentage, 0 when `total` is 0.
pub fn percent(n: usize, total: usize) -> usize {
    (n * 100 + total / 2).checked_div(total).unwrap_or(0)
}

/// The headline: share of the week's sites on the cloud the most depend on, and in its biggest
/// region, counting each site under every cloud and region it critically depends on.
pub fn headline(sites: &[SiteSummary], now: Millis) -> Option<Headline> {
    if sites.is_empty() {
        return None;
    }
    let week: Vec<usize> = (0..sites.len())
        .filter(|&i| now.saturating_sub(sites[i].last_seen) <= WEEK_MS)
        .collect();
    let this_week = !week.is_empty();
    let idx: Vec<usize> = if this_week {
        week
    } else {
        (0..sites.len()).collect()
    };
    let clouds = group(sites, &idx, GroupBy::Cloud);
    let top = clouds.first().and_then(|g| {
        g.key
            .as_ref()
            .map(|k| (k.provider.clone(), g.sites.len(), g.by))
    });
    let region = top.as_ref().and_then(|(cloud, _, _)| {
        group(sites, &idx, GroupBy::Region)
            .into_iter()
            .find(|g| g.key.as_ref().is_some_and(|k| k.provider == *cloud))
            .and_then(|g| {
                let n = g.sites.len();
                Some((g.key?.region?, n))
            })
    });
    Some(Headline {
        total: idx.len(),
        this_week,
        by: top.as_ref().map(|t| t.2).unwrap_or_default(),
        cloud: top.map(|(c, n, _)| (c, n)),
        region,
    })
}

/// What a what-if scenario takes down; on the wire as [`Target::encode`] gives it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Target {
    /// A provider at any layer: cloud, hosting, edge or DNS.
    Provider(String),
    /// One region of one hosting provider.
    Region(String, String),
    /// One provider's DNS only (Route 53, not the rest of AWS).
    Dns(String),
}

/// How one site depends on a what-if target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The closest way.
    pub through: Through,
    /// The host, when not the main one.
    pub host: Option<&'a str>,
}

impl Target {
    /// How the site depends on the target, if it does (the closest way, and which host when
    /// not its main one).
    pub fn hit<'a>(&self, s: &'a SiteSummary) -> Option<Hit<'a>> {
        let mut best: Option<Hit<'a>> = None;
        for e in &s.exposure.critical {
            let on_target = match self {
                Target::Provider(p) => e.provider == *p,
                Target::Region(h, r) => {
                    e.layer == ExposureLayer::Region
                        && e.provider == *h
                        && e.region.as_deref() == Some(r.as_str())
                }
                Target::Dns(p) => e.layer == ExposureLayer::Dns && e.provider == *p,
            };
            if !on_target {
                continue;
            }
            let Some(through) = e.through() else { continue };
            let host = match through {
                Through::Main(_) => None,
                _ => e.via.first().map(|v| v.host.as_str()),
            };
            if best.is_none_or(|b| through < b.through) {
                best = Some(Hit { through, host });
            }
        }
        best
    }

    /// A form value encoding the target (`p:aws`, `r:aws:us-east-1`, `d:aws`); ids hold no
    /// `:`.
    pub fn encode(&self) -> String {
        match self {
            Target::Provider(p) => format!("p:{p}"),
            Target::Region(h, r) => format!("r:{h}:{r}"),
            Target::Dns(p) => format!("d:{p}"),
        }
    }

    /// The inverse of [`Target::encode`].
    pub fn decode(v: &str) -> Option<Target> {
        if let Some(p) = v.strip_prefix("p:") {
            return Some(Target::Provider(p.to_owned()));
        }
        if let Some(p) = v.strip_prefix("d:") {
            return Some(Target::Dns(p.to_owned()));
        }
        let (h, r) = v.strip_prefix("r:")?.split_once(':')?;
        Some(Target::Region(h.to_owned(), r.to_owned()))
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.encode()
    }
}

impl TryFrom<String> for Target {
    type Error = String;

    fn try_from(v: String) -> Result<Target, String> {
        Target::decode(&v).ok_or_else(|| format!("not a what-if target: {v:?}"))
    }
}

/// What a what-if scenario takes down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatIf<'a> {
    /// The sites hit (indices into the list, in its order) and how.
    pub hits: Vec<(usize, Hit<'a>)>,
    /// All the sites.
    pub total: usize,
}

impl WhatIf<'_> {
    /// How the sites hit depend on the target.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for (_, h) in &self.hits {
            c.add(Some(h.through));
        }
        c
    }
}

/// The sites that break if `target` fails.
pub fn what_if<'a>(sites: &'a [SiteSummary], target: &Target) -> WhatIf<'a> {
    WhatIf {
        hits: sites
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, target.hit(s)?)))
            .collect(),
        total: sites.len(),
    }
}

/// The choices of the what-if picker, each with how many sites it would take down, most first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WhatIfChoices {
    /// Clouds and hosting providers.
    pub hosts: Vec<(Target, usize)>,
    /// Edge / CDN providers.
    pub edges: Vec<(Target, usize)>,
    /// DNS providers (their DNS alone).
    pub dns: Vec<(Target, usize)>,
    /// Hosting regions.
    pub regions: Vec<(Target, usize)>,
}

/// Every provider, region and DNS provider the sites critically depend on, with the number of
/// sites each would take down.
pub fn what_if_choices(sites: &[SiteSummary]) -> WhatIfChoices {
    let mut hosts: Vec<Target> = Vec::new();
    let mut edges: Vec<Target> = Vec::new();
    let mut dns: Vec<Target> = Vec::new();
    let mut regions: Vec<Target> = Vec::new();
    fn push(v: &mut Vec<Target>, t: Target) {
        if !v.contains(&t) {
            v.push(t);
        }
    }
    for s in sites {
        for e in &s.exposure.critical {
            let p = e.provider.clone();
            match (e.layer, &e.region) {
                (ExposureLayer::Cloud | ExposureLayer::Hosting, _) => {
                    push(&mut hosts, Target::Provider(p));
                }
                (ExposureLayer::Region, Some(r)) => {
                    push(&mut hosts, Target::Provider(p.clone()));
                    push(&mut regions, Target::Region(p, r.clone()));
                }
                (ExposureLayer::Region, None) => push(&mut hosts, Target::Provider(p)),
                (ExposureLayer::Edge, _) => push(&mut edges, Target::Provider(p)),
                (ExposureLayer::Dns, _) => push(&mut dns, Target::Dns(p)),
            }
        }
    }
    let counted = |targets: Vec<Target>| {
        let mut v: Vec<(Target, usize)> = targets
            .into_iter()
            .map(|t| {
                let n = what_if(sites, &t).hits.len();
                (t, n)
            })
            .collect();
        sort_with(&mut v, &|a, b| {
            b.1.cmp(&a.1).then_with(|| a.0.encode().cmp(&b.0.encode()))
        });
        v
    };
    WhatIfChoices {
        hosts: counted(hosts),
        edges: counted(edges),
        dns: counted(dns),
        regions: counted(regions),
    }
}
