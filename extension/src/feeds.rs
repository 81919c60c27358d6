//! Feed refresh I/O: download each official feed (or the same file name under the user's
//! mirror), keep each feed's last good data as its own snapshot, rebuild the combined table and
//! hand it to the tracker, which makes every stored verdict follow.
//!
//! Invariant: a refresh never makes the table know less. A download that fails, does not
//! parse, or shrank implausibly leaves that feed's previous snapshot in use, and the combined
//! table is only replaced by one built from every feed's current good data.

use std::rc::Rc;

use onebasket::feeds::{FeedSet, FeedSpec, ParsedFeed, MAX_FEED_BYTES};
use onebasket::table::PrefixTable;
use onebasket::tracker::RefreshPlan;
use onebasket::PrefixRecord;

use crate::bindings::{self, now};
use crate::parsers;
use crate::shell::{perform, Shell};
use crate::store;

/// Downloads every feed and swaps in the rebuilt table. At most one refresh runs at a time; a
/// request arriving meanwhile (say, a new mirror was set) runs once more right after.
pub(crate) async fn refresh(shell: Rc<Shell>) {
    let Some(mut plan) = shell.with(|t| t.begin_refresh()) else {
        return;
    };
    loop {
        let next = refresh_once(&shell, &plan).await;
        perform(&shell).await;
        match next {
            Some(p) => plan = p,
            None => break,
        }
    }
}

/// One pass; the next pass when one was asked for meanwhile.
async fn refresh_once(shell: &Rc<Shell>, plan: &RefreshPlan) -> Option<RefreshPlan> {
    store::save(store::REFRESHING, &true).await;
    bindings::info(&format!(
        "OneBasket: refreshing the feeds from {}",
        plan.base.as_deref().unwrap_or("the official URLs")
    ));
    let mut errors = Vec::new();
    for spec in &plan.specs {
        // A new mirror was set meanwhile: stop here, the next pass fetches from it.
        if shell.with(|t| t.refresh_superseded()) {
            return shell.with(|t| t.refresh_abandoned());
        }
        match fetch_one(spec, &plan.url(spec), plan.before(spec)).await {
            Ok(snapshot) => {
                let key = store::feed_key(&spec.file);
                // Not only logged: the failure is the feed's, shown with its status.
                if let Err(e) = store::set(&key, &store::encode_bytes(&snapshot)).await {
                    errors.push(e.to_string());
                }
            }
            Err(e) => errors.push(format!("{}: {e}", spec.file)),
        }
    }
    let (table, _) = rebuild_from_feed_snapshots(&plan.specs).await;
    let snapshot = table.to_snapshot();
    for e in &errors {
        bindings::warn(&format!("OneBasket feeds: {e}"));
    }
    let started = bindings::precise_now();
    let (taken, next) = shell.with(|t| t.refresh_finished(Some(table), errors, plan, now()));
    if taken {
        let hosts = shell.with(|t| t.stats().classes);
        bindings::info(&format!(
            "OneBasket: new table applied, {hosts} hosts re-derived in {:.1} ms",
            bindings::precise_now() - started
        ));
    }
    if taken {
        store::save_table(&snapshot).await;
    }
    // Written before `refreshing` is cleared: a stop in between refreshes once more, which is
    // harmless, while the other order could leave a finished flag with the old source.
    let source = store::FeedSource {
        feed_base: plan.base.as_deref(),
    };
    store::save(store::FEED_SOURCE, &source).await;
    store::save(store::REFRESHING, &false).await;
    next
}

/// Why a download was not taken: a feed's (its previous snapshot stays in use; the text is
/// what the feed status shows after the file's name) or a status page's.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FetchError {
    /// The request failed (an HTTP error status, no answer, one too long or too slow).
    #[error("GET {url}: {source}")]
    Get {
        /// What was asked for.
        url: String,
        /// Why it failed.
        source: bindings::GetError,
    },
    /// A download page that links no file of the feed's name.
    #[error("{url} is a page with no link to a {file} file")]
    NoLink {
        /// The page.
        url: String,
        /// The feed's file name.
        file: String,
    },
    /// The file does not parse as its feed's format (the parsers' module said why).
    #[error(transparent)]
    Parse(#[from] crate::parsers::ParserError),
    /// The file parsed, but shrank implausibly.
    #[error(
        "implausible download: {now} prefixes where there were {before}; the previous data stays"
    )]
    Implausible {
        /// Prefixes in the download.
        now: u32,
        /// Prefixes in the previous data.
        before: u32,
    },
}

