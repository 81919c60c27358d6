//! `onebasket`: classify sites' hosting from the command line (DoH look-ups, offline address
//! classification, concentration reports, feed downloads).
//!
//! All I/O lives here; the classification itself is the sans-IO `onebasket` library.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufWriter, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use onebasket::engine::{AnswerFormat, Engine, EngineConfig, Hints, LookupId, Query, QueryId};
use onebasket::feeds::{AsnTable, FeedSet, FeedSpec};
use onebasket::knowledge;
use onebasket::profile::{Resolution, SiteProfile};
use onebasket::rules::Rules;
use tokio::task::JoinSet;

/// Cloudflare's RFC 8484 endpoint, the default resolver.
const DEFAULT_RESOLVER: &str = "https://cloudflare-dns.com/dns-query";

#[derive(Parser)]
#[command(
    name = "onebasket",
    version,
    about = "Which cloud, region, CDN and DNS provider do these sites sit on?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Resolve names over DNS-over-HTTPS and print each one's hosting profile.
    Lookup {
        #[command(flatten)]
        net: NetArgs,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
        /// Hostnames (or URLs' host parts, or IP literals).
        #[arg(required = true)]
        names: Vec<String>,
    },
    /// Classify addresses offline against the published ranges (`-` reads one per line from stdin).
    Ip {
        #[command(flatten)]
        feeds: FeedsArg,
        /// Print one JSON object per line.
        #[arg(long)]
        json: bool,
        /// Offline IP→AS table (CSV `range_start,range_end,asn,org`, unpacked); repeatable.
        #[arg(long, value_name = "FILE")]
        asn_table: Vec<PathBuf>,
        /// Addresses, or `-` for stdin.
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Look up every domain in FILE and report the share of sites per cloud, region and DNS provider.
    Report {
        #[command(flatten)]
        net: NetArgs,
        /// At most this many look-ups at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// One domain per line (`#` comments; `rank,domain` CSV lines take the last field).
        file: PathBuf,
    },
    /// Manage the feed cache.
    Feeds {
        #[command(subcommand)]
        command: FeedsCommand,
    },
}

#[derive(Subcommand)]
enum FeedsCommand {
    /// Download every official feed into the cache, keeping the last good copy of each.
    Update {
        /// Cache directory (default: the XDG cache dir, `onebasket/feeds`).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Fetch the files by name from this mirror base URL instead of the official URLs.
        #[arg(long)]
        base: Option<String>,
    },
}

#[derive(Args)]
struct FeedsArg {
    /// Read the feed files from DIR (names as in the official feeds) instead of the cache.
    #[arg(long, value_name = "DIR")]
    feeds: Option<PathBuf>,
}

#[derive(Args)]
struct NetArgs {
    /// DoH resolver URL (RFC 8484); `http://` is accepted for loopback testing.
    #[arg(long, default_value = DEFAULT_RESOLVER)]
    resolver: String,
    /// Use the resolver's JSON API (`application/dns-json`) instead of RFC 8484.
    #[arg(long)]
    doh_json: bool,
    /// Seconds to wait for each DoH answer.
    #[arg(long, default_value_t = 5)]
    timeout: u64,
    /// Do not ask Team Cymru for the addresses' AS numbers.
    #[arg(long)]
    no_asn: bool,
    /// Also trust this PEM certificate for an https resolver (a private resolver's own CA).
    #[arg(long, value_name = "PEM")]
    ca_cert: Option<PathBuf>,
    #[command(flatten)]
    feeds: FeedsArg,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("onebasket: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("onebasket: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command; `Ok(false)` when some items failed (each already reported on stderr).
async fn run(cli: Cli) -> Result<bool> {
    match cli.command {
        Command::Lookup { net, json, names } => lookup(net, json, names).await,
        Command::Ip {
            feeds,
            json,
            asn_table,
            addresses,
        } => classify_ips(&feeds, json, &asn_table, &addresses),
        Command::Report {
            net,
            concurrency,
            json,
            file,
        } => report(net, concurrency, json, &file).await,
        Command::Feeds {
            command: FeedsCommand::Update { dir, base },
        } => feeds_update(dir, base.as_deref()).await,
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

// ---------------------------------------------------------------------------------------------
// Feeds: reading a directory, the cache, downloading.

fn cache_dir() -> Result<PathBuf> {
    let base = dirs::cache_dir()
        .ok_or_else(|| anyhow!("no cache directory (set XDG_CACHE_HOME or pass --feeds DIR)"))?;
    Ok(base.join("onebasket").join("feeds"))
}

/// The file in `dir` holding `spec`'s feed: its own name, or for a dated family such as
/// `ServiceTags_Public.json` the newest `ServiceTags_Public*.json`.
fn feed_path(dir: &Path, spec: &FeedSpec) -> Option<PathBuf> {
    let exact = dir.join(&spec.file);
    if exact.is_file() {
        return Some(exact);
    }
    let (stem, ext) = spec.file.rsplit_once('.')?;
    let mut dated: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(stem) && n.ends_with(&format!(".{ext}")) && n.len() > spec.file.len()
            })
        })
        .collect();
    dated.sort();
    dated.pop()
}

