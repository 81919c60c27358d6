//! `report`: the share of sites per cloud, region, edge and DNS provider.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use onebasket::engine::{Engine, EngineConfig};
use onebasket::profile::{Resolution, SiteProfile};

use crate::doh::{drive, failure_line, Transport};
use crate::feeds::load_classifier;
use crate::lookup::host_of;
use crate::NetArgs;

#[derive(serde::Serialize)]
struct Share {
    key: String,
    sites: usize,
    percent: f64,
}

#[derive(serde::Serialize)]
struct Report {
    sites: usize,
    resolved: usize,
    failed: usize,
    cloud: Vec<Share>,
    region: Vec<Share>,
    edge: Vec<Share>,
    dns: Vec<Share>,
}

fn shares(counts: BTreeMap<String, usize>, total: usize) -> Vec<Share> {
    let mut v: Vec<Share> = counts
        .into_iter()
        .map(|(key, sites)| Share {
            key,
            sites,
            percent: if total == 0 {
                0.0
            } else {
                100.0 * sites as f64 / total as f64
            },
        })
        .collect();
    v.sort_by(|a, b| b.sites.cmp(&a.sites).then_with(|| a.key.cmp(&b.key)));
    v
}

fn read_domains(file: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut seen = std::collections::HashSet::new();
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| host_of(l.rsplit(',').next().unwrap_or(l).trim()))
        .filter(|d| seen.insert(d.clone()))
        .collect())
}

pub(crate) async fn report(
    net: NetArgs,
    concurrency: usize,
    json: bool,
    file: &Path,
) -> Result<bool> {
    let domains = read_domains(file)?;
    let transport = Transport::new(&net)?;
    let classifier = load_classifier(&net.feeds, true).await?;
    let config = EngineConfig {
        asn_lookups: !net.no_asn,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(classifier, config);
    let bar = indicatif::ProgressBar::new(domains.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} sites  {elapsed_precise} ({eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut profiles: Vec<SiteProfile> = Vec::new();
    let mut failed = 0usize;
    drive(&mut engine, &transport, &domains, concurrency, |_, r| {
        bar.inc(1);
        match r {
            Ok(p) if p.resolution == Resolution::Ok => profiles.push(p),
            Ok(p) => {
                failed += 1;
                if let Some(line) = failure_line(&p) {
                    bar.suspend(|| eprintln!("onebasket: {line}"));
                }
            }
            Err(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("onebasket: {e}"));
            }
        }
    })
    .await;
    bar.finish_and_clear();
    let total = profiles.len();
    let count = |f: &dyn Fn(&SiteProfile) -> String| {
        let mut m = BTreeMap::new();
        for p in &profiles {
            *m.entry(f(p)).or_insert(0) += 1;
        }
        shares(m, total)
    };
    let unknown = || "unknown".to_owned();
    let r = Report {
        sites: domains.len(),
        resolved: total,
        failed,
        cloud: count(&|p| p.cloud.clone().unwrap_or_else(unknown)),
        region: count(&|p| match (&p.hosting.provider, &p.hosting.region) {
            (Some(prov), Some(region)) => format!("{prov} {region}"),
            (Some(prov), None) => format!("{prov} (no region)"),
            _ => unknown(),
        }),
        edge: count(&|p| p.edge.provider.clone().unwrap_or_else(|| "none".to_owned())),
        dns: count(&|p| p.dns.provider.clone().unwrap_or_else(unknown)),
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!(
            "{} sites, {} resolved, {} failed",
            r.sites, r.resolved, r.failed
        );
        for (title, list) in [
            ("cloud", &r.cloud),
            ("region", &r.region),
            ("edge / CDN", &r.edge),
            ("DNS provider", &r.dns),
        ] {
            println!("\nby {title}:");
            for s in list {
                println!("  {:>5.1} %  {:>6}  {}", s.percent, s.sites, s.key);
            }
        }
    }
    Ok(failed == 0)
}
