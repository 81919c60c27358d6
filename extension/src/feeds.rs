//! Feed refresh: download each official feed (or the same file name under the user's mirror),
//! keep each feed's last good data as its own snapshot, and rebuild the combined table.
//!
//! Invariant: a refresh never makes the table know less. A download that fails, does not
//! parse, or shrank implausibly leaves that feed's previous snapshot in use, and the combined
//! table is only replaced by one built from every feed's current good data.

use gloo_net::http::Request;
use onebasket::feeds::{FeedSet, FeedSpec, ParsedFeed};
use onebasket::protocol::FeedStatus;
use onebasket::table::{FeedInfo, PrefixTable};
use onebasket::PrefixRecord;

use crate::bindings::{self, now};
use crate::store;
use crate::worker::with;

/// Downloads every feed and swaps in the rebuilt table. At most one refresh runs at a time; a
/// request arriving meanwhile (say, a new mirror was set) runs once more right after.
pub async fn refresh() {
    let first = with(|w| {
        if w.refreshing {
            w.refresh_again = true;
            false
        } else {
            w.refreshing = true;
            true
        }
    });
    if first != Some(true) {
        return;
    }
    loop {
        refresh_once().await;
        let again = with(|w| {
            let again = std::mem::take(&mut w.refresh_again);
            w.refreshing = again;
            again
        });
        if again != Some(true) {
            break;
        }
    }
}

async fn refresh_once() {
    let Some((specs, base, previous)) = with(|w| {
        w.refreshing_from = Some(w.settings.feed_base.clone());
        (
            w.specs.clone(),
            w.settings.feed_base.clone(),
            w.feed_status.feeds.clone(),
        )
    }) else {
        return;
    };
    let _ = store::set("refreshing", &true).await;
    bindings::info(&format!(
        "OneBasket: refreshing the feeds from {}",
        base.as_deref().unwrap_or("the official URLs")
    ));
    let mut errors = Vec::new();
    for spec in &specs {
        // A new mirror was set meanwhile: stop here, the next pass fetches from it.
        if with(|w| w.refresh_again).unwrap_or(false) {
            return;
        }
        let url = match &base {
            Some(b) => format!("{}/{}", b.trim_end_matches('/'), spec.file),
            None => spec.url.clone(),
        };
        let before = previous
            .iter()
            .find(|f| f.file == spec.file)
            .map(|f| f.records);
        match fetch_one(spec, &url, before).await {
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
    let (table, _) = rebuild_from_feed_snapshots(&specs).await;
    let keep_old =
        table.is_empty() && with(|w| !w.engine.classifier().table().is_empty()).unwrap_or(false);
    if !keep_old {
        if let Err(e) = store::set("table", &store::encode_bytes(&table.to_snapshot())).await {
            errors.push(format!("storing the table failed: {e}"));
        }
    }
    for e in &errors {
        bindings::warn(&format!("OneBasket feeds: {e}"));
    }
    let status = with(|w| {
        if !keep_old {
            w.engine.classifier_mut().set_table(table);
        }
        w.feeds_from = Some(base.clone());
        let t = w.engine.classifier().table();
        w.feed_status = FeedStatus {
            feeds: t.feeds().to_vec(),
            records: u32::try_from(t.len()).unwrap_or(u32::MAX),
            refreshed_at: Some(now()),
            errors,
        };
        w.feed_status.clone()
    });
    if let Some(status) = status {
        let _ = store::set("feedStatus", &status).await;
    }
    // Written before `refreshing` is cleared: a kill in between refreshes once more, which is
    // harmless, while the other order could leave a finished flag with the old source.
    let _ = store::set(SOURCE_KEY, &serde_json::json!({ "feedBase": base })).await;
    let _ = store::set("refreshing", &false).await;
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

/// Storage key of the feed source the last completed refresh used (`{"feedBase": …}`).
pub const SOURCE_KEY: &str = "feedSource";

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
