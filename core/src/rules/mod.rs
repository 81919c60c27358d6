//! Provider knowledge as reviewed data: `data/providers.toml` parsed, validated and indexed.
//!
//! The rules file says which ASNs, CNAME suffixes, name-server patterns and HTTP headers belong to
//! which provider, what a platform runs on, and where each official IP-range feed lives. Keeping
//! it as data (like Wappalyzer's or cdncheck's tables) means one reviewed file instead of facts
//! scattered through code. [`Rules::builtin`] parses the embedded copy; callers keep the value.
//!
//! Two small matching languages, both documented again at the top of the rules file:
//!
//! - **Header rules** ([`HeaderRule`](schema::HeaderRule)): `{ name = "cf-ray" }` (present), `value` (equals),
//!   `contains` (substring), `prefix` (starts with), or `{ cookie = "AWSALB" }` (a `set-cookie`
//!   sets that cookie). Names and values are compared ignoring ASCII case.
//! - **Name-server patterns**: dotted labels matched against the end of the host on whole labels;
//!   a label may hold one wildcard, `*` (one or more characters) or `#` (one or more digits), so
//!   `awsdns-#.org` matches `ns-1234.awsdns-12.org` and `ultradns.*` any TLD. No regex engine.

use litemap::LiteMap;

use crate::feeds::FeedSpec;
use headers::PreparedHeader;
use ns::NsPattern;
use schema::{Overlay, Provider, RulesFile};

pub mod headers;
mod index;
mod ns;
pub mod schema;
mod validate;

/// The reviewed rules file, embedded at build time (the crate is sans-IO).
/// `data/providers.toml`, converted to JSON by the build script (no TOML parser ships).
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/providers.json"));

#[cfg(test)]
const BUILTIN: &str = include_str!("../../data/providers.toml");

