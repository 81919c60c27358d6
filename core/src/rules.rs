//! Provider knowledge as reviewed data: `data/providers.toml` parsed, validated and indexed.
//!
//! The rules file says which ASNs, CNAME suffixes, name-server patterns and HTTP headers belong to
//! which provider, what a platform runs on, and where each official IP-range feed lives. Keeping
//! it as data (like Wappalyzer's or cdncheck's tables) means one reviewed file instead of facts
//! scattered through code. [`Rules::builtin`] parses the embedded copy; callers keep the value.
//!
//! Two small matching languages, both documented again at the top of the rules file:
//!
//! - **Header rules** ([`HeaderRule`]): `{ name = "cf-ray" }` (present), `value` (equals),
//!   `contains` (substring), `prefix` (starts with), or `{ cookie = "AWSALB" }` (a `set-cookie`
//!   sets that cookie). Names and values are compared ignoring ASCII case.
//! - **Name-server patterns**: dotted labels matched against the end of the host on whole labels;
//!   a label may hold one wildcard, `*` (one or more characters) or `#` (one or more digits), so
//!   `awsdns-#.org` matches `ns-1234.awsdns-12.org` and `ultradns.*` any TLD. No regex engine.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::feeds::{rented_service, FeedFormat, FeedSpec};

/// The reviewed rules file, embedded at build time (the crate is sans-IO).
/// `data/providers.toml`, converted to JSON by the build script (no TOML parser ships).
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/providers.json"));

#[cfg(test)]
const BUILTIN: &str = include_str!("../data/providers.toml");

/// Minimum contrast ratio of a badge colour against white text (WCAG AA for normal text).
const MIN_CONTRAST: f64 = 4.5;

/// What a provider mainly is, which decides how the UI words its layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Infrastructure cloud (AWS, Google Cloud, Azure, …).
    Cloud,
    /// Content delivery network / edge (Cloudflare, Fastly, Akamai, …).
    Cdn,
    /// Platform that runs customer code on someone's cloud (Vercel, Netlify, Heroku, …).
    Paas,
    /// DNS-only provider (NS1, UltraDNS, …).
    Dns,
    /// Hoster or operator of its own network (Hetzner, OVH, GitHub, …).
    Host,
}

/// One provider as described in the rules file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// Stable lowercase id (`aws`, `github-pages`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Short badge label, 1 to 4 characters.
    pub badge: String,
    /// Badge background colour, `#rrggbb`, readable with white text.
    pub color: String,
    /// What the provider mainly is.
    pub kind: ProviderKind,
    /// AS numbers the provider originates.
    #[serde(default)]
    pub asns: Vec<u32>,
    /// CNAME-target suffixes, lowercase, no leading or trailing dot.
    #[serde(default)]
    pub cname_suffixes: Vec<String>,
    /// Name-server host patterns (see the module's pattern language in the rules file header).
    #[serde(default)]
    pub ns_patterns: Vec<String>,
    /// HTTP response-header fingerprints.
    #[serde(default)]
    pub headers: Vec<HeaderRule>,
    /// Provider id this provider runs on (Vercel → `aws`).
    #[serde(default)]
    pub runs_on: Option<String>,
    /// Name of the provider's DNS product ("Route 53").
    #[serde(default)]
    pub dns_name: Option<String>,
    /// Feed service names that mark a range as this provider's edge rather than hosting.
    #[serde(default)]
    pub edge_services: Vec<String>,
    /// Where to ask whether the provider is failing now.
    #[serde(default)]
    pub status: Option<StatusSource>,
    /// Provider id of the owning brand (Linode → `akamai`), informational.
    #[serde(default)]
    pub parent: Option<String>,
}

impl Provider {
    /// Whether a feed service string marks this provider's range as its edge rather than
    /// hosting (see [`Rules::is_edge_service`]).
    pub fn is_edge_service(&self, service: &str) -> bool {
        service.split(',').map(str::trim).any(|member| {
            self.edge_services.iter().any(|edge| {
                member.eq_ignore_ascii_case(edge)
                    || (member.len() > edge.len()
                        && member.as_bytes()[edge.len()] == b'.'
                        && member
                            .get(..edge.len())
                            .is_some_and(|head| head.eq_ignore_ascii_case(edge)))
            })
        })
    }
}

/// One HTTP response-header fingerprint.
///
/// Exactly one of `name` (a header) or `cookie` (a cookie set by `set-cookie`) is given. A header
/// rule may add at most one value test; without one, the header's presence is enough. All
/// comparisons ignore ASCII case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderRule {
    /// Header name, lowercase (`cf-ray`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Cookie name a `set-cookie` header must set (`AWSALB`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cookie: Option<String>,
    /// The header value must equal this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The header value must contain this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contains: Option<String>,
    /// The header value must start with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// Kind of status source a provider publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusKind {
    /// Atlassian Statuspage `/api/v2/summary.json`.
    Statuspage,
    /// Google Cloud `incidents.json`.
    GoogleCloud,
    /// AWS Health public current events JSON.
    AwsHealth,
    /// An RSS feed of incidents.
    Rss,
}

/// Where a provider's live status can be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSource {
    /// Format of the status document.
    pub kind: StatusKind,
    /// https URL of the status document.
    pub url: String,
}

/// One official IP-range file: the parsers' [`FeedSpec`] itself, so a `[[feed]]` key and its
/// format name exist once (the format is checked by [`FeedFormat`]'s own deserializer).
pub type FeedEntry = FeedSpec;

/// A list a provider publishes inside another provider's space ("GitHub Actions may run
/// here", in Azure): it says who may run in the range, never what the range is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlay {
    /// Provider id whose space it is (`azure`); the records carry this provider.
    pub space_of: String,
    /// Provider id that publishes the list and may run there (`github`).
    pub by: String,
    /// The list's name in the publisher's feed (`actions`).
    pub list: String,
    /// The service its records carry ([`crate::feeds::rented_service`]: `github-actions`).
    pub service: String,
}

/// A provider whose header fingerprint matched, with the evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderMatch<'a> {
    /// The matched provider.
    pub provider: &'a Provider,
    /// Human-readable evidence, e.g. "cf-ray header present"; several reasons joined by ", ".
    pub reason: String,
}

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

/// Top-level shape of the rules file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    provider: Vec<Provider>,
    #[serde(default)]
    feed: Vec<FeedEntry>,
}

/// One label of a parsed name-server pattern.
#[derive(Debug, Clone)]
enum LabelPat {
    /// The label must equal this.
    Literal(String),
    /// The label is `prefix`, then one or more characters (digits only if `digits`), then `suffix`.
    Wild {
        prefix: String,
        suffix: String,
        digits: bool,
    },
}

