//! Parsers for every official IP-range feed format, normalized to [`PrefixRecord`]s.
//!
//! Each feed is bytes in, records out (sans-IO). One parser per *format*, never per provider:
//! what differs between providers that share a format (the names of the JSON lists, a fixed
//! service) is data in the feed's [`FeedSpec`] (a `[[feed]]` entry of `data/providers.toml`).
//! Normalization per format:
//! - AWS: one record per (prefix, region); service = the most specific services, sorted and
//!   joined with "," (`AMAZON` only when nothing narrower lists the prefix).
//! - Google Cloud: region = `scope`, service as given. goog.json: no region or service; the
//!   `minus` of its spec removes Google Cloud's space in [`FeedSet::records`].
//! - Azure: one record per prefix; region from `AzureCloud.<region>` first; service = the tag
//!   names without region suffix, sorted, joined, excluding `AzureCloud`.
//! - Text lists (`cidr-text`, `ip-text`): one entry per line, no region or service.
//! - JSON lists (`json-lists`): arrays of prefixes under the keys the spec names (Fastly,
//!   Imperva, Gcore, Bunny, CloudFront, Zscaler hubs, CDN77); no region.
//! - Cloudflare API: no region or service. Oracle: region, tags joined as service.
//! - Geofeeds (RFC 8805 CSV, or its JSON form): region = `<region code or country> <city>`
//!   (`US-NY New York`), no service.
//! - Zscaler's enforcement-node list: region = the city, or the continent for a range listed
//!   under several cities.
//! - GitHub meta: service = the list names joined; rented lists go to the renting provider,
//!   owned lists (`owners`) to the provider named.
//!
//! A spec's `service` fills in the service of records whose format gives none (CloudFront's own
//! list is all `CLOUDFRONT`). Every prefix must be a CIDR (`addr/len`; `ip-text` and the address
//! lists of `json-lists` also take a bare address as its host route); host bits are cleared. A
//! malformed entry fails the whole file with an error naming the entry, so bad data never
//! half-replaces good data.

mod asn_table;
mod aws;
mod azure;
mod cloudflare;
mod ctx;
mod error;
mod geofeed;
mod github;
mod google;
mod lists;
mod minus;
mod oracle;
#[cfg(test)]
mod tests;
mod text;
mod zscaler;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use litemap::LiteMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::PrefixRecord;
pub use asn_table::{AsnEntry, AsnTable};
pub use error::FeedError;
pub use github::rented_service;

