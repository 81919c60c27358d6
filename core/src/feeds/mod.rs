//! Parsers for every official IP-range feed format, normalized to [`PrefixRecord`]s.
//!
//! Each feed is bytes in, records out (sans-IO). Normalization per format:
//! - AWS: one record per (prefix, region); service = the most specific services, sorted and
//!   joined with "," (`AMAZON` only when nothing narrower lists the prefix).
//! - Google Cloud: region = `scope`, service as given. goog.json: no region or service; the
//!   `minus` of its spec removes Google Cloud's space in [`FeedSet::records`].
//! - Azure: one record per prefix; region from `AzureCloud.<region>` first; service = the tag
//!   names without region suffix, sorted, joined, excluding `AzureCloud`.
//! - Cloudflare, Fastly: no region or service. Oracle: region, tags joined as service.
//! - Geofeeds: region = `<region code or country> <city>` (`US-NY New York`), no service.
//! - GitHub meta: service = the list names joined; rented lists go to the renting provider.
//!
//! Every prefix must be a CIDR (`addr/len`); host bits are cleared. A malformed entry fails
//! the whole file with an error naming the entry, so bad data never half-replaces good data.

mod aws;
mod azure;
mod cloudflare;
mod ctx;
mod error;
mod fastly;
mod geofeed;
mod github;
mod google;
mod minus;
mod oracle;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::PrefixRecord;
pub use error::FeedError;

/// Which official format a feed file is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedFormat {
    /// AWS `ip-ranges.json`.
    AwsIpRanges,
    /// Google Cloud `cloud.json`.
    GcpCloud,
    /// Google-wide `goog.json`.
    Goog,
    /// Azure `ServiceTags_Public_*.json`.
    AzureServiceTags,
    /// Cloudflare `ips-v4` / `ips-v6` text lists.
    CloudflareText,
    /// Cloudflare `client/v4/ips` API JSON.
    CloudflareApi,
    /// Fastly `public-ip-list` JSON.
    Fastly,
    /// Oracle Cloud `public_ip_ranges.json`.
    Oracle,
    /// RFC 8805 geofeed CSV.
    Geofeed,
    /// GitHub `meta` JSON.
    GithubMeta,
}

impl FeedFormat {
    /// Every format, in declaration order.
    pub const ALL: [FeedFormat; 10] = [
        Self::AwsIpRanges,
        Self::GcpCloud,
        Self::Goog,
        Self::AzureServiceTags,
        Self::CloudflareText,
        Self::CloudflareApi,
        Self::Fastly,
        Self::Oracle,
        Self::Geofeed,
        Self::GithubMeta,
    ];

    /// The kebab-case name used in data files (`aws-ip-ranges`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwsIpRanges => "aws-ip-ranges",
            Self::GcpCloud => "gcp-cloud",
            Self::Goog => "goog",
            Self::AzureServiceTags => "azure-service-tags",
            Self::CloudflareText => "cloudflare-text",
            Self::CloudflareApi => "cloudflare-api",
            Self::Fastly => "fastly",
            Self::Oracle => "oracle",
            Self::Geofeed => "geofeed",
            Self::GithubMeta => "github-meta",
        }
    }
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`FeedFormat`]'s kebab-case names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feed format {0:?} (expected one of aws-ip-ranges, gcp-cloud, goog, azure-service-tags, cloudflare-text, cloudflare-api, fastly, oracle, geofeed, github-meta)")]
pub struct UnknownFeedFormat(pub String);

impl FromStr for FeedFormat {
    type Err = UnknownFeedFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFeedFormat(s.to_owned()))
    }
}

/// How to read one feed file (from the providers data file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct FeedSpec {
    /// File name, e.g. `ip-ranges.json`; also the key in [`FeedSet`].
    pub file: String,
    /// Official URL the file is fetched from.
    pub url: String,
    /// Provider id the records get, e.g. `aws`.
    pub provider: String,
    /// The file's format.
    pub format: FeedFormat,
    /// Provider id whose ranges are subtracted from this feed's (goog.json: `gcp`).
    #[serde(default)]
    pub minus: Option<String>,
    /// GitHub meta: list name (`actions`) → provider id owning that space (`azure`).
    #[serde(default)]
    pub rented: BTreeMap<String, String>,
}

/// One feed file parsed into normalized records.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ParsedFeed {
    /// File name from the spec.
    pub file: String,
    /// Provider id from the spec.
    pub provider: String,
    /// Publication day `YYYY-MM-DD` as the file states it; None when the format has none.
    pub date: Option<String>,
    /// The file's own version (`syncToken`, `changeNumber`, `etag`), if any.
    pub version: Option<String>,
    /// Records sorted and deduplicated.
    pub records: Vec<PrefixRecord>,
}