impl LabelPat {
    fn matches(&self, label: &str) -> bool {
        match self {
            LabelPat::Literal(lit) => lit == label,
            LabelPat::Wild {
                prefix,
                suffix,
                digits,
            } => {
                // The wildcard must cover at least one character, so the label must be longer
                // than the fixed parts; checked before slicing so the slice cannot go wrong.
                if label.len() <= prefix.len() + suffix.len()
                    || !label.starts_with(prefix.as_str())
                    || !label.ends_with(suffix.as_str())
                {
                    return false;
                }
                match label.get(prefix.len()..label.len() - suffix.len()) {
                    Some(middle) => !*digits || middle.bytes().all(|b| b.is_ascii_digit()),
                    None => false,
                }
            }
        }
    }
}

/// A parsed name-server pattern, labels stored right to left (TLD first).
#[derive(Debug, Clone)]
struct NsPattern {
    labels_rev: Vec<LabelPat>,
    provider: usize,
    /// Index into the provider's `ns_patterns`, to hand back the text as written.
    pattern: usize,
}

/// A header rule prepared for matching: lowercase needles and a ready-made reason.
#[derive(Debug, Clone)]
struct PreparedHeader {
    provider: usize,
    test: HeaderTest,
    reason: String,
}

#[derive(Debug, Clone)]
enum HeaderTest {
    Present(String),
    Equals(String, String),
    Contains(String, String),
    Prefix(String, String),
    Cookie(String),
}

/// The validated, indexed rules.
#[derive(Debug, Clone)]
pub struct Rules {
    providers: Vec<Provider>,
    feeds: Vec<FeedEntry>,
    by_id: BTreeMap<String, usize>,
    by_suffix: BTreeMap<String, usize>,
    by_asn: BTreeMap<u32, usize>,
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
    pub fn feeds(&self) -> &[FeedEntry] {
        &self.feeds
    }

    /// The index of the provider with this id in [`Rules::providers`] (fits a `u16`: the
    /// schema check bounds the file far below that).
    pub fn index_of(&self, id: &str) -> Option<u16> {
        self.by_id.get(id).and_then(|&i| u16::try_from(i).ok())
    }