/// Loads every feed file present in `dir`; a missing or broken file is reported and skipped.
fn load_dir(dir: &Path, quiet_missing: bool) -> Result<(FeedSet, Vec<FeedSpec>, usize)> {
    let rules = Rules::builtin().context("built-in provider rules")?;
    // Every feed, the `manual` ones (Akamai's zip-only lists) included: a directory may hold them.
    let specs = knowledge::all_feed_specs(&rules);
    let mut set = FeedSet::new();
    let mut loaded = 0;
    for spec in &specs {
        let Some(path) = feed_path(dir, spec) else {
            if !quiet_missing {
                eprintln!(
                    "onebasket: feed {} not found in {}: skipped",
                    spec.file,
                    dir.display()
                );
            }
            continue;
        };
        match std::fs::read(&path) {
            Ok(bytes) => match set.apply(spec, &bytes) {
                Ok(_) => loaded += 1,
                Err(e) => eprintln!("onebasket: {}: {e}: skipped", path.display()),
            },
            Err(e) => eprintln!("onebasket: cannot read {}: {e}: skipped", path.display()),
        }
    }
    Ok((set, specs, loaded))
}

/// The classifier from `--feeds DIR`, else from the cache (downloading first when empty and
/// `fetch_if_empty`).
async fn load_classifier(
    feeds: &FeedsArg,
    fetch_if_empty: bool,
) -> Result<onebasket::classify::Classifier> {
    let (set, specs, _) = match &feeds.feeds {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--feeds {}: not a directory", dir.display());
            }
            load_dir(dir, false)?
        }
        None => {
            let dir = cache_dir()?;
            let mut loaded = load_dir(&dir, true)?;
            if loaded.2 == 0 && fetch_if_empty {
                eprintln!(
                    "onebasket: the feed cache {} is empty: downloading the feeds first",
                    dir.display()
                );
                feeds_update(Some(dir.clone()), None).await?;
                loaded = load_dir(&dir, true)?;
            }
            if loaded.2 == 0 {
                eprintln!(
                    "onebasket: no feeds in {} (run `onebasket feeds update` or pass --feeds DIR): only CNAME, NS, header and ASN rules apply",
                    dir.display()
                );
            }
            loaded
        }
    };
    let table = knowledge::build_table(&set, &specs);
    Ok(knowledge::classifier(table)?)
}

/// Sidecar metadata for conditional requests.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct FetchMeta {
    etag: Option<String>,
    last_modified: Option<String>,
    url: Option<String>,
}