/// Declares [`FeedFormat`] with its data-file names in one place: the enum, [`FeedFormat::ALL`],
/// [`FeedFormat::as_str`], parsing, serde and the error text all come from this one list, so
/// they cannot drift apart.
macro_rules! feed_formats {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// Which official format a feed file is in.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FeedFormat {
            $($(#[doc = $doc])* $variant,)*
        }

        impl FeedFormat {
            /// Every format, in declaration order.
            pub const ALL: &'static [FeedFormat] = &[$(Self::$variant,)*];

            /// The kebab-case name used in data files (`aws-ip-ranges`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

feed_formats! {
    /// AWS `ip-ranges.json`.
    AwsIpRanges => "aws-ip-ranges",
    /// Google Cloud `cloud.json`.
    GcpCloud => "gcp-cloud",
    /// Google-wide `goog.json`.
    Goog => "goog",
    /// Azure `ServiceTags_Public_*.json`.
    AzureServiceTags => "azure-service-tags",
    /// One CIDR per line, `#` comments (Cloudflare `ips-v4`, Akamai, CacheFly).
    CidrText => "cidr-text",
    /// One CIDR or bare address per line, or separated by `<br>` tags (QUIC.cloud).
    IpText => "ip-text",
    /// Cloudflare `client/v4/ips` API JSON.
    CloudflareApi => "cloudflare-api",
    /// JSON arrays of prefixes under the keys the spec's `lists` names (Fastly, Imperva, …).
    JsonLists => "json-lists",
    /// Oracle Cloud `public_ip_ranges.json`.
    Oracle => "oracle",
    /// RFC 8805 geofeed, as CSV or as its JSON form (`subnets[{ip_prefix, region, city}]`).
    Geofeed => "geofeed",
    /// GitHub `meta` JSON.
    GithubMeta => "github-meta",
    /// Zscaler cloud enforcement node ranges (`cenr/json`).
    ZscalerCenr => "zscaler-cenr",
}

impl FeedFormat {
    /// Every format name, comma-separated (for error messages).
    pub fn names() -> String {
        Self::ALL
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for FeedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`FeedFormat`]'s kebab-case names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown feed format {0:?} (expected one of {names})", names = FeedFormat::names())]
pub struct UnknownFeedFormat(pub String);

impl FromStr for FeedFormat {
    type Err = UnknownFeedFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFeedFormat(s.to_owned()))
    }
}

impl Serialize for FeedFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FeedFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// How to read one feed file: a `[[feed]]` entry of the providers data file, as the rules
/// loader checks it and the parsers use it (one struct for both).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSpec {
    /// File name, e.g. `ip-ranges.json`; also the key in [`FeedSet`].
    pub file: String,
    /// Official URL the file is fetched from (or the page that links it).
    pub url: String,
    /// Provider id the records get, e.g. `aws`.
    pub provider: String,
    /// The file's format.
    pub format: FeedFormat,
    /// Provider id whose ranges are subtracted from this feed's (goog.json: `gcp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minus: Option<String>,
    /// GitHub meta: list name (`actions`) → provider id owning that space (`azure`). Such a
    /// list is an overlay: the feed's provider *may* run there, inside the other's space.
    #[serde(
        default,
        skip_serializing_if = "LiteMap::is_empty",
        with = "crate::sorted_map"
    )]
    pub rented: LiteMap<String, String>,
    /// GitHub meta: list name (`pages`) → provider id whose own ranges the list holds.
    #[serde(
        default,
        skip_serializing_if = "LiteMap::is_empty",
        with = "crate::sorted_map"
    )]
    pub owners: LiteMap<String, String>,
    /// `json-lists`: the top-level keys holding prefix arrays; empty when the whole document
    /// is one array.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lists: Vec<String>,
    /// `json-lists`: the entries are objects and this field holds the prefix (`prefix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_field: Option<String>,
    /// `json-lists`: the top-level field holding the publication time (`updated_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_field: Option<String>,
    /// Service for every record the format gives none (CloudFront's own list: `CLOUDFRONT`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// How often the provider usually publishes, in days; data much older than this is stale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cadence_days: Option<u32>,
    /// The official file is only published inside an archive (Akamai's zip), so it is never
    /// downloaded: it is read from a feed directory the user filled.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
}

impl FeedSpec {
    /// A spec with every optional key at its default.
    pub fn new(file: &str, url: &str, provider: &str, format: FeedFormat) -> Self {
        Self {
            file: file.to_owned(),
            url: url.to_owned(),
            provider: provider.to_owned(),
            format,
            minus: None,
            rented: LiteMap::new(),
            owners: LiteMap::new(),
            lists: Vec::new(),
            prefix_field: None,
            date_field: None,
            service: None,
            cadence_days: None,
            manual: false,
        }
    }
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
        FeedFormat::CidrText => text::parse(&cx, spec, bytes, text::Entries::Cidrs),
        FeedFormat::IpText => text::parse(&cx, spec, bytes, text::Entries::Addresses),
        FeedFormat::CloudflareApi => cloudflare::parse_api(&cx, spec, bytes),
        FeedFormat::JsonLists => lists::parse(&cx, spec, bytes),
        FeedFormat::Oracle => oracle::parse(&cx, spec, bytes),
        FeedFormat::Geofeed => geofeed::parse(&cx, spec, bytes),
        FeedFormat::GithubMeta => github::parse(&cx, spec, bytes),
        FeedFormat::ZscalerCenr => zscaler::parse(&cx, spec, bytes),
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
    if let Some(service) = spec.service.as_deref().filter(|s| !s.is_empty()) {
        for r in records.iter_mut().filter(|r| r.service.is_none()) {
            r.service = Some(service.to_owned());
        }
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
    /// By file name: a sorted vector of a few dozen feeds (a `BTreeMap` of these types was
    /// 7 KB of the worker's wasm).
    feeds: LiteMap<String, ParsedFeed>,
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
            litemap::Entry::Occupied(mut slot) => {
                slot.insert(feed);
                slot.into_mut()
            }
            litemap::Entry::Vacant(slot) => slot.insert(feed),
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
