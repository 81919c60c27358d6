//! Correlation: failing sites grouped by cloud, region, edge and DNS provider, a group
//! reported when the hypergeometric tail says the concentration is no chance.

use litemap::LiteMap;

use serde::{Deserialize, Serialize};

use crate::exposure::{Exposed, ExposureLayer};
use crate::health::HealthState;

/// What correlation needs to know about one site: its state and every group it critically
/// depends on (read from its exposure, the one definition of "depends on").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteFacts {
    /// The site key.
    pub site: String,
    /// Whether it works right now.
    pub state: HealthState,
    /// The critical entries of its exposure.
    pub exposure: Vec<Exposed>,
    /// Failing critical third parties the site's failure is put down to (its own hosts answer).
    #[serde(default)]
    pub blamed: Vec<String>,
}

/// Failures concentrating on one provider, region, edge or DNS provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Correlation {
    /// Which layer: `cloud`, `region`, `edge`, `dns` or `hosting`.
    pub layer: ExposureLayer,
    /// The group: a provider id (`aws`), or provider and region (`aws us-east-1`).
    pub key: String,
    /// Failing sites in the group.
    pub failing_in_group: u32,
    /// Failing sites in all.
    pub failing_total: u32,
    /// Healthy sites in the group.
    pub healthy_in_group: u32,
    /// Healthy sites in all.
    pub healthy_total: u32,
    /// Probability of at least this many failing sites in the group by chance (hypergeometric).
    pub p_value: f64,
    /// The failing sites in the group.
    pub sites: Vec<String>,
    /// Failing sites in the group only through a third party they need (their own hosts
    /// answer).
    #[serde(default)]
    pub through_third_party: u32,
    /// "4 of 5 failing sites are on AWS us-east-1; 0 of 12 healthy sites are there".
    pub message: String,
}

/// "Amazon Web Services", "Amazon Web Services us-east-1", "Route 53 DNS"…
fn group_label(e: &Exposed, names: &dyn Fn(&str) -> String) -> String {
    match (&e.region, e.layer) {
        (Some(r), _) => format!("{} {r}", names(&e.provider)),
        (None, ExposureLayer::Dns) => format!("{} DNS", names(&e.provider)),
        (None, _) => names(&e.provider),
    }
}

/// A suggested significance level for [`correlate`]: several dozen groups are tested at once,
/// so a strict level keeps chance concentrations quiet.
pub const DEFAULT_ALPHA: f64 = 0.01;