/// Why a rules file was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RulesError {
    /// The text is not valid TOML or does not fit the schema (unknown key, wrong type, …).
    #[error("rules file does not parse: {0}")]
    Parse(String),
    /// A `[[provider]]` entry is invalid.
    #[error("provider `{id}`: `{key}` {reason}")]
    Provider {
        /// Id of the offending provider (as written).
        id: String,
        /// The offending key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A `[[feed]]` entry is invalid.
    #[error("feed `{file}`: `{key}` {reason}")]
    Feed {
        /// File name of the offending feed entry.
        file: String,
        /// The offending key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

/// The validated, indexed rules.
#[derive(Debug, Clone)]
pub struct Rules {
    providers: Vec<Provider>,
    feeds: Vec<FeedSpec>,
    by_id: LiteMap<String, usize>,
    by_suffix: LiteMap<String, usize>,
    by_asn: LiteMap<u32, usize>,
    ns: Vec<NsPattern>,
    headers: Vec<PreparedHeader>,
    /// The overlay lists of every feed (a handful: a list, not a map, keeps the wasm small).
    overlays: Vec<Overlay>,
}

impl Rules {
    /// The rules embedded in the crate (`data/providers.toml`).
    pub fn builtin() -> Result<Rules, RulesError> {
        Rules::from_json(BUILTIN_JSON)
    }

    /// Parses and validates a rules file in TOML (the format of `data/providers.toml`).
    #[cfg(any(test, feature = "toml"))]
    pub fn from_toml(text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| RulesError::Parse(e.to_string()))?;
        Rules::build(file.provider, file.feed)
    }

    /// The embedded rules in the JSON form [`Rules::builtin`] parses, for a caller that reads
    /// JSON another way ([`Rules::from_deserializer`]).
    pub fn builtin_json() -> &'static str {
        BUILTIN_JSON
    }

    /// Parses and validates a rules file from any serde deserializer: the extension's worker
    /// reads [`Rules::builtin_json`] through the browser's `JSON.parse`, which leaves
    /// serde_json's reader out of its wasm.
    pub fn from_deserializer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Rules, RulesError> {
        let file = <RulesFile as serde::Deserialize>::deserialize(d)
            .map_err(|e| RulesError::Parse(e.to_string()))?;
        Rules::build(file.provider, file.feed)
    }

    /// Parses and validates a rules file in the JSON form the build script produces.
    pub fn from_json(text: &str) -> Result<Rules, RulesError> {
        let file: RulesFile =
            serde_json::from_str(text).map_err(|e| RulesError::Parse(e.to_string()))?;
        Rules::build(file.provider, file.feed)
    }

    /// Every provider, in file order.
    pub fn providers(&self) -> &[Provider] {
        &self.providers
    }

    /// Every feed entry, in file order (including `manual` ones, which are never downloaded).
    pub fn feeds(&self) -> &[FeedSpec] {
        &self.feeds
    }

    /// The index of the provider with this id in [`Rules::providers`] (fits a `u16`: the
    /// schema check bounds the file far below that).
    pub fn index_of(&self, id: &str) -> Option<u16> {
        self.by_id.get(id).and_then(|&i| u16::try_from(i).ok())
    }

    /// The feed entry for this file name.
    pub fn feed(&self, file: &str) -> Option<&FeedSpec> {
        self.feeds.iter().find(|f| f.file == file)
    }

    /// The overlay lists a record of `provider` with this (comma-joined) `service` stands
    /// for, when every member of the service is one: such a record says who may run inside
    /// the range, not what the range is. Empty for an ordinary record.
    pub fn overlays(&self, provider: &str, service: &str) -> Vec<&Overlay> {
        if !self.is_overlay(provider, service) {
            return Vec::new();
        }
        service
            .split(',')
            .filter_map(|member| self.overlay(provider, member.trim()))
            .collect()
    }

    /// Whether some of `provider`'s space is rented out (an overlay list names who may run
    /// there).
    pub fn rents_out(&self, provider: &str) -> bool {
        self.overlays.iter().any(|o| o.space_of == provider)
    }

    /// Whether [`Rules::overlays`] is not empty, without allocating (checked per look-up).
    pub fn is_overlay(&self, provider: &str, service: &str) -> bool {
        self.overlays.iter().any(|o| o.space_of == provider)
            && service
                .split(',')
                .all(|member| self.overlay(provider, member.trim()).is_some())
    }

    fn overlay(&self, provider: &str, service: &str) -> Option<&Overlay> {
        self.overlays
            .iter()
            .find(|o| o.space_of == provider && o.service == service)
    }

    /// The provider with this id.
    pub fn get(&self, id: &str) -> Option<&Provider> {
        self.by_id.get(id).map(|&i| &self.providers[i])
    }

    /// The provider, then what it runs on, transitively (`[vercel, aws]`). Empty for an unknown id;
    /// stops at a repeat, so it cannot loop even on unvalidated data.
    pub fn runs_on_chain(&self, id: &str) -> Vec<&Provider> {
        let mut chain: Vec<&Provider> = Vec::new();
        let mut next = self.get(id);
        while let Some(p) = next {
            if chain.iter().any(|c| c.id == p.id) {
                break;
            }
            chain.push(p);
            next = p.runs_on.as_deref().and_then(|r| self.get(r));
        }
        chain
    }

    /// The last provider of [`Rules::runs_on_chain`]: what the stack ultimately runs on.
    pub fn ultimate(&self, id: &str) -> Option<&Provider> {
        self.runs_on_chain(id).last().copied()
    }

    /// Whether a feed service string marks the range as `provider`'s edge rather than hosting.
    /// `service` may be comma-joined (`"CLOUDFRONT,EC2"`); any edge member makes it an edge. An
    /// entry also covers its dotted children (`AzureFrontDoor` covers `AzureFrontDoor.Frontend`).
    pub fn is_edge_service(&self, provider: &str, service: &str) -> bool {
        self.get(provider)
            .is_some_and(|p| p.is_edge_service(service))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