/// Why a stored per-feed snapshot was discarded.
#[derive(Debug, thiserror::Error)]
enum SnapshotError {
    /// What is stored is no base64 string.
    #[error("not base64")]
    NotBase64,
    /// The bytes are no table snapshot (damaged, or of another version).
    #[error(transparent)]
    Table(#[from] onebasket::table::SnapshotError),
}

/// Fetches and parses one feed, following a download page's link when the URL is a page: its
/// one-feed table snapshot.
async fn fetch_one(spec: &FeedSpec, url: &str, before: Option<u32>) -> Result<Vec<u8>, FetchError> {
    let mut bytes = get(url, "same-origin", MAX_FEED_BYTES).await?;
    if looks_like_html(&bytes) {
        let page = String::from_utf8_lossy(&bytes);
        let link = onebasket::knowledge::find_feed_link(&page, &spec.file).ok_or_else(|| {
            FetchError::NoLink {
                url: url.to_owned(),
                file: spec.file.clone(),
            }
        })?;
        bytes = get(&link, "same-origin", MAX_FEED_BYTES).await?;
    }
    let (snapshot, table) = parsers::feed(spec, &bytes).await?;
    let now = table.feeds().first().map_or(0, |f| f.records);
    if let Some(before) = before {
        if !onebasket::knowledge::plausible_update(before, now) {
            return Err(FetchError::Implausible { now, before });
        }
    }
    Ok(snapshot)
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

/// How long a download may take.
const DOWNLOAD_TIMEOUT_MS: u32 = 120_000;

/// The body of a GET of `url` (at most `limit` bytes: core's limit for what it is, read no
/// further; within [`DOWNLOAD_TIMEOUT_MS`]), or why there is none (an HTTP error status
/// included). `credentials` is the fetch's: `"same-origin"` for feeds, `"omit"` for status pages.
pub(crate) async fn get(url: &str, credentials: &str, limit: usize) -> Result<Vec<u8>, FetchError> {
    let limit = u32::try_from(limit).unwrap_or(u32::MAX);
    bindings::get(url, limit, DOWNLOAD_TIMEOUT_MS, credentials, None)
        .await
        .map_err(|source| FetchError::Get {
            url: url.to_owned(),
            source,
        })
}

/// The combined table from every stored per-feed snapshot, and how many snapshots were broken
/// (each skipped and logged; the next refresh replaces them).
pub(crate) async fn rebuild_from_feed_snapshots(specs: &[FeedSpec]) -> (PrefixTable, usize) {
    let mut set = FeedSet::new();
    let mut discarded = 0;
    // A failed read is logged, and read as no snapshots.
    let entries = store::entries(store::FEED_PREFIX)
        .await
        .unwrap_or_else(|e| {
            bindings::warn(&format!("OneBasket: {e}; no per-feed snapshot used"));
            Vec::new()
        });
    for (key, value) in entries {
        let table = value
            .as_string()
            .and_then(|t| store::decode_bytes(&t))
            .ok_or(SnapshotError::NotBase64)
            .and_then(|b| PrefixTable::from_snapshot(&b).map_err(SnapshotError::from));
        match table {
            Ok(t) => {
                let Some(info) = t.feeds().first().cloned() else {
                    bindings::warn(&format!("OneBasket: {key} discarded: it names no feed"));
                    discarded += 1;
                    continue;
                };
                let records = t
                    .records()
                    .map(|r| PrefixRecord::new(r.prefix, r.provider, r.region, r.service))
                    .collect();
                set.insert(ParsedFeed {
                    file: info.file,
                    provider: info.provider,
                    date: info.date,
                    version: info.version,
                    records,
                });
            }
            Err(e) => {
                bindings::warn(&format!("OneBasket: {key} discarded: {e}"));
                discarded += 1;
            }
        }
    }
    (onebasket::knowledge::build_table(&set, specs), discarded)
}