/// Groups failing sites by cloud, region, edge and DNS provider and reports the groups where
/// failures concentrate, strongest (smallest p) first.
///
/// Only [`HealthState::Down`] and [`HealthState::Degraded`] count as failing and only
/// [`HealthState::Up`] as healthy; unknown sites are left out of both counts. A group is
/// reported when at least `max(2, min_failing)` of its sites fail and the hypergeometric
/// probability of that many or more by chance ([`hypergeometric_tail`], against the group's
/// share of all counted sites) is at most `alpha`, so a single failing site never raises an
/// alarm. `names` turns a provider id into its display name ("aws" → "AWS").
pub fn correlate(
    sites: &[SiteFacts],
    min_failing: u32,
    alpha: f64,
    names: &dyn Fn(&str) -> String,
) -> Vec<Correlation> {
    struct Group {
        label: String,
        failing: Vec<String>,
        /// Failing sites counted here through a third party.
        through: u32,
        healthy: u32,
    }
    // Sorted vectors, not `BTreeMap`s: a few hundred groups, and each map of these key and
    // value types was its own 5 KB of the worker's wasm.
    let mut groups: LiteMap<(ExposureLayer, String), Group> = LiteMap::new();
    let (mut failing_total, mut healthy_total) = (0u32, 0u32);
    for s in sites {
        let failing = match s.state {
            HealthState::Down | HealthState::Degraded => true,
            HealthState::Up => false,
            HealthState::Unknown => continue,
        };
        if failing {
            failing_total += 1;
        } else {
            healthy_total += 1;
        }
        // A failing site put down to third parties counts where those run, not where its own
        // (answering) hosts do; any other site counts wherever it is exposed: its own stack
        // and that of every host it needs. Each group counts a site once.
        let mut member: LiteMap<(ExposureLayer, String), (String, bool)> = LiteMap::new();
        let blamed = failing && !s.blamed.is_empty();
        for e in &s.exposure {
            // A failing site put down to third parties counts only where those run.
            if blamed && !e.via.iter().any(|v| s.blamed.contains(&v.host)) {
                continue;
            }
            let third_party = !e.own && e.via.iter().all(|v| v.third_party);
            member.insert((e.layer, e.key()), (group_label(e, names), third_party));
        }
        for ((layer, key), (label, third_party)) in member {
            let g = groups.entry((layer, key)).or_insert_with(|| Group {
                label,
                failing: Vec::new(),
                through: 0,
                healthy: 0,
            });
            if failing {
                g.failing.push(s.site.clone());
                g.through += u32::from(third_party);
            } else {
                g.healthy += 1;
            }
        }
    }
    let population = failing_total + healthy_total;
    let threshold = min_failing.max(2);
    let mut out: Vec<Correlation> = Vec::new();
    for ((layer, key), mut g) in groups {
        let k = u32::try_from(g.failing.len()).unwrap_or(u32::MAX);
        if k < threshold {
            continue;
        }
        let p = hypergeometric_tail(population, k + g.healthy, failing_total, k);
        let significant = p <= alpha;
        if !significant {
            continue;
        }
        crate::sort::sort_by(&mut g.failing, Ord::cmp);
        let healthy_part = if healthy_total == 1 {
            format!("{} of 1 healthy site is there", g.healthy)
        } else {
            format!("{} of {healthy_total} healthy sites are there", g.healthy)
        };
        out.push(Correlation {
            layer,
            key,
            failing_in_group: k,
            failing_total,
            healthy_in_group: g.healthy,
            healthy_total,
            p_value: p,
            sites: g.failing,
            through_third_party: g.through,
            message: format!(
                "{k} of {failing_total} failing sites are on {}{}; {healthy_part}",
                g.label,
                match g.through {
                    0 => String::new(),
                    n if n == k => " (all through a third party)".to_owned(),
                    n => format!(" ({n} through a third party)"),
                }
            ),
        });
    }
    // Strongest first; for equal strength the bigger group, then cloud before region, edge, DNS.
    crate::sort::sort_by(&mut out, |a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.failing_in_group.cmp(&a.failing_in_group))
            .then(a.layer.cmp(&b.layer))
    });
    out
}

/// P(X ≥ `observed`) for X hypergeometric: `draws` items drawn without replacement from a
/// `population` holding `successes` marked items (here: of all failing sites, how many would
/// land in a group of this size by chance). Computed in log space, so thousands of sites
/// neither overflow nor underflow into nonsense. Inconsistent arguments give 1 (no evidence).
pub fn hypergeometric_tail(population: u32, successes: u32, draws: u32, observed: u32) -> f64 {
    if successes > population || draws > population {
        return 1.0;
    }
    let hi = successes.min(draws);
    // The smallest possible count: draws beyond the unmarked items must be marked.
    let lo = draws.saturating_sub(population - successes);
    if observed <= lo {
        return 1.0;
    }
    if observed > hi {
        return 0.0;
    }
    let ln_total = ln_choose(population, draws);
    let terms: Vec<f64> = (observed..=hi)
        .map(|x| ln_choose(successes, x) + ln_choose(population - successes, draws - x) - ln_total)
        .collect();
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - max).exp()).sum();
    (max + sum.ln()).exp().clamp(0.0, 1.0)
}

/// ln C(n, k).
fn ln_choose(n: u32, k: u32) -> f64 {
    if k > n {
        return f64::NEG_INFINITY;
    }
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// ln n!, exact summation for small n and Lanczos' ln Γ(n + 1) beyond.
pub(super) fn ln_factorial(n: u32) -> f64 {
    if n < 32 {
        return (2..=n).map(|i| f64::from(i).ln()).sum();
    }
    ln_gamma(f64::from(n) + 1.0)
}

/// ln Γ(x) for x ≥ 1 (Lanczos, g = 7, nine coefficients; relative error ≈ 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

#[cfg(test)]
mod tests;
