//! Assembling a [`Classifier`] from feed files the caller read: the glue between feeds, table,
//! rules and site keys, shared by the CLI and the extension.

use serde::{Deserialize, Serialize};

use crate::classify::Classifier;
use crate::feeds::{FeedError, FeedSet, FeedSpec, ParsedFeed};
use crate::rules::{Rules, RulesError};
use crate::site::SiteKeys;
use crate::table::{FeedInfo, PrefixTable};
use crate::Millis;

/// Errors assembling the knowledge base.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KnowledgeError {
    /// The built-in rules file is invalid (a build defect, caught by tests).
    #[error("provider rules: {0}")]
    Rules(#[from] RulesError),
}

/// The feeds to download: every `[[feed]]` of the rules except the `manual` ones (published
/// only inside an archive), which no refresh can fetch. The worker and `feeds update` use it.
pub fn feed_specs(rules: &Rules) -> Result<Vec<FeedSpec>, KnowledgeError> {
    Ok(rules
        .feeds()
        .iter()
        .filter(|f| !f.manual)
        .cloned()
        .collect())
}

/// Every feed the rules declare, `manual` ones included: what a feed directory may hold.
pub fn all_feed_specs(rules: &Rules) -> Vec<FeedSpec> {
    rules.feeds().to_vec()
}

/// Builds the prefix table from whatever feeds the set holds.
pub fn build_table(set: &FeedSet, specs: &[FeedSpec]) -> PrefixTable {
    let records = set.records(specs);
    let infos = set.feeds().map(feed_info).collect();
    PrefixTable::build(&records, infos)
}

/// What the table says of one parsed feed.
pub fn feed_info(f: &ParsedFeed) -> FeedInfo {
    FeedInfo {
        file: f.file.clone(),
        provider: f.provider.clone(),
        date: f.date.clone(),
        version: f.version.clone(),
        records: u32::try_from(f.records.len()).unwrap_or(u32::MAX),
    }
}

/// One parsed feed as a table snapshot of its own: what the extension keeps per feed, so a
/// failed download later leaves that feed's last good data in use.
pub fn feed_snapshot(f: &ParsedFeed) -> Vec<u8> {
    PrefixTable::build(&f.records, vec![feed_info(f)]).to_snapshot()
}

/// Parses each (spec, bytes) pair into the set; returns the per-file errors (the set keeps the
/// previous data for a file that fails).
pub fn load_feeds<'a>(
    set: &mut FeedSet,
    files: impl IntoIterator<Item = (&'a FeedSpec, &'a [u8])>,
) -> Vec<FeedError> {
    files
        .into_iter()
        .filter_map(|(spec, bytes)| set.apply(spec, bytes).err())
        .collect()
}

/// A classifier with the built-in rules and suffix list over `table`.
pub fn classifier(table: PrefixTable) -> Result<Classifier, KnowledgeError> {
    Ok(Classifier::new(
        table,
        Rules::builtin()?,
        SiteKeys::builtin(),
    ))
}

/// Whether a new download of a feed is believable next to the last good one: a feed that
/// shrank by 90 % or more is far likelier a truncated or broken download than a provider
/// giving back nine tenths of its space.
pub fn plausible_update(previous_records: u32, new_records: u32) -> bool {
    previous_records == 0 || u64::from(new_records) * 10 > u64::from(previous_records)
}

/// How long an accepted copy of a feed stays a reference for [`plausible_update`]: 30 days, in
/// seconds.
pub const SHRINK_REFERENCE_SECS: u64 = 30 * 86_400;

/// At most this many accepted copies are remembered per feed.
const MAX_ACCEPTED: usize = 64;

/// A copy of a feed that was accepted: when, and how many records it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AcceptedCopy {
    /// When it was accepted, in seconds since the Unix epoch.
    pub at: u64,
    /// How many records it had.
    pub records: u32,
}

/// The copy a new download of a feed is judged against: the largest one accepted within
/// [`SHRINK_REFERENCE_SECS`] before `now` (the latest of equals), or the latest one when all
/// are older. Judging against the last copy alone ratchets: two shrinks of 85 % in a row each
/// pass, and 97 % of the feed is gone.
pub fn shrink_reference(history: &[AcceptedCopy], now: u64) -> Option<AcceptedCopy> {
    let since = now.saturating_sub(SHRINK_REFERENCE_SECS);
    history
        .iter()
        .filter(|c| c.at >= since)
        .max_by_key(|c| (c.records, c.at))
        .or_else(|| history.iter().max_by_key(|c| c.at))
        .copied()
}

