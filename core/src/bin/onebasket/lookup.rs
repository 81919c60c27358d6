//! `lookup`: names over DoH, one profile each, printed in the order of the arguments.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use onebasket::engine::{Engine, EngineConfig};
use onebasket::profile::{Resolution, SiteProfile};
use onebasket::rules::Rules;

use crate::doh::{drive, failure_line, Ended, Flow, Transport};
use crate::feeds::load_classifier;
use crate::{note, written, NetArgs, Outcome, StdoutClosed};

/// Look-ups (and DoH requests) at once for `lookup`.
const LOOKUP_CONCURRENCY: usize = 8;

/// Runs `lookup`.
pub(crate) async fn lookup(net: NetArgs, json: bool, names: Vec<String>) -> Result<Outcome> {
    let transport = Transport::new(&net, LOOKUP_CONCURRENCY)?;
    let classifier = load_classifier(&net.feeds, true).await?;
    let config = EngineConfig {
        asn_lookups: !net.no_asn,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(classifier, config);
    let names: Vec<String> = names.iter().map(|n| host_of(n)).collect();
    // Results arrive as look-ups finish; each is held until those before it are printed.
    let mut waiting: BTreeMap<usize, Result<SiteProfile, String>> = BTreeMap::new();
    let mut next = 0usize;
    let mut ok = true;
    let mut closed = false;
    let ended = drive(
        &mut engine,
        &transport,
        &names,
        LOOKUP_CONCURRENCY,
        None,
        |i, result| {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&next) {
                next += 1;
                match emit(result, json) {
                    Ok(item_ok) => ok &= item_ok,
                    Err(_) => {
                        closed = true;
                        return Flow::Stop;
                    }
                }
            }
            Flow::Continue
        },
    )
    .await;
    if closed || ended == Ended::Stopped {
        return Err(StdoutClosed.into());
    }
    Ok(Outcome::from_ok(ok))
}

/// Prints one item: its problem on stderr, its profile on stdout (JSON for every profile,
/// resolver errors included, so a script sees each name; text for those that resolved to
/// something). `Ok(false)` when the item failed; `Err` when stdout is gone.
fn emit(result: Result<SiteProfile, String>, json: bool) -> Result<bool> {
    let p = match result {
        Err(e) => {
            note!("{e}");
            return Ok(false);
        }
        Ok(p) => p,
    };
    let problem = failure_line(&p);
    if let Some(line) = &problem {
        note!("{line}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        match serde_json::to_string(&p) {
            Ok(s) => written(writeln!(out, "{s}"))?,
            Err(e) => note!("{}: {e}", p.name),
        }
    } else if !matches!(p.resolution, Resolution::ResolverError(_)) {
        written(print_profile(&mut out, &p, engine_rules()))?;
    }
    written(out.flush())?;
    Ok(problem.is_none())
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

fn print_profile(
    out: &mut impl Write,
    p: &SiteProfile,
    rules: Option<&Rules>,
) -> std::io::Result<()> {
    let dash = || "-".to_owned();
    writeln!(
        out,
        "{}  (site {})",
        p.name,
        p.site.as_deref().unwrap_or("-")
    )?;
    let addrs: Vec<String> = p.addresses.iter().map(ToString::to_string).collect();
    writeln!(
        out,
        "  addresses  {}",
        if addrs.is_empty() {
            dash()
        } else {
            addrs.join(", ")
        }
    )?;
    if !p.cname_chain.is_empty() {
        writeln!(out, "  cname      {}", p.cname_chain.join(" → "))?;
    }
    let mut dns = p.dns.provider.as_deref().map_or_else(dash, |id| {
        format!(
            "{} [{}]",
            p.dns.product.clone().unwrap_or_else(|| name_of(rules, id)),
            id
        )
    });
    for id in &p.dns.also {
        dns.push_str(&format!(" + {}", name_of(rules, id)));
    }
    if p.dns.own {
        dns = if p.dns.provider.is_some() {
            format!("{dns} + own name servers")
        } else {
            "own name servers".to_owned()
        };
    }
    if !p.dns.also.is_empty() || (p.dns.provider.is_some() && (p.dns.own || p.dns.other)) {
        dns.push_str("   (redundant: no one provider's failure breaks it)");
    }
    writeln!(out, "  dns        {dns}")?;
    let mut edge = p
        .edge
        .provider
        .as_deref()
        .map_or_else(dash, |id| name_of(rules, id));
    for id in &p.edge.also {
        edge.push_str(&format!(" + {}", name_of(rules, id)));
    }
    if let Some(id) = &p.edge.dns {
        edge.push_str(&format!("   (its DNS: {})", name_of(rules, id)));
    }
    writeln!(out, "  edge       {edge}")?;
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
    // Behind a CDN with nothing saying where the site runs: said as unknown, never as the CDN.
    let origin_unknown = p.edge.provider.is_some() && p.hosting.provider.is_none();
    if origin_unknown && p.hosting.asn.is_none() {
        let behind = p
            .edge
            .provider
            .as_deref()
            .map_or_else(dash, |id| name_of(rules, id));
        host = format!("origin unknown behind {behind}");
    }
    writeln!(out, "  hosting    {host}")?;
    let cloud = match (&p.cloud, origin_unknown) {
        (Some(id), _) => name_of(rules, id),
        (None, true) => "unknown (origin unknown)".to_owned(),
        (None, false) => dash(),
    };
    writeln!(out, "  cloud      {cloud}   (confidence: {})", p.confidence)?;
    for e in &p.evidence {
        writeln!(out, "    · {}", e.text)?;
    }
    Ok(())
}
