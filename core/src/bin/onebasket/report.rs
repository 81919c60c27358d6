//! `report`: the share of sites per cloud, region, edge and DNS provider.
//!
//! Each site counts once however the list spells it (names are normalized before duplicates
//! are dropped); progress goes to stderr as a bar on a terminal and as plain lines elsewhere;
//! Ctrl-C prints the report of what finished, then exits 130.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, IsTerminal, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use onebasket::deps::HostClass;
use onebasket::engine::{Engine, EngineConfig};
use onebasket::exposure::research::{research, Research};
use onebasket::profile::{Resolution, SiteProfile};
use onebasket::site::{self, HostKind};

use crate::doh::{drive, failure_line, Ended, Flow, Interrupt, Transport};
use crate::feeds::load_classifier;
use crate::input::{Line, Lines};
use crate::lookup::host_of;
use crate::{note, written, NetArgs, Outcome};

/// How `report` shows its progress on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Progress {
    /// A bar on a terminal; otherwise a plain line every few seconds and at the end.
    Auto,
    /// A bar (shown only on a terminal).
    Bar,
    /// A plain line each time a site finishes.
    Plain,
    /// Nothing.
    None,
}

/// How often `auto` prints a line when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

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
    /// Sites not finished when the run was interrupted (0 otherwise).
    unfinished: usize,
    /// Whether Ctrl-C ended the run: the shares are of the sites that finished.
    interrupted: bool,
    cloud: Vec<Share>,
    region: Vec<Share>,
    edge: Vec<Share>,
    dns: Vec<Share>,
    /// Third-party dependency figures per category (DNS, CDN, hosting), in the terms of the
    /// research (see `onebasket::exposure::research`).
    categories: Research,
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

/// The host a list line names: a URL's host (a URL may hold commas, so it starts after the
/// last comma before its `://`), else a `rank,domain` CSV line's last field, else the line.
fn line_host(line: &str) -> String {
    if let Some(scheme_end) = line.find("://") {
        let start = line[..scheme_end].rfind(',').map_or(0, |c| c + 1);
        return host_of(line[start..].trim());
    }
    host_of(line.rsplit(',').next().unwrap_or(line).trim())
}

/// What a host counts as for duplicates: its normalized form (lowercase, no trailing dot,
/// punycode), or the text itself when it is no valid host (the look-up then says why).
fn site_key(host: &str) -> String {
    match site::normalize_host(host) {
        Ok(HostKind::Name(h)) => h.as_str().to_owned(),
        Ok(HostKind::Ip(ip)) => ip.to_string(),
        Err(_) => host.to_owned(),
    }
}

/// The list's distinct hosts, each once, and the problems of the lines that are not text.
fn read_list(file: &Path) -> Result<(Vec<String>, Vec<String>)> {
    let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let mut lines = Lines::new(BufReader::new(f));
    let mut seen = HashSet::new();
    let (mut hosts, mut bad) = (Vec::new(), Vec::new());
    while let Some((number, line)) = lines
        .next_line()
        .with_context(|| format!("reading {}", file.display()))?
    {
        let text = match &line {
            Line::Text(t) => t,
            _ => {
                if let Some(problem) = line.problem(number) {
                    bad.push(format!("{}: {problem}", file.display()));
                }
                continue;
            }
        };
        let text = text.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        let key = site_key(&line_host(text));
        if seen.insert(key.clone()) {
            hosts.push(key);
        }
    }
    Ok((hosts, bad))
}

/// Progress on stderr.
struct Ticker {
    mode: Mode,
    total: usize,
    started: Instant,
    last_line: Option<(Instant, usize)>,
}

enum Mode {
    Bar(indicatif::ProgressBar),
    Lines { every: Option<Duration> },
    Silent,
}