/// Adds `copy` to `history` and forgets what [`shrink_reference`] can no longer pick: copies
/// older than the window (the latest one stays), and beyond [`MAX_ACCEPTED`] the oldest of the
/// rest (the largest one stays).
pub fn remember_accepted(history: &mut Vec<AcceptedCopy>, copy: AcceptedCopy) {
    history.push(copy);
    crate::sort::sort_by_key(history, |c| c.at);
    let since = copy.at.saturating_sub(SHRINK_REFERENCE_SECS);
    let last = history.len() - 1;
    let mut i = 0;
    history.retain(|c| {
        i += 1;
        c.at >= since || i - 1 == last
    });
    while history.len() > MAX_ACCEPTED {
        let largest = history.iter().map(|c| c.records).max().unwrap_or(0);
        match history.iter().position(|c| c.records < largest) {
            Some(oldest) => {
                history.remove(oldest);
            }
            None => {
                history.remove(0);
            }
        }
    }
}

/// Some publishers (Azure) have no stable file URL, only a download page linking the current
/// dated file (`ServiceTags_Public_20261116.json`): the first absolute https link in `page`
/// whose file name starts like `file`'s stem and has its extension. The link may sit in an
/// `href`, or in the JSON the page's script reads (where `/` may be escaped as `\/`).
pub fn find_feed_link(page: &str, file: &str) -> Option<String> {
    let (stem, ext) = file.rsplit_once('.')?;
    let suffix = format!(".{ext}");
    let page = page.replace("\\/", "/");
    page.split(['"', '\'', ' ', '<', '>'])
        .find(|s| {
            s.starts_with("https://")
                && s.rsplit('/')
                    .next()
                    .is_some_and(|name| name.starts_with(stem) && name.ends_with(&suffix))
        })
        .map(str::to_owned)
}

/// One feed whose data is older than its provider's usual publication cadence allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedAgeWarning {
    /// The feed file (`ip-ranges.json`).
    pub file: String,
    /// Provider id the feed belongs to.
    pub provider: String,
    /// The publication day the file states (`2026-08-22`).
    pub date: String,
    /// Whole days between that day and `now`.
    pub age_days: u32,
    /// The provider's usual cadence, in days (`cadence_days` of the `[[feed]]` entry).
    pub cadence_days: u32,
}

/// How many cadences a feed may miss before it is called stale: providers skip a beat now and
/// then (AWS publishes several times a day, then not for two), so one missed cadence is normal.
pub const STALE_AFTER_CADENCES: u32 = 2;

/// A warning when the feed's own publication date is more than [`STALE_AFTER_CADENCES`] times
/// its cadence before `now_ms` (Unix milliseconds): the data may miss the provider's newest
/// ranges. None when the feed is fresh, has no date in the file (Cloudflare, Fastly, GitHub,
/// Azure's file), or has no cadence. Pure: the caller passes the clock.
pub fn feed_age_warning(
    info: &FeedInfo,
    cadence_days: Option<u32>,
    now_ms: u64,
) -> Option<FeedAgeWarning> {
    let cadence = cadence_days.filter(|&c| c > 0)?;
    let date = info.date.as_deref()?;
    let published = crate::date::day_number(date)?;
    let today = i64::try_from(now_ms / 86_400_000).ok()?;
    let age = u32::try_from(today.checked_sub(published)?).ok()?;
    (age > cadence.saturating_mul(STALE_AFTER_CADENCES)).then(|| FeedAgeWarning {
        file: info.file.clone(),
        provider: info.provider.clone(),
        date: date.to_owned(),
        age_days: age,
        cadence_days: cadence,
    })
}

/// [`feed_age_warning`] for every feed of a table (`FeedStatus::feeds`), with each feed's
/// cadence from the rules; stalest first.
pub fn feed_age_warnings(rules: &Rules, feeds: &[FeedInfo], now_ms: u64) -> Vec<FeedAgeWarning> {
    let mut out: Vec<FeedAgeWarning> = feeds
        .iter()
        .filter_map(|info| {
            let cadence = rules.feed(&info.file).and_then(|f| f.cadence_days);
            feed_age_warning(info, cadence, now_ms)
        })
        .collect();
    crate::sort::sort_by(&mut out, |a, b| {
        (u64::from(b.age_days) * u64::from(a.cadence_days))
            .cmp(&(u64::from(a.age_days) * u64::from(b.cadence_days)))
            .then_with(|| a.file.cmp(&b.file))
    });
    out
}