async fn feeds_update(dir: Option<PathBuf>, base: Option<&str>) -> Result<bool> {
    let dir = match dir {
        Some(d) => d,
        None => cache_dir()?,
    };
    let meta_dir = dir.join(".meta");
    std::fs::create_dir_all(&meta_dir)
        .with_context(|| format!("creating {}", meta_dir.display()))?;
    let rules = Rules::builtin()?;
    let specs = knowledge::feed_specs(&rules)?;
    let client = reqwest::Client::builder()
        .user_agent(concat!("onebasket/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut all_ok = true;
    for spec in rules.feeds().iter().filter(|f| f.manual) {
        println!(
            "{:<26} manual      unpack it from {} into {}",
            spec.file,
            spec.url,
            dir.display()
        );
    }
    for spec in &specs {
        let url = match base {
            Some(b) => format!("{}/{}", b.trim_end_matches('/'), spec.file),
            None => spec.url.clone(),
        };
        match update_one(&client, &dir, &meta_dir, spec, &url).await {
            Ok(line) => println!("{:<26} {line}", spec.file),
            Err(e) => {
                all_ok = false;
                let kept = if feed_path(&dir, spec).is_some() {
                    "; keeping the last good copy"
                } else {
                    ""
                };
                eprintln!("onebasket: {}: {e:#}{kept}", spec.file);
            }
        }
    }
    Ok(all_ok)
}

/// Fetches one feed conditionally; replaces the cached copy only with a file that parses.
async fn update_one(
    client: &reqwest::Client,
    dir: &Path,
    meta_dir: &Path,
    spec: &FeedSpec,
    url: &str,
) -> Result<String> {
    let meta_path = meta_dir.join(format!("{}.json", spec.file));
    let meta: FetchMeta = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let target = dir.join(&spec.file);
    let have_copy = target.is_file();
    let mut req = client.get(url);
    if have_copy && meta.url.as_deref() == Some(url) {
        if let Some(etag) = &meta.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &meta.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
    }
    let mut resp = req.send().await.with_context(|| format!("GET {url}"))?;
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        let date = describe_cached(&target, spec);
        return Ok(format!("unchanged   {date}"));
    }
    if !resp.status().is_success() {
        bail!("GET {url}: HTTP {}", resp.status());
    }
    // Some publishers (Azure) have no stable file URL, only a download page linking the
    // current dated file: follow the first link to a file named like the feed.
    let is_html = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let page = resp.text().await?;
        let link = knowledge::find_feed_link(&page, &spec.file)
            .ok_or_else(|| anyhow!("{url} is a page with no link to a {} file", spec.file))?;
        resp = client
            .get(&link)
            .send()
            .await
            .with_context(|| format!("GET {link}"))?;
        if !resp.status().is_success() {
            bail!("GET {link}: HTTP {}", resp.status());
        }
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let new_meta = FetchMeta {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
        url: Some(url.to_owned()),
    };
    let bytes = resp
        .bytes()
        .await
        .with_context(|| format!("reading {url}"))?;
    let parsed = onebasket::feeds::parse(spec, &bytes)
        .map_err(|e| anyhow!("downloaded file rejected: {e}"))?;
    if let Some(previous) = std::fs::read(&target)
        .ok()
        .and_then(|b| onebasket::feeds::parse(spec, &b).ok())
    {
        let (before, now) = (previous.records.len(), parsed.records.len());
        if !knowledge::plausible_update(
            u32::try_from(before).unwrap_or(u32::MAX),
            u32::try_from(now).unwrap_or(u32::MAX),
        ) {
            bail!("downloaded file rejected as implausible: {now} prefixes where the last good copy had {before}");
        }
    }
    let tmp = dir.join(format!(".{}.part", spec.file));
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &target).with_context(|| format!("replacing {}", target.display()))?;
    std::fs::write(&meta_path, serde_json::to_vec(&new_meta)?)?;
    let date = parsed
        .date
        .clone()
        .or(new_meta
            .last_modified
            .clone()
            .map(|lm| format!("{lm} (Last-Modified)")))
        .unwrap_or_else(|| "no date in file".to_owned());
    Ok(format!(
        "updated     {date}  ({} prefixes)",
        parsed.records.len()
    ))
}

fn describe_cached(path: &Path, spec: &FeedSpec) -> String {
    std::fs::read(path)
        .ok()
        .and_then(|b| onebasket::feeds::parse(spec, &b).ok())
        .and_then(|p| p.date)
        .unwrap_or_else(|| "no date in file".to_owned())
}

// ---------------------------------------------------------------------------------------------
// `ip`

/// The `--asn-table` files, merged; none given, none used.
fn load_asn_tables(files: &[PathBuf]) -> Result<Option<AsnTable>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut table = AsnTable::new();
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            bail!(
                "{} is gzip-compressed: unpack it first (zcat)",
                file.display()
            );
        }
        table.add_csv(&file.display().to_string(), &bytes)?;
    }
    Ok(Some(table))
}

