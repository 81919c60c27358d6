//! Assembling a [`Classifier`] from feed files the caller read: the glue between feeds, table,
//! rules and site keys, shared by the CLI and the extension.

use crate::classify::Classifier;
use crate::feeds::{FeedError, FeedSet, FeedSpec};
use crate::rules::{Rules, RulesError};
use crate::site::SiteKeys;
use crate::table::{FeedInfo, PrefixTable};

/// Errors assembling the knowledge base.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KnowledgeError {
    /// The built-in rules file is invalid (a build defect, caught by tests).
    #[error("provider rules: {0}")]
    Rules(#[from] RulesError),
    /// A feed entry in the rules names a format this build does not know.
    #[error("feed {file}: unknown format {format:?}")]
    UnknownFormat {
        /// The feed file.
        file: String,
        /// The format named.
        format: String,
    },
}

/// The feed specs the rules file declares, in the parser's terms.
pub fn feed_specs(rules: &Rules) -> Result<Vec<FeedSpec>, KnowledgeError> {
    rules
        .feeds()
        .iter()
        .map(|f| {
            let format = f
                .format
                .parse()
                .map_err(|_| KnowledgeError::UnknownFormat {
                    file: f.file.clone(),
                    format: f.format.clone(),
                })?;
            Ok(FeedSpec {
                file: f.file.clone(),
                url: f.url.clone(),
                provider: f.provider.clone(),
                format,
                minus: f.minus.clone(),
                rented: f.rented.clone(),
            })
        })
        .collect()
}

/// Builds the prefix table from whatever feeds the set holds.
pub fn build_table(set: &FeedSet, specs: &[FeedSpec]) -> PrefixTable {
    let records = set.records(specs);
    let infos = set
        .feeds()
        .map(|f| FeedInfo {
            file: f.file.clone(),
            provider: f.provider.clone(),
            date: f.date.clone(),
            version: f.version.clone(),
            records: u32::try_from(f.records.len()).unwrap_or(u32::MAX),
        })
        .collect();
    PrefixTable::build(&records, infos)
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
    history.sort_by_key(|c| c.at);
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
/// whose file name starts like `file`'s stem and has its extension.
pub fn find_feed_link(page: &str, file: &str) -> Option<String> {
    let (stem, ext) = file.rsplit_once('.')?;
    let suffix = format!(".{ext}");
    page.split(['"', '\'', ' ', '<', '>'])
        .find(|s| {
            s.starts_with("https://")
                && s.rsplit('/')
                    .next()
                    .is_some_and(|name| name.starts_with(stem) && name.ends_with(&suffix))
        })
        .map(str::to_owned)
}

#[cfg(test)]
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