    /// The feed entry for this file name.
    pub fn feed(&self, file: &str) -> Option<&FeedEntry> {
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

    /// The provider owning the longest CNAME suffix `name` ends with (on label boundaries), and
    /// that suffix. `name` should be lowercase without a trailing dot; both are tolerated.
    pub fn by_cname(&self, name: &str) -> Option<(&Provider, &str)> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let lower;
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = name.to_ascii_lowercase();
            lower.as_str()
        } else {
            name
        };
        // Walk the label suffixes from the whole name down, so the first hit is the longest.
        let mut rest = name;
        loop {
            if let Some((suffix, &i)) = self.by_suffix.get_key_value(rest) {
                return Some((&self.providers[i], suffix.as_str()));
            }
            match rest.split_once('.') {
                Some((_, tail)) => rest = tail,
                None => return None,
            }
        }
    }

    /// The provider whose name-server pattern matches `ns_host`, and that pattern as written.
    /// The pattern with the most labels wins; ties go to the earlier one in the file.
    pub fn by_ns(&self, ns_host: &str) -> Option<(&Provider, &str)> {
        let host = ns_host
            .strip_suffix('.')
            .unwrap_or(ns_host)
            .to_ascii_lowercase();
        let labels_rev: Vec<&str> = host.rsplit('.').collect();
        let mut best: Option<&NsPattern> = None;
        for pat in &self.ns {
            if pat.labels_rev.len() > labels_rev.len() {
                continue;
            }
            let hit = pat
                .labels_rev
                .iter()
                .zip(&labels_rev)
                .all(|(p, l)| p.matches(l));
            if hit && best.is_none_or(|b| pat.labels_rev.len() > b.labels_rev.len()) {
                best = Some(pat);
            }
        }
        best.map(|pat| {
            let provider = &self.providers[pat.provider];
            (provider, provider.ns_patterns[pat.pattern].as_str())
        })
    }

    /// Providers whose header fingerprints match these response headers (names ignore case).
    /// One entry per provider, in file order, with every matching reason; several providers can
    /// match at once (Cloudflare in front of S3).
    pub fn by_headers<'a>(&'a self, headers: &[(String, String)]) -> Vec<HeaderMatch<'a>> {
        // Lowercase once: header values are compared ignoring case.
        let lowered: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
            .collect();
        let mut reasons: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
        for rule in &self.headers {
            if lowered.iter().any(|(n, v)| rule.test.matches(n, v)) {
                let list = reasons.entry(rule.provider).or_default();
                if !list.contains(&rule.reason.as_str()) {
                    list.push(&rule.reason);
                }
            }
        }
        reasons
            .into_iter()
            .map(|(i, list)| HeaderMatch {
                provider: &self.providers[i],
                reason: list.join(", "),
            })
            .collect()
    }

    /// Whether some header rule matches the header `name: value` (both lowercase).
    pub fn header_matches(&self, name: &str, value: &str) -> bool {
        self.headers.iter().any(|r| r.test.matches(name, value))
    }

    /// The cookie names some rule looks for that a lowercase `set-cookie` value sets.
    pub fn cookies_set(&self, value: &str) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for rule in &self.headers {
            if let HeaderTest::Cookie(c) = &rule.test {
                if sets_cookie(value, c) && !names.contains(&c.as_str()) {
                    names.push(c);
                }
            }
        }
        names
    }

    /// The provider originating this AS number.
    pub fn by_asn(&self, asn: u32) -> Option<&Provider> {
        self.by_asn.get(&asn).map(|&i| &self.providers[i])
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

    /// Validates the parsed entries and builds the indexes.
    fn build(providers: Vec<Provider>, feeds: Vec<FeedEntry>) -> Result<Rules, RulesError> {
        let mut by_id = BTreeMap::new();
        let mut by_suffix: BTreeMap<String, usize> = BTreeMap::new();
        let mut by_asn: BTreeMap<u32, usize> = BTreeMap::new();
        let mut ns_seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut ns = Vec::new();
        let mut headers = Vec::new();

        for (i, p) in providers.iter().enumerate() {
            let err = |key: &'static str, reason: String| RulesError::Provider {
                id: p.id.clone(),
                key,
                reason,
            };
            if !is_id(&p.id) {
                return Err(err("id", "must be lowercase a-z, 0-9 and '-'".into()));
            }
            if by_id.insert(p.id.clone(), i).is_some() {
                return Err(err("id", "is used by two providers".into()));
            }
            if p.name.trim().is_empty() {
                return Err(err("name", "is empty".into()));
            }
            let badge_len = p.badge.chars().count();
            if !(1..=4).contains(&badge_len) || p.badge.chars().any(char::is_whitespace) {
                return Err(err(
                    "badge",
                    format!("{:?} must be 1 to 4 characters without spaces", p.badge),
                ));
            }
            check_color(&p.color).map_err(|r| err("color", r))?;

            for &asn in &p.asns {
                if asn == 0 {
                    return Err(err("asns", "contains AS0".into()));
                }
                if let Some(other) = by_asn.insert(asn, i) {
                    return Err(err(
                        "asns",
                        format!("AS{asn} is also claimed by `{}`", providers[other].id),
                    ));
                }
            }
            for suffix in &p.cname_suffixes {
                if !is_hostname(suffix) {
                    return Err(err(
                        "cname_suffixes",
                        format!(
                            "{suffix:?} must be a lowercase name without leading or trailing dot"
                        ),
                    ));
                }
                if let Some(other) = by_suffix.insert(suffix.clone(), i) {
                    return Err(err(
                        "cname_suffixes",
                        format!("{suffix:?} is also claimed by `{}`", providers[other].id),
                    ));
                }
            }
            for (k, text) in p.ns_patterns.iter().enumerate() {
                let labels_rev = parse_ns_pattern(text).map_err(|r| err("ns_patterns", r))?;
                if let Some(other) = ns_seen.insert(text.clone(), i) {
                    return Err(err(
                        "ns_patterns",
                        format!("{text:?} is also claimed by `{}`", providers[other].id),
                    ));
                }
                ns.push(NsPattern {
                    labels_rev,
                    provider: i,
                    pattern: k,
                });
            }
            for rule in &p.headers {
                let (test, reason) = prepare_header(rule).map_err(|r| err("headers", r))?;
                headers.push(PreparedHeader {
                    provider: i,
                    test,
                    reason,
                });
            }
            if p.dns_name.as_deref().is_some_and(|d| d.trim().is_empty()) {
                return Err(err("dns_name", "is empty".into()));
            }
            if p.edge_services
                .iter()
                .any(|s| s.trim().is_empty() || s.contains(','))
            {
                return Err(err("edge_services", "has an empty name or a comma".into()));
            }
            if let Some(status) = &p.status {
                if !status.url.starts_with("https://") {
                    return Err(err("status", format!("url {:?} must be https", status.url)));
                }
            }
        }

        // Cross-references need every id first.
        for p in &providers {
            let err = |key: &'static str, reason: String| RulesError::Provider {
                id: p.id.clone(),
                key,
                reason,
            };
            for (key, target) in [("runs_on", &p.runs_on), ("parent", &p.parent)] {
                if let Some(t) = target {
                    if !by_id.contains_key(t) {
                        return Err(err(key, format!("refers to unknown provider `{t}`")));
                    }
                    if *t == p.id {
                        return Err(err(key, "refers to the provider itself".into()));
                    }
                }
            }
        }
        for p in &providers {
            for key in ["runs_on", "parent"] {
                let mut path = vec![p.id.as_str()];
                let mut cur = link(p, key);
                while let Some(id) = cur {
                    let looped = path.contains(&id);
                    path.push(id);
                    if looped {
                        return Err(RulesError::Provider {
                            id: p.id.clone(),
                            key,
                            reason: format!("forms a cycle: {}", path.join(" → ")),
                        });
                    }
                    cur = by_id.get(id).and_then(|&j| link(&providers[j], key));
                }
            }
        }

        let mut files = BTreeMap::new();
        let mut overlays = Vec::new();
        for f in &feeds {
            let err = |key: &'static str, reason: String| RulesError::Feed {
                file: f.file.clone(),
                key,
                reason,
            };
            if f.file.trim().is_empty() || f.file.contains('/') {
                return Err(err("file", "must be a plain file name".into()));
            }
            if files.insert(f.file.clone(), ()).is_some() {
                return Err(err("file", "is listed twice".into()));
            }
            if !f.url.starts_with("https://") {
                return Err(err("url", format!("{:?} must be https", f.url)));
            }
            if !by_id.contains_key(&f.provider) {
                return Err(err(
                    "provider",
                    format!("refers to unknown provider `{}`", f.provider),
                ));
            }
            let github_only = [
                ("rented", f.rented.is_empty()),
                ("owners", f.owners.is_empty()),
            ];
            for (key, empty) in github_only {
                if !empty && f.format != FeedFormat::GithubMeta {
                    return Err(err(
                        key,
                        format!("applies to github-meta feeds, not {}", f.format),
                    ));
                }
            }
            let lists_only = [
                ("lists", f.lists.is_empty()),
                ("prefix_field", f.prefix_field.is_none()),
                ("date_field", f.date_field.is_none()),
            ];
            for (key, empty) in lists_only {
                if !empty && f.format != FeedFormat::JsonLists {
                    return Err(err(
                        key,
                        format!("applies to json-lists feeds, not {}", f.format),
                    ));
                }
            }
            let blank = |v: &Option<String>| v.as_deref().is_some_and(|t| t.trim().is_empty());
            if f.lists.iter().any(|l| l.trim().is_empty())
                || blank(&f.prefix_field)
                || blank(&f.date_field)
            {
                return Err(err("lists", "names an empty key".into()));
            }
            if blank(&f.service) || f.service.as_deref().is_some_and(|t| t.contains(',')) {
                return Err(err("service", "is empty or has a comma".into()));
            }
            if f.cadence_days == Some(0) {
                return Err(err("cadence_days", "must be at least 1".into()));
            }
            if let Some(m) = &f.minus {
                if !by_id.contains_key(m) || *m == f.provider {
                    return Err(err(
                        "minus",
                        format!("refers to unknown or same provider `{m}`"),
                    ));
                }
            }
            for (key, map) in [("rented", &f.rented), ("owners", &f.owners)] {
                for (service, target) in map {
                    if !by_id.contains_key(target) {
                        return Err(err(
                            key,
                            format!("service {service:?} refers to unknown provider `{target}`"),
                        ));
                    }
                }
            }
            if let Some(list) = f.rented.keys().find(|k| f.owners.contains_key(*k)) {
                return Err(err("owners", format!("list {list:?} is also rented")));
            }
            for (list, renter) in &f.rented {
                overlays.push(Overlay {
                    space_of: renter.clone(),
                    by: f.provider.clone(),
                    list: list.clone(),
                    service: rented_service(&f.provider, list),
                });
            }
        }

        Ok(Rules {
            providers,
            feeds,
            by_id,
            by_suffix,
            by_asn,
            ns,
            headers,
            overlays,
        })
    }
}

/// The provider id a provider's `runs_on` or `parent` key points at.
fn link<'p>(p: &'p Provider, key: &str) -> Option<&'p str> {
    match key {
        "runs_on" => p.runs_on.as_deref(),
        _ => p.parent.as_deref(),
    }
}