fn classify_ips(
    feeds: &FeedsArg,
    json: bool,
    asn_tables: &[PathBuf],
    args: &[String],
) -> Result<bool> {
    let asn_table = load_asn_tables(asn_tables)?;
    let (set, specs, _) = match &feeds.feeds {
        Some(dir) => load_dir(dir, false)?,
        None => {
            let dir = cache_dir()?;
            let loaded = load_dir(&dir, true)?;
            if loaded.2 == 0 {
                bail!(
                    "no feeds in {} (run `onebasket feeds update` or pass --feeds DIR)",
                    dir.display()
                );
            }
            loaded
        }
    };
    let table = knowledge::build_table(&set, &specs);
    let classifier = knowledge::classifier(table)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut ok = true;
    let mut one = |text: &str, out: &mut BufWriter<std::io::StdoutLock<'_>>| -> Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let trimmed = text.trim_start_matches('[').trim_end_matches(']');
        match trimmed.parse::<IpAddr>() {
            Ok(ip) => {
                let asn = asn_table
                    .as_ref()
                    .and_then(|t| t.lookup(ip))
                    .map(|e| (e.asn, e.holder));
                let v = classifier.classify_ip_with_asn(ip, asn);
                if json {
                    serde_json::to_writer(&mut *out, &v)?;
                    out.write_all(b"\n")?;
                } else {
                    write!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        v.address,
                        v.provider.as_deref().unwrap_or("-"),
                        v.region.as_deref().unwrap_or("-"),
                        v.service.as_deref().unwrap_or("-"),
                        v.prefix.as_deref().unwrap_or("-"),
                    )?;
                    // The AS column only when a table was given, so the default output keeps
                    // its five columns.
                    if asn_table.is_some() {
                        match v.asn {
                            Some(n) => write!(out, "\tAS{n}")?,
                            None => out.write_all(b"\t-")?,
                        }
                    }
                    out.write_all(b"\n")?;
                }
            }
            Err(_) => {
                ok = false;
                out.flush()?;
                eprintln!("onebasket: {text:?} is not an IP address");
            }
        }
        Ok(())
    };
    for arg in args {
        if arg == "-" {
            let stdin = std::io::stdin();
            let mut line = String::new();
            let mut input = stdin.lock();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    break;
                }
                one(&line, &mut out)?;
            }
        } else {
            one(arg, &mut out)?;
        }
    }
    out.flush()?;
    Ok(ok)
}

// ---------------------------------------------------------------------------------------------
// DoH transport and the engine driver.

/// Sends DoH queries; remembers per resolver whether plain-HTTP needs HTTP/2 prior knowledge.
#[derive(Clone)]
struct Transport {
    resolver: String,
    json: bool,
    http1: reqwest::Client,
    h2c: reqwest::Client,
    use_h2c: Arc<AtomicBool>,
}

