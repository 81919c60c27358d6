//! Feed refresh I/O: download each official feed (or the same file name under the user's
//! mirror), keep each feed's last good data as its own snapshot, rebuild the combined table and
//! hand it to the tracker, which makes every stored verdict follow.
//!
//! Invariant: a refresh never makes the table know less. A download that fails, does not
//! parse, or shrank implausibly leaves that feed's previous snapshot in use, and the combined
//! table is only replaced by one built from every feed's current good data.

use std::rc::Rc;

use gloo_net::http::Request;
use onebasket::feeds::{FeedSet, FeedSpec, ParsedFeed};
use onebasket::table::{FeedInfo, PrefixTable};
use onebasket::tracker::RefreshPlan;
use onebasket::PrefixRecord;

use crate::bindings::{self, now};
use crate::shell::{perform, Shell};
use crate::store;

/// Downloads every feed and swaps in the rebuilt table. At most one refresh runs at a time; a
/// request arriving meanwhile (say, a new mirror was set) runs once more right after.
pub async fn refresh(shell: Rc<Shell>) {
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
    if let Err(e) = store::set(store::REFRESHING, &true).await {
        bindings::warn(&format!(
            "OneBasket: writing {} failed: {e}",
            store::REFRESHING
        ));
    }
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
            Ok(parsed) => {
                let info = info_of(&parsed);
                let table = PrefixTable::build(&parsed.records, vec![info]);
                let key = format!("{}{}", store::FEED_PREFIX, spec.file);
                if let Err(e) = store::set(&key, &store::encode_bytes(&table.to_snapshot())).await {
                    errors.push(format!("{}: storing failed: {e}", spec.file));
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
        if let Err(e) = store::set(store::TABLE, &store::encode_bytes(&snapshot)).await {
            bindings::warn(&format!("OneBasket: storing the table failed: {e}"));
        }
    }
    // Written before `refreshing` is cleared: a stop in between refreshes once more, which is
    // harmless, while the other order could leave a finished flag with the old source.
    let source = serde_json::json!({ "feedBase": plan.base });
    if let Err(e) = store::set(store::FEED_SOURCE, &source).await {
        bindings::warn(&format!(
            "OneBasket: writing {} failed: {e}",
            store::FEED_SOURCE
        ));
    }
    if let Err(e) = store::set(store::REFRESHING, &false).await {
        bindings::warn(&format!(
            "OneBasket: writing {} failed: {e}",
            store::REFRESHING
        ));
    }
    next
}

fn info_of(p: &ParsedFeed) -> FeedInfo {
    FeedInfo {
        file: p.file.clone(),
        provider: p.provider.clone(),
        date: p.date.clone(),
        version: p.version.clone(),
        records: u32::try_from(p.records.len()).unwrap_or(u32::MAX),
    }
}

/// Fetches and parses one feed, following a download page's link when the URL is a page.
async fn fetch_one(spec: &FeedSpec, url: &str, before: Option<u32>) -> Result<ParsedFeed, String> {
    let mut bytes = get(url).await?;
    if looks_like_html(&bytes) {
        let page = String::from_utf8_lossy(&bytes);
        let link = onebasket::knowledge::find_feed_link(&page, &spec.file)
            .ok_or_else(|| format!("{url} is a page with no link to a {} file", spec.file))?;
        bytes = get(&link).await?;
    }
    let parsed = onebasket::feeds::parse(spec, &bytes).map_err(|e| e.to_string())?;
    let now_count = u32::try_from(parsed.records.len()).unwrap_or(u32::MAX);
    if let Some(before) = before {
        if !onebasket::knowledge::plausible_update(before, now_count) {
            return Err(format!(
                "implausible download: {now_count} prefixes where there were {before}; the previous data stays"
            ));
        }
    }
    Ok(parsed)
}

fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

async fn get(url: &str) -> Result<Vec<u8>, String> {
    let resp = Request::get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !resp.ok() {
        return Err(format!("GET {url}: HTTP {}", resp.status()));
    }
    resp.binary().await.map_err(|e| format!("GET {url}: {e}"))
}

/// The combined table from every stored per-feed snapshot, and how many snapshots were broken
/// (each skipped and logged; the next refresh replaces them).
pub async fn rebuild_from_feed_snapshots(specs: &[FeedSpec]) -> (PrefixTable, usize) {
    let mut set = FeedSet::new();
    let mut discarded = 0;
    let entries = store::entries(store::FEED_PREFIX).await.unwrap_or_default();
    for (key, value) in entries {
        let table = value
            .as_string()
            .and_then(|t| store::decode_bytes(&t))
            .ok_or_else(|| "not base64".to_owned())
            .and_then(|b| PrefixTable::from_snapshot(&b).map_err(|e| e.to_string()));
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