impl Ticker {
    fn new(progress: Progress, total: usize) -> Self {
        let bar = || {
            let bar = indicatif::ProgressBar::new(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} sites  {elapsed_precise} ({eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Mode::Bar(bar)
        };
        let mode = match progress {
            Progress::Auto if std::io::stderr().is_terminal() => bar(),
            Progress::Auto => Mode::Lines {
                every: Some(PLAIN_EVERY),
            },
            Progress::Bar => bar(),
            Progress::Plain => Mode::Lines { every: None },
            Progress::None => Mode::Silent,
        };
        Self {
            mode,
            total,
            started: Instant::now(),
            last_line: None,
        }
    }

    fn line(&mut self, done: usize, failed: usize) {
        note!(
            "{done}/{} sites, {failed} failed, {} s",
            self.total,
            self.started.elapsed().as_secs()
        );
        self.last_line = Some((Instant::now(), done));
    }

    /// A site finished: `done` of them so far.
    fn done(&mut self, done: usize, failed: usize) {
        match &self.mode {
            Mode::Bar(bar) => bar.inc(1),
            Mode::Lines { every } => {
                let since = self.last_line.map_or(self.started, |(t, _)| t);
                if every.is_none_or(|e| since.elapsed() >= e) {
                    self.line(done, failed);
                }
            }
            Mode::Silent => {}
        }
    }

    /// A line of news, kept clear of the bar.
    fn note(&self, text: &str) {
        match &self.mode {
            Mode::Bar(bar) => bar.suspend(|| note!("{text}")),
            _ => note!("{text}"),
        }
    }

    /// The run ended: the bar goes, the last count is printed when it was not.
    fn finish(&mut self, done: usize, failed: usize) {
        match &self.mode {
            Mode::Bar(bar) => bar.finish_and_clear(),
            Mode::Lines { .. } => {
                if self.last_line.map(|(_, d)| d) != Some(done) {
                    self.line(done, failed);
                }
            }
            Mode::Silent => {}
        }
    }
}

/// Fires on Ctrl-C (SIGINT). Listening starts here, before any look-up, so an early Ctrl-C
/// also gets its partial report instead of the default kill.
fn ctrl_c() -> Result<Interrupt> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut sigint = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
        Ok(Box::pin(async move {
            if sigint.recv().await.is_none() {
                // No more signals can come: never fire.
                std::future::pending::<()>().await;
            }
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(Box::pin(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }))
    }
}

/// Runs `report`.
pub(crate) async fn report(
    net: NetArgs,
    concurrency: usize,
    json: bool,
    progress: Progress,
    file: &Path,
) -> Result<Outcome> {
    let interrupt = ctrl_c()?;
    let (domains, bad_lines) = read_list(file)?;
    let transport = Transport::new(&net, concurrency)?;
    let classifier = load_classifier(&net.feeds, true).await?;
    let config = EngineConfig {
        asn_lookups: !net.no_asn,
        ..EngineConfig::default()
    };
    let mut engine = Engine::new(classifier, config);
    let sites = domains.len() + bad_lines.len();
    let mut ticker = Ticker::new(progress, sites);
    let mut profiles: Vec<SiteProfile> = Vec::new();
    let mut failed = 0usize;
    let mut done = 0usize;
    for problem in &bad_lines {
        failed += 1;
        done += 1;
        ticker.note(problem);
        ticker.done(done, failed);
    }
    let ended = drive(
        &mut engine,
        &transport,
        &domains,
        concurrency,
        Some(interrupt),
        |_, r| {
            done += 1;
            match r {
                Ok(p) if p.resolution == Resolution::Ok => profiles.push(p),
                Ok(p) => {
                    failed += 1;
                    if let Some(line) = failure_line(&p) {
                        ticker.note(&line);
                    }
                }
                Err(e) => {
                    failed += 1;
                    ticker.note(&e);
                }
            }
            ticker.done(done, failed);
            Flow::Continue
        },
    )
    .await;
    ticker.finish(done, failed);
    let interrupted = ended == Ended::Interrupted;
    if interrupted {
        note!("interrupted: {done} of {sites} sites done; the report covers those");
    }
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
        sites,
        resolved: total,
        failed,
        unfinished: sites - done,
        interrupted,
        categories: research(
            &profiles
                .iter()
                .map(|p| HostClass::from_profile(p, 0))
                .collect::<Vec<_>>(),
            engine.classifier().rules(),
        ),
        cloud: count(&|p| match (&p.cloud, &p.edge.provider) {
            (Some(c), _) => c.clone(),
            // Behind a CDN with nothing saying where it runs: never counted under a cloud.
            (None, Some(e)) if p.hosting.provider.is_none() => format!("{e} (origin unknown)"),
            _ => unknown(),
        }),
        region: count(&|p| match (&p.hosting.provider, &p.hosting.region) {
            (Some(prov), Some(region)) => format!("{prov} {region}"),
            (Some(prov), None) => format!("{prov} (no region)"),
            _ => unknown(),
        }),
        edge: count(&|p| p.edge.provider.clone().unwrap_or_else(|| "none".to_owned())),
        dns: count(&|p| p.dns.provider.clone().unwrap_or_else(unknown)),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        written(writeln!(out, "{}", serde_json::to_string_pretty(&r)?))?;
    } else {
        written(print_report(&mut out, &r))?;
    }
    written(out.flush())?;
    Ok(if interrupted {
        Outcome::Interrupted
    } else {
        Outcome::from_ok(failed == 0)
    })
}

fn print_report(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    write!(
        out,
        "{} sites, {} resolved, {} failed",
        r.sites, r.resolved, r.failed
    )?;
    if r.interrupted {
        write!(out, ", {} not finished (interrupted)", r.unfinished)?;
    }
    writeln!(out)?;
    for (title, list) in [
        ("cloud", &r.cloud),
        ("region", &r.region),
        ("edge / CDN", &r.edge),
        ("DNS provider", &r.dns),
    ] {
        writeln!(out, "\nby {title}:")?;
        for s in list {
            writeln!(out, "  {:>5.1} %  {:>6}  {}", s.percent, s.sites, s.key)?;
        }
    }
    let c = &r.categories;
    writeln!(
        out,
        "\nthird-party dependencies (of {} sites; Kashaf et al., IMC 2020):",
        c.sites
    )?;
    writeln!(
        out,
        "  {:<8} {:>12} {:>10} {:>12} {:>14}  top 3",
        "", "third party", "critical", "top-3 reach", "with indirect"
    )?;
    for (name, cat) in [("DNS", &c.dns), ("CDN", &c.cdn), ("hosting", &c.hosting)] {
        let top: Vec<&str> = cat
            .providers
            .iter()
            .take(3)
            .map(|p| p.provider.as_str())
            .collect();
        writeln!(
            out,
            "  {:<8} {:>10.1} % {:>8.1} % {:>10.1} % {:>12.1} %  {}",
            name,
            cat.third_party_percent,
            cat.critical_percent,
            cat.top3_reach_percent,
            cat.top3_reach_indirect_percent,
            if top.is_empty() {
                "-".to_owned()
            } else {
                top.join(", ")
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_lines_name_their_host() {
        assert_eq!(line_host("example.com"), "example.com");
        assert_eq!(line_host("1,example.com"), "example.com");
        assert_eq!(line_host("https://a.example/?q=1,b"), "a.example");
        assert_eq!(line_host("7,https://a.example/x,y"), "a.example");
        assert_eq!(line_host("http://[2001:db8::1]:8080/"), "2001:db8::1");
    }

    #[test]
    fn spellings_of_one_site_share_a_key() {
        for spelling in [
            "Example.com",
            "example.com.",
            "ｅｘａｍｐｌｅ．ｃｏｍ",
            "EXAMPLE.COM",
        ] {
            assert_eq!(site_key(spelling), "example.com", "{spelling}");
        }
        assert_eq!(site_key("bücher.test"), site_key("XN--BCHER-KVA.test"));
        assert_eq!(site_key("[2001:DB8::1]"), "2001:db8::1");
        assert_eq!(site_key("bad..name"), "bad..name");
    }
}
