//! `lookup`: names over DoH, one profile each.

use anyhow::Result;
use onebasket::engine::{Engine, EngineConfig};
use onebasket::profile::{Resolution, SiteProfile};
use onebasket::rules::Rules;

use crate::doh::{drive, failure_line, Transport};
use crate::feeds::load_classifier;
use crate::NetArgs;

pub(crate) async fn lookup(net: NetArgs, json: bool, names: Vec<String>) -> Result<bool> {
    let transport = Transport::new(&net)?;
    let classifier = load_classifier(&net.feeds, true).await?;
    let config = EngineConfig {
        asn_lookups: !net.no_asn,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(classifier, config);
    let mut ok = true;
    let names: Vec<String> = names.iter().map(|n| host_of(n)).collect();
    drive(
        &mut engine,
        &transport,
        &names,
        8,
        |_, result| match result {
            Err(e) => {
                ok = false;
                eprintln!("onebasket: {e}");
            }
            Ok(p) => {
                if let Some(line) = failure_line(&p) {
                    ok = false;
                    eprintln!("onebasket: {line}");
                    if matches!(p.resolution, Resolution::ResolverError(_)) {
                        return;
                    }
                }
                if json {
                    match serde_json::to_string(&p) {
                        Ok(s) => println!("{s}"),
                        Err(e) => eprintln!("onebasket: {}: {e}", p.name),
                    }
                } else {
                    print_profile(&p, engine_rules());
                }
            }
        },
    )
    .await;
    Ok(ok)
}

/// The built-in rules for display names (already validated when the classifier was built).
pub(crate) fn engine_rules() -> Option<&'static Rules> {
    static RULES: std::sync::OnceLock<Option<Rules>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().ok()).as_ref()
}

/// Accepts `https://www.example.com/path` as `www.example.com`.
pub(crate) fn host_of(arg: &str) -> String {
    match reqwest::Url::parse(arg) {
        Ok(u) if u.has_host() && matches!(u.scheme(), "http" | "https") => u
            .host_str()
            .unwrap_or(arg)
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        _ => arg.to_owned(),
    }
}

fn name_of(rules: Option<&Rules>, id: &str) -> String {
    rules
        .and_then(|r| r.get(id))
        .map_or_else(|| id.to_owned(), |p| format!("{} ({id})", p.name))
}

fn print_profile(p: &SiteProfile, rules: Option<&Rules>) {
    let dash = || "-".to_owned();
    println!("{}  (site {})", p.name, p.site.as_deref().unwrap_or("-"));
    let addrs: Vec<String> = p.addresses.iter().map(ToString::to_string).collect();
    println!(
        "  addresses  {}",
        if addrs.is_empty() {
            dash()
        } else {
            addrs.join(", ")
        }
    );
    if !p.cname_chain.is_empty() {
        println!("  cname      {}", p.cname_chain.join(" → "));
    }
    let dns = p.dns.provider.as_deref().map_or_else(dash, |id| {
        format!(
            "{} [{}]",
            p.dns.product.clone().unwrap_or_else(|| name_of(rules, id)),
            id
        )
    });
    println!("  dns        {dns}");
    println!(
        "  edge       {}",
        p.edge
            .provider
            .as_deref()
            .map_or_else(dash, |id| name_of(rules, id))
    );
    let mut host = p
        .hosting
        .provider
        .as_deref()
        .map_or_else(dash, |id| name_of(rules, id));
    for part in [&p.hosting.region, &p.hosting.service]
        .into_iter()
        .flatten()
    {
        host.push(' ');
        host.push_str(part);
    }
    if let Some(asn) = p.hosting.asn {
        host.push_str(&format!("  AS{asn}"));
        if let Some(h) = &p.hosting.asn_holder {
            host.push_str(&format!(" {h}"));
        }
    }
    println!("  hosting    {host}");
    println!(
        "  cloud      {}   (confidence {:?})",
        p.cloud
            .as_deref()
            .map_or_else(dash, |id| name_of(rules, id)),
        p.confidence
    );
    for e in &p.evidence {
        println!("    · {}", e.text);
    }
}