impl HeaderTest {
    /// `name` and `value` are already lowercase.
    fn matches(&self, name: &str, value: &str) -> bool {
        match self {
            HeaderTest::Present(n) => n == name,
            HeaderTest::Equals(n, v) => n == name && v == value,
            HeaderTest::Contains(n, v) => n == name && value.contains(v.as_str()),
            HeaderTest::Prefix(n, v) => n == name && value.starts_with(v.as_str()),
            HeaderTest::Cookie(c) => name == "set-cookie" && sets_cookie(value, c),
        }
    }
}

/// Whether a `set-cookie` value (possibly several cookies joined by ", ", as fetch does) sets
/// `cookie`. Pieces without `=` before their first `;` are date fragments of `Expires` and skipped.
fn sets_cookie(value: &str, cookie: &str) -> bool {
    value.split(',').any(|piece| {
        let pair = piece.split(';').next().unwrap_or("");
        pair.split_once('=')
            .is_some_and(|(name, _)| name.trim() == cookie)
    })
}

/// Checks one header rule's shape and turns it into a lowercase test plus its reason text.
fn prepare_header(rule: &HeaderRule) -> Result<(HeaderTest, String), String> {
    let tests = [&rule.value, &rule.contains, &rule.prefix]
        .iter()
        .filter(|t| t.is_some())
        .count();
    if [
        &rule.name,
        &rule.cookie,
        &rule.value,
        &rule.contains,
        &rule.prefix,
    ]
    .iter()
    .any(|s| s.as_deref().is_some_and(|s| s.trim().is_empty()))
    {
        return Err("has an empty string".into());
    }
    match (&rule.name, &rule.cookie) {
        (Some(name), None) => {
            if name
                .bytes()
                .any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace())
            {
                return Err(format!(
                    "header name {name:?} must be lowercase without spaces"
                ));
            }
            if tests > 1 {
                return Err(format!(
                    "rule for {name:?} has more than one of value / contains / prefix"
                ));
            }
            let n = name.clone();
            Ok(if let Some(v) = &rule.value {
                (
                    HeaderTest::Equals(n, v.to_ascii_lowercase()),
                    format!("{name}: {v}"),
                )
            } else if let Some(v) = &rule.contains {
                (
                    HeaderTest::Contains(n, v.to_ascii_lowercase()),
                    format!("{name} header contains \"{v}\""),
                )
            } else if let Some(v) = &rule.prefix {
                (
                    HeaderTest::Prefix(n, v.to_ascii_lowercase()),
                    format!("{name} header starts with \"{v}\""),
                )
            } else {
                (HeaderTest::Present(n), format!("{name} header present"))
            })
        }
        (None, Some(cookie)) => {
            if tests > 0 {
                return Err(format!("cookie rule {cookie:?} takes no value test"));
            }
            Ok((
                HeaderTest::Cookie(cookie.to_ascii_lowercase()),
                format!("{cookie} cookie set"),
            ))
        }
        _ => Err("each rule needs exactly one of `name` or `cookie`".into()),
    }
}

/// Parses a name-server pattern into labels, right to left.
fn parse_ns_pattern(text: &str) -> Result<Vec<LabelPat>, String> {
    if text.is_empty() || text.starts_with('.') || text.ends_with('.') {
        return Err(format!(
            "{text:?} must be a dotted name without leading or trailing dot"
        ));
    }
    text.rsplit('.')
        .map(|label| {
            let ok = !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_*#".contains(&b));
            if !ok {
                return Err(format!(
                    "{text:?}: label {label:?} must be lowercase letters, digits, '-', '*' or '#'"
                ));
            }
            let wild: Vec<usize> = label
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'*' || *b == b'#')
                .map(|(k, _)| k)
                .collect();
            match wild.as_slice() {
                [] => Ok(LabelPat::Literal(label.to_owned())),
                [k] => Ok(LabelPat::Wild {
                    prefix: label[..*k].to_owned(),
                    suffix: label[k + 1..].to_owned(),
                    digits: label.as_bytes()[*k] == b'#',
                }),
                _ => Err(format!(
                    "{text:?}: label {label:?} has more than one wildcard"
                )),
            }
        })
        .collect()
}