/// What a format parser hands back before the common checks.
struct Parsed {
    date: Option<String>,
    version: Option<String>,
    records: Vec<PrefixRecord>,
}

/// Largest feed file accepted, in bytes. The largest official feed (Azure's ServiceTags) is a
/// few MB; a body far past that is a broken or hostile download, refused before parsing so it
/// costs no time or memory.
pub const MAX_FEED_BYTES: usize = 32 * 1024 * 1024;

/// Parses one feed file according to its spec; an empty feed, or one over [`MAX_FEED_BYTES`],
/// is an error.
pub fn parse(spec: &FeedSpec, bytes: &[u8]) -> Result<ParsedFeed, FeedError> {
    if bytes.len() > MAX_FEED_BYTES {
        return Err(FeedError::TooLarge {
            file: spec.file.clone(),
            size: bytes.len(),
            limit: MAX_FEED_BYTES,
        });
    }
    let cx = ctx::Ctx::new(&spec.file);
    let parsed = match spec.format {
        FeedFormat::AwsIpRanges => aws::parse(&cx, spec, bytes),
        FeedFormat::GcpCloud | FeedFormat::Goog => google::parse(&cx, spec, bytes),
        FeedFormat::AzureServiceTags => azure::parse(&cx, spec, bytes),
        FeedFormat::CloudflareText => cloudflare::parse_text(&cx, spec, bytes),
        FeedFormat::CloudflareApi => cloudflare::parse_api(&cx, spec, bytes),
        FeedFormat::Fastly => fastly::parse(&cx, spec, bytes),
        FeedFormat::Oracle => oracle::parse(&cx, spec, bytes),
        FeedFormat::Geofeed => geofeed::parse(&cx, spec, bytes),
        FeedFormat::GithubMeta => github::parse(&cx, spec, bytes),
    }?;
    let Parsed {
        date,
        version,
        mut records,
    } = parsed;
    if records.is_empty() {
        return Err(FeedError::Empty {
            file: spec.file.clone(),
        });
    }
    records.sort_unstable();
    records.dedup();
    Ok(ParsedFeed {
        file: spec.file.clone(),
        provider: spec.provider.clone(),
        date,
        version,
        records,
    })
}

/// The last good [`ParsedFeed`] per file; a failed parse leaves the previous data in use.
#[derive(Debug, Clone, Default)]
pub struct FeedSet {
    feeds: BTreeMap<String, ParsedFeed>,
}

impl FeedSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `bytes` and, only if that succeeds, replaces the feed stored for `spec.file`.
    pub fn apply(&mut self, spec: &FeedSpec, bytes: &[u8]) -> Result<&ParsedFeed, FeedError> {
        let feed = parse(spec, bytes)?;
        Ok(match self.feeds.entry(feed.file.clone()) {
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                slot.insert(feed);
                slot.into_mut()
            }
            std::collections::btree_map::Entry::Vacant(slot) => slot.insert(feed),
        })
    }

    /// Stores an already parsed feed (e.g. from a cache), replacing the one for its file.
    pub fn insert(&mut self, feed: ParsedFeed) {
        self.feeds.insert(feed.file.clone(), feed);
    }

    /// The feed stored for `file`.
    pub fn get(&self, file: &str) -> Option<&ParsedFeed> {
        self.feeds.get(file)
    }

    /// All stored feeds, by file name.
    pub fn feeds(&self) -> impl Iterator<Item = &ParsedFeed> {
        self.feeds.values()
    }

    /// All records of all feeds, sorted and deduplicated, with each spec's `minus` applied:
    /// a feed whose spec names `minus = p` loses every address covered by provider `p`'s
    /// records in the other feeds (its prefixes are split into the CIDRs that remain).
    pub fn records(&self, specs: &[FeedSpec]) -> Vec<PrefixRecord> {
        let minus_of: HashMap<&str, &str> = specs
            .iter()
            .filter_map(|s| Some((s.file.as_str(), s.minus.as_deref()?)))
            .collect();
        let mut out = Vec::new();
        for feed in self.feeds.values() {
            let Some(&other) = minus_of.get(feed.file.as_str()) else {
                out.extend(feed.records.iter().cloned());
                continue;
            };
            let nets: Vec<_> = self
                .feeds
                .values()
                .filter(|f| f.file != feed.file)
                .flat_map(|f| &f.records)
                .filter(|r| r.provider == other)
                .map(|r| r.prefix)
                .collect();
            let subtrahend = minus::Subtrahend::new(&nets);
            for record in &feed.records {
                out.extend(
                    subtrahend
                        .difference(record.prefix)
                        .into_iter()
                        .map(|prefix| PrefixRecord {
                            prefix,
                            ..record.clone()
                        }),
                );
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
