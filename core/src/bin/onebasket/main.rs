//! `onebasket`: classify sites' hosting from the command line (DoH look-ups, offline address
//! classification, concentration reports, feed downloads).
//!
//! All I/O lives here; the classification itself is the sans-IO `onebasket` library. Whatever
//! a server or an input file holds, memory stays bounded: bodies are refused by their length
//! first and never read past their limit (`http`), input lines are read up to a limit
//! (`input`), and errors echo at most [`input::ECHO_CHARS`] characters of what they quote.

mod doh;
mod feeds;
mod http;
mod input;
mod ip;
mod lookup;
mod report;

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use onebasket::dns::DEFAULT_RESOLVER;

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
        /// At most this many look-ups, and DoH requests, at once.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Progress on stderr: a bar on a terminal, otherwise a line every few seconds (`auto`);
        /// a line per finished site (`plain`); or nothing (`none`).
        #[arg(long, value_enum, default_value_t = report::Progress::Auto)]
        progress: report::Progress,
        /// One domain per line (`#` comments; `rank,domain` CSV lines take the last field;
        /// URLs are read as URLs).
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
pub(crate) struct FeedsArg {
    /// Read the feed files from DIR (names as in the official feeds) instead of the cache.
    #[arg(long, value_name = "DIR")]
    pub(crate) feeds: Option<PathBuf>,
}

#[derive(Args)]
pub(crate) struct NetArgs {
    /// DoH resolver URL (RFC 8484); `http://` is accepted for loopback testing.
    #[arg(long, default_value = DEFAULT_RESOLVER)]
    pub(crate) resolver: String,
    /// Use the resolver's JSON API (`application/dns-json`) instead of RFC 8484.
    #[arg(long)]
    pub(crate) doh_json: bool,
    /// Seconds to wait for each DoH answer (a rate-limited query is asked again within them).
    #[arg(long, default_value_t = 5)]
    pub(crate) timeout: u64,
    /// Do not ask Team Cymru for the addresses' AS numbers.
    #[arg(long)]
    pub(crate) no_asn: bool,
    /// Also trust this PEM certificate for an https resolver (a private resolver's own CA).
    #[arg(long, value_name = "PEM")]
    pub(crate) ca_cert: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) feeds: FeedsArg,
}

/// How a command ended, for the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Everything worked: 0.
    Ok,
    /// Some items failed, each reported on stderr: 1.
    SomeFailed,
    /// Ctrl-C; what was done is printed: 130 (128 + SIGINT, as shells report it).
    Interrupted,
}

impl Outcome {
    /// `Ok` when `all_ok`, else `SomeFailed`.
    pub(crate) fn from_ok(all_ok: bool) -> Self {
        if all_ok {
            Outcome::Ok
        } else {
            Outcome::SomeFailed
        }
    }
}

/// Standard output was closed under us (`onebasket … | head -1`): the reader wants no more,
/// so the run ends at once, quietly and successfully.
#[derive(Debug)]
pub(crate) struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// The result of a write to stdout: a closed pipe becomes [`StdoutClosed`].
pub(crate) fn written(result: std::io::Result<()>) -> Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("writing to standard output")),
        Ok(()) => Ok(()),
    }
}

/// One line on stderr, prefixed `onebasket: `. Never panics: with stderr gone there is no one
/// to tell.
pub(crate) fn warn_line(args: fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "onebasket: {args}");
}

/// `note!("…", …)`: one `onebasket: …` line on stderr (see [`warn_line`]).
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::warn_line(format_args!($($arg)*))
    };
}
pub(crate) use note;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            note!("cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli));
    // Tasks still waiting on a server that never answers must not hold the exit up.
    runtime.shutdown_background();
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::SomeFailed) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(e) if e.is::<StdoutClosed>() => ExitCode::SUCCESS,
        Err(e) => {
            note!("{e:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs a command.
async fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Lookup { net, json, names } => lookup::lookup(net, json, names).await,
        Command::Ip {
            feeds,
            json,
            asn_table,
            addresses,
        } => ip::classify_ips(&feeds, json, &asn_table, &addresses),
        Command::Report {
            net,
            concurrency,
            json,
            progress,
            file,
        } => report::report(net, concurrency, json, progress, &file).await,
        Command::Feeds {
            command: FeedsCommand::Update { dir, base },
        } => feeds::feeds_update(dir, base.as_deref(), feeds::Lines::Stdout).await,
    }
}

/// Milliseconds since the Unix epoch: the engine's clock.
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