/// A provider id: lowercase ASCII letters, digits and inner hyphens.
fn is_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A lowercase DNS name of non-empty labels, without leading or trailing dot.
fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// Checks `#rrggbb` and that white text on it reaches [`MIN_CONTRAST`].
fn check_color(color: &str) -> Result<(), String> {
    let hex = color
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("{color:?} must be \"#rrggbb\""))?;
    let mut lum = 0.0;
    for (k, weight) in [0.2126, 0.7152, 0.0722].into_iter().enumerate() {
        let channel = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16)
            .map_err(|_| format!("{color:?} must be \"#rrggbb\""))?;
        let c = f64::from(channel) / 255.0;
        // sRGB to linear light, as WCAG 2 defines relative luminance.
        let linear = if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        };
        lum += weight * linear;
    }
    let contrast = 1.05 / (lum + 0.05);
    if contrast < MIN_CONTRAST {
        return Err(format!(
            "{color:?} gives white text a contrast of {contrast:.2}, below {MIN_CONTRAST}"
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::builtin().unwrap()
    }

    #[test]
    fn the_shipped_json_is_the_toml_file() {
        let from_toml = Rules::from_toml(BUILTIN).unwrap();
        let shipped = rules();
        assert_eq!(from_toml.providers(), shipped.providers());
        assert_eq!(from_toml.feeds(), shipped.feeds());
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn header_ids(r: &Rules, pairs: &[(&str, &str)]) -> Vec<String> {
        r.by_headers(&h(pairs))
            .into_iter()
            .map(|m| m.provider.id.clone())
            .collect()
    }

    fn chain(r: &Rules, id: &str) -> Vec<String> {
        r.runs_on_chain(id).iter().map(|p| p.id.clone()).collect()
    }

    /// A minimal valid file to mutate in the rejection tests.
    const BASE: &str = r##"
[[provider]]
id = "alpha"
name = "Alpha"
badge = "ALP"
color = "#000000"
kind = "cloud"
asns = [1]

[[provider]]
id = "beta"
name = "Beta"
badge = "BET"
color = "#0E7C74"
kind = "paas"
runs_on = "alpha"
"##;

    fn reject(extra: &str) -> String {
        let text = format!("{BASE}{extra}");
        match Rules::from_toml(&text) {
            Ok(_) => panic!("accepted:\n{extra}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn builtin_parses_and_has_required_badges() {
        let r = rules();
        let required = [
            ("aws", "AWS"),
            ("gcp", "GCP"),
            ("google", "GOOG"),
            ("azure", "AZ"),
            ("cloudflare", "CF"),
            ("fastly", "FSTL"),
            ("akamai", "AKAM"),
            ("oracle", "OCI"),
            ("digitalocean", "DO"),
            ("linode", "LIN"),
            ("github", "GH"),
            ("hetzner", "HTZ"),
            ("ovh", "OVH"),
            ("vercel", "VCL"),
            ("netlify", "NTLF"),
            ("heroku", "HRKU"),
        ];
        for (id, badge) in required {
            let p = r.get(id).unwrap_or_else(|| panic!("missing provider {id}"));
            assert_eq!(p.badge, badge, "badge of {id}");
        }
        for id in [
            "alibaba",
            "tencent",
            "vultr",
            "scaleway",
            "leaseweb",
            "bunny",
            "imperva",
            "yandex",
            "huawei",
            "ibm",
            "fly",
            "render",
            "firebase",
            "github-pages",
            "edgio",
            "ns1",
            "ultradns",
            "dyn",
            "godaddy",
        ] {
            assert!(r.get(id).is_some(), "missing provider {id}");
        }
        for id in ["ns1", "ultradns", "dyn", "godaddy"] {
            assert_eq!(r.get(id).unwrap().kind, ProviderKind::Dns, "{id}");
        }
    }

    #[test]
    fn builtin_schema_holds() {
        let r = rules();
        for p in r.providers() {
            assert!((1..=4).contains(&p.badge.chars().count()), "{}", p.id);
            assert!(check_color(&p.color).is_ok(), "{}", p.id);
            for target in p.runs_on.iter().chain(&p.parent) {
                assert!(r.get(target).is_some(), "{} -> {target}", p.id);
            }
            // No cycles: every chain ends at a provider that runs on nothing.
            let last = r.ultimate(&p.id).unwrap();
            assert!(last.runs_on.is_none(), "{} ends at {}", p.id, last.id);
        }
        for f in r.feeds() {
            assert!(r.get(&f.provider).is_some(), "{}", f.file);
            for target in f
                .minus
                .iter()
                .chain(f.rented.values())
                .chain(f.owners.values())
            {
                assert!(r.get(target).is_some(), "{} -> {target}", f.file);
            }
        }
    }

    #[test]
    fn builtin_feeds() {
        let r = rules();
        let expected = [
            ("ip-ranges.json", "aws", "aws-ip-ranges"),
            ("cloud.json", "gcp", "gcp-cloud"),
            ("goog.json", "google", "goog"),
            ("ServiceTags_Public.json", "azure", "azure-service-tags"),
            ("ips-v4", "cloudflare", "cidr-text"),
            ("ips-v6", "cloudflare", "cidr-text"),
            ("public-ip-list.json", "fastly", "json-lists"),
            ("public_ip_ranges.json", "oracle", "oracle"),
            ("google.csv", "digitalocean", "geofeed"),
            ("linode-geofeed.csv", "linode", "geofeed"),
            ("meta.json", "github", "github-meta"),
            ("cloudfront-ips.json", "aws", "json-lists"),
            ("akamai-ipv4.txt", "akamai", "cidr-text"),
            ("akamai-ipv6.txt", "akamai", "cidr-text"),
            ("imperva-ips.json", "imperva", "json-lists"),
            ("gcore-public-ip-list.json", "gcore", "json-lists"),
            ("cachefly-cdn.txt", "cachefly", "cidr-text"),
            ("quic-cloud-ips.txt", "quic-cloud", "ip-text"),
            ("bunny-edgeserverlist.json", "bunny", "json-lists"),
            ("bunny-edgeserverlist-ipv6.json", "bunny", "json-lists"),
            ("cdn77-public_lmax_prefixes.json", "cdn77", "json-lists"),
            ("vultr-geofeed.json", "vultr", "geofeed"),
            ("zscaler-cenr.json", "zscaler", "zscaler-cenr"),
            (
                "zscaler-hubs-cidr-recommended.json",
                "zscaler",
                "json-lists",
            ),
        ];
        assert_eq!(r.feeds().len(), expected.len());
        for (file, provider, format) in expected {
            let f = r.feeds().iter().find(|f| f.file == file).unwrap();
            assert_eq!((f.provider.as_str(), f.format.as_str()), (provider, format));
        }
        let goog = r.feeds().iter().find(|f| f.file == "goog.json").unwrap();
        assert_eq!(goog.minus.as_deref(), Some("gcp"));
        let meta = r.feeds().iter().find(|f| f.file == "meta.json").unwrap();
        assert_eq!(
            meta.rented.get("actions").map(String::as_str),
            Some("azure")
        );
        assert_eq!(
            meta.rented.get("codespaces").map(String::as_str),
            Some("azure")
        );
        assert_eq!(
            meta.owners.get("pages").map(String::as_str),
            Some("github-pages")
        );
        // Only Akamai's zip-only lists are manual; every other feed can be downloaded.
        let manual: Vec<&str> = r
            .feeds()
            .iter()
            .filter(|f| f.manual)
            .map(|f| f.file.as_str())
            .collect();
        assert_eq!(manual, ["akamai-ipv4.txt", "akamai-ipv6.txt"]);
        assert_eq!(
            r.feed("cloudfront-ips.json").unwrap().service.as_deref(),
            Some("CLOUDFRONT")
        );
        assert_eq!(r.feed("ip-ranges.json").unwrap().cadence_days, Some(3));
        assert!(r.feed("nope.json").is_none());
    }

    /// Issue 18: `cloudflare-api` was refused by a second, shorter list of format names.
    #[test]
    fn every_format_loads_in_a_feed_entry() {
        for &format in FeedFormat::ALL {
            let extra = match format {
                FeedFormat::JsonLists => "lists = [\"a\"]\n",
                _ => "",
            };
            let text = format!(
                "{BASE}\n[[feed]]\nfile = \"f\"\nurl = \"https://x\"\nprovider = \"alpha\"\nformat = \"{format}\"\n{extra}"
            );
            let r = Rules::from_toml(&text).unwrap_or_else(|e| panic!("{format}: {e}"));
            assert_eq!(r.feeds()[0].format, format);
        }
        let api = format!(
            "{BASE}\n[[feed]]\nfile = \"ips.json\"\nurl = \"https://api.cloudflare.com/client/v4/ips\"\nprovider = \"alpha\"\nformat = \"cloudflare-api\"\n"
        );
        let r = Rules::from_toml(&api).unwrap();
        assert_eq!(r.feeds()[0].format, FeedFormat::CloudflareApi);
        let r = Rules::from_json(&serde_json::to_string(&serde_json::json!({
            "feed": [{"file": "ips.json", "url": "https://x", "provider": "p", "format": "cloudflare-api"}],
            "provider": [{"id": "p", "name": "P", "badge": "P", "color": "#000000", "kind": "cdn"}]
        })).unwrap()).unwrap();
        assert_eq!(r.feeds()[0].format, FeedFormat::CloudflareApi);
    }

    /// The data file's header lists exactly the formats the parser knows.
    #[test]
    fn header_lists_every_format() {
        let header: String = BUILTIN
            .lines()
            .skip_while(|l| !l.contains("format          required."))
            .take_while(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join(" ");
        let listed: Vec<&str> = header
            .split(['|', ' ', ':', '.'])
            .filter(|w| FeedFormat::ALL.iter().any(|f| f.as_str() == *w))
            .collect();
        for &format in FeedFormat::ALL {
            assert!(
                listed.contains(&format.as_str()),
                "{format} missing from the header"
            );
        }
    }

    #[test]
    fn overlays_come_from_rented_lists() {
        let r = rules();
        let o = r.overlays("azure", "github-actions");
        assert_eq!(o.len(), 1);
        assert_eq!(
            (o[0].by.as_str(), o[0].list.as_str(), o[0].space_of.as_str()),
            ("github", "actions", "azure")
        );
        assert_eq!(
            r.overlays("azure", "github-actions,github-codespaces")
                .len(),
            2
        );
        assert!(r.is_overlay("azure", "github-codespaces"));
        // A service that is also something else is not (only) an overlay.
        assert!(r.overlays("azure", "github-actions,Storage").is_empty());
        assert!(!r.is_overlay("azure", "Storage"));
        assert!(!r.is_overlay("github", "actions"));
        assert!(!r.is_overlay("aws", "github-actions"));
    }

    #[test]
    fn runs_on_chains() {
        let r = rules();
        assert_eq!(chain(&r, "vercel"), ["vercel", "aws"]);
        assert_eq!(chain(&r, "netlify"), ["netlify", "aws"]);
        assert_eq!(chain(&r, "heroku"), ["heroku", "aws"]);
        assert_eq!(chain(&r, "firebase"), ["firebase", "gcp"]);
        assert_eq!(chain(&r, "github-pages"), ["github-pages", "fastly"]);
        assert_eq!(chain(&r, "aws"), ["aws"]);
        assert!(chain(&r, "nope").is_empty());
        assert_eq!(r.ultimate("vercel").unwrap().id, "aws");
        assert!(r.ultimate("nope").is_none());
    }

    #[test]
    fn rejects_bad_files() {
        assert!(Rules::from_toml(BASE).is_ok());
        let dup = r##"
[[provider]]
id = "alpha"
name = "Again"
badge = "A"
color = "#000000"
kind = "cloud"
"##;
        let e = reject(dup);
        assert!(e.contains("`alpha`") && e.contains("`id`"), "{e}");

        let badge = r##"
[[provider]]
id = "gamma"
name = "Gamma"
badge = "GAMMA"
color = "#000000"
kind = "cdn"
"##;
        let e = reject(badge);
        assert!(e.contains("`gamma`") && e.contains("`badge`"), "{e}");

        for color in ["#00000", "000000", "#GG0000", "#FFFF00"] {
            let text = format!(
                "[[provider]]\nid = \"gamma\"\nname = \"G\"\nbadge = \"G\"\ncolor = \"{color}\"\nkind = \"cdn\"\n"
            );
            let e = reject(&text);
            assert!(
                e.contains("`gamma`") && e.contains("`color`"),
                "{color}: {e}"
            );
        }

        let unknown_runs_on = r##"
[[provider]]
id = "gamma"
name = "Gamma"
badge = "G"
color = "#000000"
kind = "paas"
runs_on = "nowhere"
"##;
        let e = reject(unknown_runs_on);
        assert!(e.contains("`gamma`") && e.contains("nowhere"), "{e}");

        // alpha is fine alone; make gamma -> delta -> gamma.
        let cycle = r##"
[[provider]]
id = "gamma"
name = "Gamma"
badge = "G"
color = "#000000"
kind = "paas"
runs_on = "delta"

[[provider]]
id = "delta"
name = "Delta"
badge = "D"
color = "#000000"
kind = "paas"
runs_on = "gamma"
"##;
        let e = reject(cycle);
        assert!(e.contains("`gamma`") && e.contains("cycle"), "{e}");

        let dup_asn = r##"
[[provider]]
id = "gamma"
name = "Gamma"
badge = "G"
color = "#000000"
kind = "host"
asns = [7, 1]
"##;
        let e = reject(dup_asn);
        assert!(
            e.contains("`gamma`") && e.contains("AS1") && e.contains("`alpha`"),
            "{e}"
        );

        let feed = r##"
[[feed]]
file = "x.json"
url = "https://example.com/x.json"
provider = "nobody"
format = "cidr-text"
"##;
        let e = reject(feed);
        assert!(e.contains("`x.json`") && e.contains("nobody"), "{e}");
    }

    #[test]
    fn rejects_bad_keys() {
        let cases = [
            ("kind = \"planet\"", "kind"),
            ("cname_suffixes = [\".example.com\"]", "cname_suffixes"),
            ("cname_suffixes = [\"Example.com\"]", "cname_suffixes"),
            ("ns_patterns = [\"a**.com\"]", "ns_patterns"),
            ("ns_patterns = [\"a..com\"]", "ns_patterns"),
            ("headers = [{ name = \"Server\" }]", "headers"),
            ("headers = [{ cookie = \"X\", value = \"y\" }]", "headers"),
            ("headers = [{ name = \"a\", cookie = \"b\" }]", "headers"),
            (
                "headers = [{ name = \"a\", value = \"b\", prefix = \"c\" }]",
                "headers",
            ),
            ("parent = \"gamma\"", "parent"),
            ("surprise = 1", "surprise"),
            (
                "status = { kind = \"statuspage\", url = \"http://x\" }",
                "status",
            ),
        ];
        for (line, key) in cases {
            let text = format!(
                "[[provider]]\nid = \"gamma\"\nname = \"G\"\nbadge = \"G\"\ncolor = \"#000000\"\nkind = \"cdn\"\n{line}\n"
            );
            let text = text.replacen("kind = \"cdn\"\nkind", "kind", 1);
            let e = reject(&text);
            assert!(e.contains(key), "{line}: {e}");
        }
        let bad_format =
            "[[feed]]\nfile = \"f\"\nurl = \"https://x\"\nprovider = \"alpha\"\nformat = \"csv\"\n";
        let e = reject(bad_format);
        assert!(e.contains("unknown feed format \"csv\""), "{e}");
        let feed = |format: &str, extra: &str| {
            format!("[[feed]]\nfile = \"f\"\nurl = \"https://x\"\nprovider = \"alpha\"\nformat = \"{format}\"\n{extra}\n")
        };
        let bad_rented = feed("github-meta", "rented = { actions = \"zeta\" }");
        assert!(reject(&bad_rented).contains("zeta"));
        for (format, extra, key) in [
            ("cidr-text", "rented = { actions = \"beta\" }", "`rented`"),
            ("goog", "owners = { pages = \"beta\" }", "`owners`"),
            ("github-meta", "owners = { pages = \"zeta\" }", "zeta"),
            (
                "github-meta",
                "rented = { pages = \"beta\" }\nowners = { pages = \"beta\" }",
                "also rented",
            ),
            ("cidr-text", "lists = [\"a\"]", "`lists`"),
            ("geofeed", "prefix_field = \"p\"", "`prefix_field`"),
            ("json-lists", "lists = [\"\"]", "empty key"),
            ("json-lists", "service = \"A,B\"", "`service`"),
            ("cidr-text", "cadence_days = 0", "`cadence_days`"),
            ("cidr-text", "cadence = 7", "cadence"),
        ] {
            let e = reject(&feed(format, extra));
            assert!(e.contains(key), "{format} {extra}: {e}");
        }
        let bad_minus = "[[feed]]\nfile = \"f\"\nurl = \"https://x\"\nprovider = \"alpha\"\nformat = \"goog\"\nminus = \"zeta\"\n";
        assert!(reject(bad_minus).contains("`minus`"));
    }

    #[test]
    fn cname_suffixes_match_on_label_boundaries() {
        let r = rules();
        let hit = |n: &str| r.by_cname(n).map(|(p, s)| (p.id.clone(), s.to_owned()));
        assert_eq!(
            hit("d1.cloudfront.net"),
            Some(("aws".into(), "cloudfront.net".into()))
        );
        assert_eq!(
            hit("cloudfront.net"),
            Some(("aws".into(), "cloudfront.net".into()))
        );
        assert_eq!(hit("notcloudfront.net"), None);
        assert_eq!(hit("cloudfront.net.evil.com"), None);
        assert_eq!(
            hit("D1.CloudFront.net."),
            Some(("aws".into(), "cloudfront.net".into()))
        );
        // Longest suffix wins over the amazonaws.com catch-all.
        assert_eq!(
            hit("my-lb-1.us-east-1.elb.amazonaws.com"),
            Some(("aws".into(), "elb.amazonaws.com".into()))
        );
        assert_eq!(
            hit("x.execute-api.amazonaws.com").unwrap().1,
            "amazonaws.com"
        );
        assert_eq!(hit("site.netlify.app").unwrap().0, "netlify");
        assert_eq!(hit("user.github.io").unwrap().0, "github-pages");
        assert_eq!(hit("proj.web.app").unwrap().0, "firebase");
        assert_eq!(hit("e1234.a.akamaiedge.net").unwrap().0, "akamai");
        assert_eq!(hit("foo.cdn.cloudflare.net").unwrap().0, "cloudflare");
        assert_eq!(hit("cloudflare.net"), None);
        // Issue 15: the peers' (cdncheck, findcdn, cdnmon) suffixes for providers we know.
        for (name, provider) in [
            ("example.com.w.kunlunsl.com", "alibaba"),
            ("example.com.m.alikunlun.net", "alibaba"),
            ("example.com.cdngslb.com", "alibaba"),
            ("www.example.com.cdn.dnsv1.com", "tencent"),
            ("www.example.com.c.cdnhwc1.com", "huawei"),
            ("e123.dscg.akamaiedge.net", "akamai"),
            ("www.example.com.akadns.net", "akamai"),
            ("a23-1-2-3.deploy.static.akamaitechnologies.com", "akamai"),
            ("example.vo.llnwd.net", "edgio"),
            ("wpc.1234.edgecastcdn.net", "edgio"),
            ("x.v5cdn.net", "edgio"),
            ("abc.vo.msecnd.net", "azure"),
            ("example.lswcdn.net", "leaseweb"),
            ("abc123.x.incapdns.net", "imperva"),
            ("abc123.impervadns.net", "imperva"),
            ("apex-loadbalancer.netlify.com", "netlify"),
            ("1234567.rsc.cdn77.org", "cdn77"),
            ("example.cachefly.net", "cachefly"),
            ("cl-3249f890.gcdn.co", "gcore"),
            ("ghs4.googlehosted.com", "google"),
        ] {
            assert_eq!(hit(name).map(|h| h.0), Some(provider.to_owned()), "{name}");
        }
        // Reviewed out: companies' own web domains are not CDN targets.
        for name in [
            "www.cloudflare.com",
            "bunnycdn.com",
            "g.alicdn.com",
            "x.nocookie.net",
        ] {
            assert_eq!(hit(name), None, "{name}");
        }
        // msecnd.net beyond the legacy Azure CDN's vo. zone is not claimed.
        assert_eq!(hit("az123.msecnd.net"), None);
        assert_eq!(hit(""), None);
        assert_eq!(hit("."), None);
        assert_eq!(hit("net"), None);
    }

    #[test]
    fn ns_patterns_match() {
        let r = rules();
        let hit = |n: &str| r.by_ns(n).map(|(p, s)| (p.id.clone(), s.to_owned()));
        let (aws, pat) = r.by_ns("ns-1234.awsdns-12.org").unwrap();
        assert_eq!((aws.id.as_str(), pat), ("aws", "awsdns-#.org"));
        assert_eq!(aws.dns_name.as_deref(), Some("Route 53"));
        assert_eq!(hit("ns-1.awsdns-00.co.uk").unwrap().0, "aws");
        assert_eq!(hit("ns-1.awsdns-xx.com"), None);
        assert_eq!(hit("ns-1.awsdns-.com"), None);
        assert_eq!(hit("foo.ns.cloudflare.com").unwrap().0, "cloudflare");
        assert_eq!(hit("ns.cloudflare.com"), None);
        assert_eq!(hit("ns1-05.azure-dns.com").unwrap().0, "azure");
        assert_eq!(hit("ns4-05.azure-dns.info").unwrap().0, "azure");
        assert_eq!(hit("ns-cloud-a1.googledomains.com").unwrap().0, "gcp");
        assert_eq!(hit("ns-cloud-.googledomains.com"), None);
        assert_eq!(hit("dns1.p01.nsone.net").unwrap().0, "ns1");
        assert_eq!(hit("a1-64.akam.net").unwrap().0, "akamai");
        assert_eq!(hit("pdns1.ultradns.net").unwrap().0, "ultradns");
        assert_eq!(hit("udns1.ultradns.biz").unwrap().0, "ultradns");
        assert_eq!(hit("ns1.p01.dynect.net").unwrap().0, "dyn");
        assert_eq!(hit("ns01.domaincontrol.com").unwrap().0, "godaddy");
        assert_eq!(hit("hydrogen.ns.hetzner.com").unwrap().0, "hetzner");
        assert_eq!(hit("dns10.ovh.net").unwrap().0, "ovh");
        assert_eq!(hit("NS-1234.AWSDNS-12.ORG.").unwrap().0, "aws");
        assert_eq!(hit("ns1.example.com"), None);
        assert_eq!(hit(""), None);
    }

    #[test]
    fn headers_match() {
        let r = rules();
        assert_eq!(
            header_ids(&r, &[("cf-ray", "8a1b2c3d4e5f-AMS")]),
            ["cloudflare"]
        );
        assert_eq!(header_ids(&r, &[("CF-RAY", "x")]), ["cloudflare"]);
        assert_eq!(header_ids(&r, &[("Server", "Cloudflare")]), ["cloudflare"]);
        assert!(header_ids(&r, &[("server", "cloudflare-nginx-ish")]).is_empty());
        assert_eq!(
            header_ids(&r, &[("via", "1.1 abc.cloudfront.net (CloudFront)")]),
            ["aws"]
        );
        assert_eq!(header_ids(&r, &[("x-amz-cf-id", "abc==")]), ["aws"]);
        assert_eq!(header_ids(&r, &[("server", "AmazonS3")]), ["aws"]);
        assert_eq!(header_ids(&r, &[("server", "awselb/2.0")]), ["aws"]);
        assert_eq!(
            header_ids(&r, &[("x-fastly-request-id", "abc")]),
            ["fastly"]
        );
        assert_eq!(
            header_ids(&r, &[("x-timer", "S1700000000.1,VS0,VE1")]),
            ["fastly"]
        );
        assert_eq!(header_ids(&r, &[("x-vercel-id", "fra1::abc")]), ["vercel"]);
        assert_eq!(header_ids(&r, &[("x-nf-request-id", "01H")]), ["netlify"]);
        assert_eq!(
            header_ids(&r, &[("x-github-request-id", "A:B")]),
            ["github-pages"]
        );
        assert_eq!(header_ids(&r, &[("via", "1.1 vegur")]), ["heroku"]);
        assert_eq!(header_ids(&r, &[("server", "Google Frontend")]), ["gcp"]);
        assert_eq!(header_ids(&r, &[("x-azure-ref", "0abc")]), ["azure"]);
        assert_eq!(header_ids(&r, &[("fly-request-id", "01J")]), ["fly"]);
        assert_eq!(
            header_ids(&r, &[("x-akamai-transformed", "9 - 0 pmb=mRUM,1")]),
            ["akamai"]
        );
        assert_eq!(
            header_ids(
                &r,
                &[(
                    "set-cookie",
                    "AWSALB=abc; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Path=/"
                )]
            ),
            ["aws"]
        );
        assert_eq!(
            header_ids(
                &r,
                &[(
                    "set-cookie",
                    "a=1; Expires=Tue, 01 Jan 2030 00:00:00 GMT, ak_bmsc=xyz; Path=/"
                )]
            ),
            ["akamai"]
        );
        assert!(header_ids(&r, &[("set-cookie", "AWSALBX=abc")]).is_empty());
        assert!(header_ids(&r, &[("x-awsalb", "AWSALB=abc")]).is_empty());
        assert!(header_ids(&r, &[("content-type", "text/html")]).is_empty());
        assert!(header_ids(&r, &[]).is_empty());

        // Cloudflare in front of S3: both, each with its evidence, once per provider.
        let m = r.by_headers(&h(&[
            ("server", "cloudflare"),
            ("cf-ray", "1"),
            ("x-amz-request-id", "2"),
        ]));
        let got: Vec<(&str, &str)> = m
            .iter()
            .map(|m| (m.provider.id.as_str(), m.reason.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("aws", "x-amz-request-id header present"),
                ("cloudflare", "cf-ray header present, server: cloudflare"),
            ]
        );
    }

    #[test]
    fn asn_lookup() {
        let r = rules();
        let id = |asn| r.by_asn(asn).map(|p| p.id.as_str());
        assert_eq!(id(16509), Some("aws"));
        assert_eq!(id(13335), Some("cloudflare"));
        assert_eq!(id(63949), Some("linode"));
        assert_eq!(id(24940), Some("hetzner"));
        assert_eq!(id(15169), Some("google"));
        assert_eq!(id(396982), Some("gcp"));
        // Issue 15: Akamai's and Imperva's other ASNs, the new CDNs, the hosters'.
        for (asn, provider) in [
            (35994, "akamai"),
            (36183, "akamai"),
            (32787, "akamai"),
            (12222, "akamai"),
            (62571, "imperva"),
            (19551, "imperva"),
            (15133, "edgio"),
            (22822, "edgio"),
            (60068, "cdn77"),
            (30081, "cachefly"),
            (199524, "gcore"),
            (22616, "zscaler"),
            (60626, "leaseweb"),
            (213230, "hetzner"),
            (16276, "ovh"),
            (12876, "scaleway"),
        ] {
            assert_eq!(id(asn), Some(provider), "AS{asn}");
        }
        assert_eq!(id(64512), None);
    }

    #[test]
    fn edge_services() {
        let r = rules();
        assert!(r.is_edge_service("aws", "CLOUDFRONT"));
        assert!(r.is_edge_service("aws", "cloudfront"));
        assert!(r.is_edge_service("aws", "EC2, CLOUDFRONT"));
        assert!(r.is_edge_service("aws", "GLOBALACCELERATOR"));
        assert!(!r.is_edge_service("aws", "EC2"));
        assert!(!r.is_edge_service("aws", "AMAZON"));
        assert!(!r.is_edge_service("aws", ""));
        assert!(!r.is_edge_service("gcp", "CLOUDFRONT"));
        assert!(!r.is_edge_service("nope", "CLOUDFRONT"));
        assert!(r.is_edge_service("azure", "AzureFrontDoor.Frontend"));
        assert!(!r.is_edge_service("azure", "AzureFrontDoorX"));
        assert!(!r.is_edge_service("azure", "AzureCloud.eastus"));
    }

    #[test]
    fn ns_pattern_language() {
        let p = parse_ns_pattern("awsdns-#.com").unwrap();
        assert!(p[1].matches("awsdns-1"));
        assert!(!p[1].matches("awsdns-"));
        assert!(!p[1].matches("awsdns-1a"));
        let star = parse_ns_pattern("*").unwrap();
        assert!(star[0].matches("x"));
        assert!(!star[0].matches(""));
        // Non-ASCII input must not panic on byte slicing.
        let q = parse_ns_pattern("a*b").unwrap();
        assert!(q[0].matches("aéb"));
        assert!(!q[0].matches("ab"));
        assert!(parse_ns_pattern("a*#").is_err());
        assert!(parse_ns_pattern("").is_err());
    }
}
