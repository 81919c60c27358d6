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