impl Transport {
    fn new(net: &NetArgs) -> Result<Self> {
        let url = reqwest::Url::parse(&net.resolver)
            .with_context(|| format!("--resolver {:?} is not a URL", net.resolver))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let host = url
                    .host_str()
                    .unwrap_or("")
                    .trim_start_matches('[')
                    .trim_end_matches(']');
                let loopback =
                    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|a| a.is_loopback());
                if !loopback {
                    bail!(
                        "--resolver {}: plain http is only accepted on loopback",
                        net.resolver
                    );
                }
            }
            other => bail!("--resolver {}: unsupported scheme {other:?}", net.resolver),
        }
        let timeout = Duration::from_secs(net.timeout.max(1));
        let agent = concat!("onebasket/", env!("CARGO_PKG_VERSION"));
        let mut https = reqwest::Client::builder()
            .user_agent(agent)
            .timeout(timeout);
        if let Some(path) = &net.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("--ca-cert {}: cannot read", path.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .with_context(|| format!("--ca-cert {}: not a PEM certificate", path.display()))?;
            https = https.add_root_certificate(cert);
        }
        Ok(Self {
            resolver: net.resolver.clone(),
            json: net.doh_json,
            // Over https, ALPN picks HTTP/2 when the resolver offers it, else HTTP/1.1.
            http1: https.build()?,
            h2c: reqwest::Client::builder()
                .user_agent(agent)
                .timeout(timeout)
                .http2_prior_knowledge()
                .build()?,
            use_h2c: Arc::new(AtomicBool::new(false)),
        })
    }

    fn url(&self, q: &Query) -> String {
        if self.json {
            onebasket::dns::json_url(&self.resolver, &q.name, q.qtype)
        } else {
            onebasket::dns::get_url(&self.resolver, &q.wire)
        }
    }

    async fn get(&self, client: &reqwest::Client, url: &str) -> reqwest::Result<reqwest::Response> {
        let accept = if self.json {
            onebasket::dns::DNS_JSON
        } else {
            onebasket::dns::DNS_MESSAGE
        };
        client
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
    }

    /// One query; Ok(body) or a one-line reason.
    async fn send(&self, q: &Query) -> Result<Vec<u8>, String> {
        let url = self.url(q);
        let plain = self.resolver.starts_with("http://");
        let resp = if plain && self.use_h2c.load(Ordering::Relaxed) {
            self.get(&self.h2c, &url).await
        } else {
            match self.get(&self.http1, &url).await {
                // A plain-HTTP resolver that closes HTTP/1.1 connections may speak only h2c
                // (unbound's DoH does): retry with prior knowledge and remember.
                Err(e) if plain && !e.is_timeout() => {
                    let r = self.get(&self.h2c, &url).await;
                    if r.is_ok() {
                        self.use_h2c.store(true, Ordering::Relaxed);
                    }
                    r
                }
                r => r,
            }
        };
        let resp = resp.map_err(|e| {
            if e.is_timeout() {
                format!("resolver {} timed out", self.resolver)
            } else {
                format!("resolver {} unreachable: {}", self.resolver, root_cause(&e))
            }
        })?;
        if !resp.status().is_success() {
            return Err(format!(
                "resolver {} answered HTTP {}",
                self.resolver,
                resp.status()
            ));
        }
        resp.bytes().await.map(|b| b.to_vec()).map_err(|e| {
            format!(
                "resolver {}: reading the answer: {}",
                self.resolver,
                root_cause(&e)
            )
        })
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Runs look-ups for `names` through the engine with at most `concurrency` in progress,
/// calling `on_done` for each finished profile (or start error).
async fn drive(
    engine: &mut Engine,
    transport: &Transport,
    names: &[String],
    concurrency: usize,
    mut on_done: impl FnMut(usize, Result<SiteProfile, String>),
) {
    let format = if transport.json {
        AnswerFormat::Json
    } else {
        AnswerFormat::Wire
    };
    let mut next = 0usize;
    let mut active: HashMap<LookupId, usize> = HashMap::new();
    let mut tasks: JoinSet<(QueryId, Result<Vec<u8>, String>)> = JoinSet::new();
    loop {
        while active.len() < concurrency.max(1) && next < names.len() {
            let i = next;
            next += 1;
            match engine.start(&names[i], Hints::default(), now_millis()) {
                Ok(id) => {
                    active.insert(id, i);
                }
                Err(e) => on_done(i, Err(e.to_string())),
            }
        }
        while let Some(q) = engine.poll_query() {
            let t = transport.clone();
            tasks.spawn(async move {
                let r = t.send(&q).await;
                (q.id, r)
            });
        }
        let mut progressed = false;
        while let Some((id, profile)) = engine.poll_profile() {
            progressed = true;
            if let Some(i) = active.remove(&id) {
                on_done(i, Ok(profile));
            }
        }
        if progressed {
            continue;
        }
        match tasks.join_next().await {
            Some(Ok((id, Ok(body)))) => engine.handle_response(id, format, &body, now_millis()),
            Some(Ok((id, Err(reason)))) => engine.handle_failure(id, &reason, now_millis()),
            Some(Err(e)) => eprintln!("onebasket: internal task failure: {e}"),
            None if active.is_empty() && next >= names.len() => break,
            None => {
                // Nothing in flight yet look-ups remain: they can only be waiting on each other,
                // which the engine never does; guard against spinning anyway.
                eprintln!("onebasket: {} look-ups stalled", active.len());
                break;
            }
        }
    }
}

/// The one-line problem with a profile, if it is a failure for the exit status.
fn failure_line(p: &SiteProfile) -> Option<String> {
    match &p.resolution {
        Resolution::Ok => None,
        Resolution::NxDomain => Some(format!("{}: no such domain (NXDOMAIN)", p.name)),
        Resolution::ServFail => Some(format!("{}: the resolver failed (SERVFAIL)", p.name)),
        Resolution::Refused => Some(format!(
            "{}: the resolver refused the query (REFUSED)",
            p.name
        )),
        Resolution::Truncated => Some(format!("{}: the answer was truncated", p.name)),
        Resolution::NoAddress => Some(format!("{}: no A or AAAA records", p.name)),
        Resolution::ResolverError(e) => Some(format!("{}: {e}", p.name)),
    }
}

async fn lookup(net: NetArgs, json: bool, names: Vec<String>) -> Result<bool> {
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
fn engine_rules() -> Option<&'static Rules> {
    static RULES: std::sync::OnceLock<Option<Rules>> = std::sync::OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().ok()).as_ref()
}

/// Accepts `https://www.example.com/path` as `www.example.com`.
fn host_of(arg: &str) -> String {
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

// ---------------------------------------------------------------------------------------------
// `report`

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

async fn report(net: NetArgs, concurrency: usize, json: bool, file: &Path) -> Result<bool> {
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