/// The state of the IP-range data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedStatus {
    /// The feeds in the table, with their dates.
    pub feeds: Vec<FeedInfo>,
    /// Records in the table.
    pub records: u32,
    /// When the last refresh finished.
    pub refreshed_at: Option<Millis>,
    /// Per-file problems of the last refresh (the previous data stays in use).
    pub errors: Vec<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plausibility() {
        assert!(plausible_update(0, 0));
        assert!(plausible_update(1000, 101));
        assert!(!plausible_update(1000, 100));
        assert!(!plausible_update(56_725, 0));
        assert!(plausible_update(100, 5000));
    }

    /// What the extension keeps per feed loads back as a table of that one feed, with its
    /// records and its feed's facts.
    #[test]
    fn a_feed_snapshot_is_a_table_of_that_feed() {
        let feed = ParsedFeed {
            file: "ip-ranges.json".into(),
            provider: "aws".into(),
            date: Some("2026-08-22".into()),
            version: Some("1755".into()),
            records: vec![
                crate::PrefixRecord::new(
                    "3.5.140.0/22".parse().unwrap(),
                    "aws",
                    Some("ap-northeast-2"),
                    Some("S3"),
                ),
                crate::PrefixRecord::new("2600:1f00::/24".parse().unwrap(), "aws", None, None),
            ],
        };
        let table = PrefixTable::from_snapshot(&feed_snapshot(&feed)).unwrap();
        assert_eq!(table.feeds(), [feed_info(&feed)]);
        assert_eq!(table.feeds()[0].records, 2);
        assert_eq!(table.records().count(), 2);
    }

    fn info(file: &str, date: Option<&str>) -> FeedInfo {
        FeedInfo {
            file: file.into(),
            provider: "p".into(),
            date: date.map(Into::into),
            version: None,
            records: 1,
        }
    }

    /// 2026-08-22 00:00 UTC, in Unix milliseconds.
    const AUG_22: u64 = 20_687 * 86_400_000;

    #[test]
    fn feed_age_warnings_follow_the_cadence() {
        let aws = info("ip-ranges.json", Some("2026-08-22"));
        assert_eq!(feed_age_warning(&aws, Some(3), AUG_22), None);
        // Two cadences late is still normal; one day more is stale.
        assert_eq!(
            feed_age_warning(&aws, Some(3), AUG_22 + 6 * 86_400_000),
            None
        );
        let w = feed_age_warning(&aws, Some(3), AUG_22 + 7 * 86_400_000 + 5).unwrap();
        assert_eq!(
            w,
            FeedAgeWarning {
                file: "ip-ranges.json".into(),
                provider: "p".into(),
                date: "2026-08-22".into(),
                age_days: 7,
                cadence_days: 3,
            }
        );
        // No date in the file, no cadence, a date in the future, a malformed date: no warning.
        assert_eq!(
            feed_age_warning(&info("ips-v4", None), Some(7), AUG_22),
            None
        );
        assert_eq!(feed_age_warning(&aws, None, u64::MAX), None);
        assert_eq!(
            feed_age_warning(&info("f", Some("2027-01-01")), Some(1), AUG_22),
            None
        );
        assert_eq!(
            feed_age_warning(&info("f", Some("20260822")), Some(1), AUG_22),
            None
        );
        // The JSON the pages receive.
        assert_eq!(
            serde_json::to_value(&w).unwrap(),
            serde_json::json!({"file": "ip-ranges.json", "provider": "p", "date": "2026-08-22",
                               "ageDays": 7, "cadenceDays": 3})
        );
    }

    #[test]
    fn feed_age_warnings_use_the_rules_cadences() {
        let rules = Rules::builtin().unwrap();
        let feeds = [
            info("ip-ranges.json", Some("2026-08-22")),
            info("cloud.json", Some("2026-05-05")),
            info("public_ip_ranges.json", Some("2025-07-21")),
            info("google.csv", None),
        ];
        // On 2026-09-01: AWS (cadence 3) is 10 days old, cloud.json (7) 119, Oracle (30) 407.
        let now = AUG_22 + 10 * 86_400_000;
        let w = feed_age_warnings(&rules, &feeds, now);
        let got: Vec<(&str, u32, u32)> = w
            .iter()
            .map(|w| (w.file.as_str(), w.age_days, w.cadence_days))
            .collect();
        assert_eq!(
            got,
            [
                ("cloud.json", 119, 7),
                ("public_ip_ranges.json", 407, 30),
                ("ip-ranges.json", 10, 3),
            ]
        );
    }

    /// The two layouts of Azure's download page the worker and CLI follow: the older
    /// confirmation page's `<a href>` and the current details page, whose script reads the
    /// file's address from embedded JSON (sometimes with `\/`-escaped slashes). Written from
    /// the pages' structure, not copied.
    #[test]
    fn azure_download_page_formats() {
        let want = "https://download.microsoft.com/download/7/1/D/71D86715-5596-4529-9B13-DA13A5DE5B63/ServiceTags_Public_20261116.json";
        let confirmation = format!(
            r#"<!DOCTYPE html ><html lang="en-us"><head><title>Download Azure IP Ranges and Service Tags – Public Cloud</title></head>
            <body><a href="https://www.microsoft.com/en-us/download/details.aspx?id=56519">back</a>
            <a class="mscom-link failoverLink" href="{want}" data-m="{{}}">click here to download manually</a></body></html>"#
        );
        let details = format!(
            r#"<!doctype html><html><body><div id="root"></div><script>window.__DLCDetails__={{"dlcDetailsView":{{"downloadFile":[{{"name":"ServiceTags_Public_20261116.json","url":"{want}","size":"4401044"}}]}}}};</script></body></html>"#
        );
        let escaped = details.replace('/', "\\/");
        for page in [&confirmation, &details, &escaped] {
            assert_eq!(
                find_feed_link(page, "ServiceTags_Public.json").as_deref(),
                Some(want)
            );
        }
        // A page that lost the link (a new layout, a bot-check page) is a clear miss.
        assert_eq!(
            find_feed_link(
                "<!doctype html><html><body>Access Denied</body></html>",
                "ServiceTags_Public.json"
            ),
            None
        );
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn the_shrink_reference_does_not_walk_down_with_each_copy() {
        const DAY: u64 = 86_400;
        let now = 1_000 * DAY;
        let mut history = Vec::new();
        assert_eq!(shrink_reference(&history, now), None);
        // 11,013 → 2,267 (79 % smaller: believable) → 342 (85 % smaller than the last copy).
        remember_accepted(
            &mut history,
            AcceptedCopy {
                at: now - 2 * DAY,
                records: 11_013,
            },
        );
        let reference = shrink_reference(&history, now - DAY).unwrap();
        assert!(plausible_update(reference.records, 2_267));
        remember_accepted(
            &mut history,
            AcceptedCopy {
                at: now - DAY,
                records: 2_267,
            },
        );
        let reference = shrink_reference(&history, now).unwrap();
        assert_eq!(
            reference,
            AcceptedCopy {
                at: now - 2 * DAY,
                records: 11_013
            }
        );
        assert!(!plausible_update(reference.records, 342));
        // A month later the large copy is no reference any more: a lasting shrink is believed.
        let later = now - 2 * DAY + SHRINK_REFERENCE_SECS + 1;
        assert_eq!(shrink_reference(&history, later).unwrap().records, 2_267);
        // Long after every copy, the latest one is still the reference.
        let much_later = now + 10 * SHRINK_REFERENCE_SECS;
        assert_eq!(
            shrink_reference(&history, much_later).unwrap().records,
            2_267
        );
    }

    #[test]
    fn the_accepted_history_stays_small() {
        const DAY: u64 = 86_400;
        let mut history = Vec::new();
        remember_accepted(
            &mut history,
            AcceptedCopy {
                at: 0,
                records: 50_000,
            },
        );
        for day in 1..=200 {
            remember_accepted(
                &mut history,
                AcceptedCopy {
                    at: day * 3_600,
                    records: 1_000,
                },
            );
        }
        assert!(history.len() <= MAX_ACCEPTED);
        assert!(
            history.iter().any(|c| c.records == 50_000),
            "the largest stays"
        );
        // Old copies go once a newer one is accepted after the window.
        remember_accepted(
            &mut history,
            AcceptedCopy {
                at: 100 * DAY,
                records: 900,
            },
        );
        assert_eq!(
            history,
            [AcceptedCopy {
                at: 100 * DAY,
                records: 900
            }]
        );
    }

    #[test]
    fn finds_the_dated_azure_link() {
        let page = r#"<a href="https://www.microsoft.com/other.json">x</a>
            <a href="https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20261116.json" class="dl">"#;
        assert_eq!(
            find_feed_link(page, "ServiceTags_Public.json").as_deref(),
            Some("https://download.microsoft.com/download/7/1/d/ServiceTags_Public_20261116.json")
        );
        assert_eq!(
            find_feed_link("<html>no links</html>", "ServiceTags_Public.json"),
            None
        );
        assert_eq!(
            find_feed_link(
                "http://insecure/ServiceTags_Public_1.json",
                "ServiceTags_Public.json"
            ),
            None
        );
    }
}
