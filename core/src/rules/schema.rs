//! The rules file's schema: providers, their header rules, status sources and overlays, as
//! `data/providers.toml` spells them (serde names are the file's keys).

use serde::{Deserialize, Serialize};

use crate::feeds::FeedSpec;
use crate::status::StatusFormat;

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

/// Where a provider's live status can be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusSource {
    /// Format of the status document.
    pub kind: StatusFormat,
    /// https URL of the status document.
    pub url: String,
}

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

/// Top-level shape of the rules file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesFile {
    #[serde(default)]
    pub(super) provider: Vec<Provider>,
    #[serde(default)]
    pub(super) feed: Vec<FeedSpec>,
}
