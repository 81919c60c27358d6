//! The figures of third-party dependency research (Kashaf et al., "Analyzing Third Party
//! Service Dependencies in Modern Web Services", IMC 2020), over a list of sites, so the CLI's
//! `report` can be set beside published tables. Per category (DNS, CDN, hosting):
//! - **third party**: the share of sites that use a third party for it (DNS: a name server not
//!   under the site's own domain; CDN: any CDN; hosting: a provider the rules know);
//! - **critical**: the share that depend on one critically, with no redundancy (DNS: one
//!   operator; CDN: one CDN; hosting: always, one host is all we see);
//! - **top-3 reach**: the share of sites that use at least one of the category's three most used
//!   providers directly, and **with indirect dependencies**: through any path of the site's
//!   stack (a CDN's own DNS, a platform's cloud, a cloud's DNS product).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::deps::HostClass;
use crate::rules::Rules;

use super::{entries, ExposureLayer};

/// One provider's reach in a category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reach {
    /// Provider id.
    pub provider: String,
    /// Sites using it directly in this category.
    pub sites: usize,
    /// Their share of all sites, in percent.
    pub percent: f64,
}

/// The figures of one category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Sites using a third party for it.
    pub third_party: usize,
    /// Their share of all sites, in percent.
    pub third_party_percent: f64,
    /// Sites depending on one critically (no redundancy).
    pub critical: usize,
    /// Their share of all sites, in percent.
    pub critical_percent: f64,
    /// Every provider used directly, the most used first.
    pub providers: Vec<Reach>,
    /// Sites using at least one of the three most used providers directly.
    pub top3_reach: usize,
    /// Their share of all sites, in percent.
    pub top3_reach_percent: f64,
    /// Sites depending on at least one of those three through any path.
    pub top3_reach_indirect: usize,
    /// Their share of all sites, in percent.
    pub top3_reach_indirect_percent: f64,
}

/// The figures of a list of sites.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Research {
    /// Sites counted (those that resolved).
    pub sites: usize,
    /// Authoritative DNS.
    pub dns: Category,
    /// CDN.
    pub cdn: Category,
    /// Hosting.
    pub hosting: Category,
}

/// Percent of `n` in `total`, 0 when `total` is 0.
fn percent(n: usize, total: usize) -> f64 {
    if total == 0 {
        0.0
    } else {
        100.0 * n as f64 / total as f64
    }
}

/// What one site says of one category: whether it uses a third party, whether critically, and
/// which providers directly.
struct Use {
    third_party: bool,
    critical: bool,
    direct: Vec<String>,
}

/// The figures of one category over `sites`, each site's use given by `category`.
fn category(sites: &[(Use, BTreeSet<String>)]) -> Category {
    let total = sites.len();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (u, _) in sites {
        for p in &u.direct {
            *counts.entry(p.as_str()).or_default() += 1;
        }
    }
    let mut providers: Vec<Reach> = counts
        .into_iter()
        .map(|(provider, n)| Reach {
            provider: provider.to_owned(),
            sites: n,
            percent: percent(n, total),
        })
        .collect();
    crate::sort::sort_by(&mut providers, |a, b| {
        b.sites
            .cmp(&a.sites)
            .then_with(|| a.provider.cmp(&b.provider))
    });
    let top3: Vec<&str> = providers
        .iter()
        .take(3)
        .map(|r| r.provider.as_str())
        .collect();
    let third_party = sites.iter().filter(|(u, _)| u.third_party).count();
    let critical = sites.iter().filter(|(u, _)| u.critical).count();
    let top3_reach = sites
        .iter()
        .filter(|(u, _)| u.direct.iter().any(|p| top3.contains(&p.as_str())))
        .count();
    let top3_reach_indirect = sites
        .iter()
        .filter(|(_, any)| top3.iter().any(|p| any.contains(*p)))
        .count();
    Category {
        third_party,
        third_party_percent: percent(third_party, total),
        critical,
        critical_percent: percent(critical, total),
        providers,
        top3_reach,
        top3_reach_percent: percent(top3_reach, total),
        top3_reach_indirect,
        top3_reach_indirect_percent: percent(top3_reach_indirect, total),
    }
}

/// The research figures of sites given by their main host's class (what the CLI looks up).
pub fn research(sites: &[HostClass], rules: &Rules) -> Research {
    // Every provider a site depends on through any path of its stack.
    let any = |c: &HostClass| -> BTreeSet<String> {
        let mut buf = Vec::new();
        entries(c, rules, &mut buf);
        buf.iter()
            .filter(|e| e.layer != ExposureLayer::Region)
            .map(|e| e.provider.to_owned())
            .collect()
    };
    let per = |f: &dyn Fn(&HostClass) -> Use| -> Vec<(Use, BTreeSet<String>)> {
        sites.iter().map(|c| (f(c), any(c))).collect()
    };
    let dns = per(&|c| {
        let third_party = c.dns.is_some() || c.dns_other;
        Use {
            third_party,
            critical: third_party && !c.redundant_dns(),
            direct: c.dns.iter().chain(c.dns_also.iter()).cloned().collect(),
        }
    });
    let cdn = per(&|c| Use {
        third_party: c.edge.is_some(),
        critical: c.edge.is_some() && c.edge_also.is_empty(),
        direct: c.edge.iter().chain(c.edge_also.iter()).cloned().collect(),
    });
    let hosting = per(&|c| Use {
        third_party: c.hosting.is_some(),
        critical: c.hosting.is_some(),
        direct: c.hosting.iter().cloned().collect(),
    });
    Research {
        sites: sites.len(),
        dns: category(&dns),
        cdn: category(&cdn),
        hosting: category(&hosting),
    }
}
