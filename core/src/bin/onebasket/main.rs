//! `onebasket`: classify sites' hosting from the command line (DoH look-ups, offline address
//! classification, concentration reports, feed downloads).
//!
//! All I/O lives here; the classification itself is the sans-IO `onebasket` library.

mod doh;
mod feeds;
mod ip;
mod lookup;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

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
    /// Seconds to wait for each DoH answer.
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
        Command::Lookup { net, json, names } => lookup::lookup(net, json, names).await,
        Command::Ip {
            feeds,
            json,
            addresses,
        } => ip::classify_ips(&feeds, json, &addresses),
        Command::Report {
            net,
            concurrency,
            json,
            file,
        } => report::report(net, concurrency, json, &file).await,
        Command::Feeds {
            command: FeedsCommand::Update { dir, base },
        } => feeds::feeds_update(dir, base.as_deref()).await,
    }
}

pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}
