//! A site's dependency map: the hostnames its pages load (its own and third parties), what each
//! runs on, and the exposure that follows: the clouds, regions, edges and DNS providers whose
//! failure would break the site, kept apart from those that would only make it look worse.
//!
//! Pure data and functions; the worker records what the browser loads ([`SiteRecord::depend`])
//! and classifies each hostname with the same engine as the sites themselves.
//!
//! [`SiteRecord::depend`]: crate::site_record::SiteRecord::depend

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

pub use self::types::ResourceTypes;
use crate::profile::{Resolution, SiteProfile};
use crate::Millis;

/// Most hostnames kept in one site's dependency set; beyond it the least used is evicted.
///
/// Large enough for a heavy page (200 third-party hosts is not unusual for a news site), small
/// enough that 1,000 sites stay within tens of megabytes.
pub const MAX_DEPS: usize = 256;

/// A site's dependencies by hostname, in hostname order (stored as a JSON object, as a
/// `BTreeMap` was): one sorted vector, because a `BTreeMap`'s nodes, about half full when
/// filled in order, cost as much again as the entries (BENCHMARKS.md, worker memory).
pub type Deps = litemap::LiteMap<String, Dependency>;

/// Whether a page needs a resource of this webRequest type to work: documents, frames,
/// scripts, API calls (XHR / fetch, WebSocket) and stylesheets. Images, fonts, media, beacons
/// and the rest only make it look or measure worse when they fail.
pub fn is_critical_type(kind: &str) -> bool {
    matches!(
        kind,
        "main_frame"
            | "sub_frame"
            | "script"
            | "xmlhttprequest"
            | "fetch"
            | "stylesheet"
            | "websocket"
            | "object"
    )
}

/// What one hostname runs on, in brief (the layers of its profile).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostClass {
    /// Provider id of the ultimate cloud.
    pub cloud: Option<String>,
    /// Provider id of the host.
    pub hosting: Option<String>,
    /// The host's region, as its feed spells it.
    pub region: Option<String>,
    /// Provider id of the edge / CDN.
    pub edge: Option<String>,
    /// Provider id of the authoritative DNS (the first its name servers name).
    pub dns: Option<String>,
    /// Further DNS providers among its name servers: with any, one failing does not break it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_also: Vec<String>,
    /// Some of its name servers are under its own domain (its own DNS, no third party's).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_dns: bool,
    /// Some of its name servers belong to no provider the rules know.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dns_other: bool,
    /// CDNs beyond `edge` it is spread over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edge_also: Vec<String>,
    /// The DNS provider of the zone its CNAME chain ends in (its CDN's own DNS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edge_dns: Option<String>,
    /// False when the name did not resolve (NXDOMAIN, no address, resolver failure).
    pub resolved: bool,
    /// When the look-up finished.
    pub at: Millis,
}

/// What hosts run on, by hostname.
pub type Classes = std::collections::HashMap<String, HostClass>;

/// What a host runs on, as known now: the one question the exposure, blame and the figures ask
/// (the tracker answers it from evidence derived under the current table and rules).
pub trait ClassOf {
    /// The class of `host`, when it was looked up.
    fn class_of(&self, host: &str) -> Option<&HostClass>;
}

impl ClassOf for Classes {
    fn class_of(&self, host: &str) -> Option<&HostClass> {
        self.get(host)
    }
}

impl HostClass {
    /// The provider a badge shows: the edge when there is one, otherwise the host, else the
    /// cloud (as [`SiteProfile::badge_provider`]).
    pub fn badge_provider(&self) -> Option<&str> {
        self.edge
            .as_deref()
            .or(self.hosting.as_deref())
            .or(self.cloud.as_deref())
    }

    /// The brief of a finished profile.
    pub fn from_profile(p: &SiteProfile, at: Millis) -> Self {
        Self {
            cloud: p.cloud.clone(),
            hosting: p.hosting.provider.clone(),
            region: p.hosting.region.clone(),
            edge: p.edge.provider.clone(),
            dns: p.dns.provider.clone(),
            dns_also: p.dns.also.clone(),
            own_dns: p.dns.own,
            dns_other: p.dns.other,
            edge_also: p.edge.also.clone(),
            edge_dns: p.edge.dns.clone(),
            resolved: p.resolution == Resolution::Ok,
            at,
        }
    }

    /// True when its DNS has more than one operator (two providers, or a provider beside its
    /// own or an unknown one): no one DNS provider's failure breaks it.
    pub fn redundant_dns(&self) -> bool {
        let operators = usize::from(self.dns.is_some())
            + self.dns_also.len()
            + usize::from(self.own_dns)
            + usize::from(self.dns_other);
        operators > 1
    }

    /// True when it is behind a CDN and nothing says where it runs behind it.
    pub fn origin_unknown(&self) -> bool {
        self.edge.is_some() && self.hosting.is_none() && self.cloud.is_none()
    }

    /// True when any layer is known.
    pub fn is_known(&self) -> bool {
        self.cloud.is_some() || self.hosting.is_some() || self.edge.is_some() || self.dns.is_some()
    }
}

/// One hostname a site's pages load (never a URL: no path, no query).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Dependency {
    /// The host's own site key (registrable domain): third parties are grouped by it.
    pub site: String,
    /// True when the host belongs to another site than the page.
    pub third_party: bool,
    /// Requests seen (responses and failures).
    pub requests: u32,
    /// The webRequest resource types seen, sorted (`script`, `image`, …).
    pub types: ResourceTypes,
    /// True once any request of a critical type ([`is_critical_type`]) was seen.
    pub critical: bool,
    /// When it was last requested.
    pub last_seen: Millis,
    /// The last public address the browser connected to (never a private one).
    pub last_ip: Option<IpAddr>,
    /// When it last answered (any HTTP status below 500).
    pub last_ok: Option<Millis>,
    /// When it last failed (HTTP 5xx or a network error that counts against a host).
    pub last_failure: Option<Millis>,
    /// The last failure's error (`net::ERR_CONNECTION_REFUSED`, `HTTP 503`).
    pub last_error: Option<String>,
    /// What it ran on, as a version that stored verdicts recorded it (schema 1): used until the
    /// host's own evidence exists, never written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Box<HostClass>>,
}

impl Dependency {
    /// True when its newest outcome is a failure.
    pub fn failing(&self) -> bool {
        match (self.last_failure, self.last_ok) {
            (Some(f), Some(ok)) => f > ok,
            (Some(_), None) => true,
            _ => false,
        }
    }

    /// Adds a resource type, keeping the list sorted, distinct and bounded.
    pub(crate) fn add_type(&mut self, kind: &str) {
        if kind.is_empty() {
            return;
        }
        self.types.insert(kind);
        if is_critical_type(kind) {
            self.critical = true;
        }
    }
}

/// What a request to a dependency came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepOutcome<'a> {
    /// A response with this HTTP status.
    Status(u16),
    /// A network error that counts against the host (see `health::NetErrorKind::verdict`).
    Failed(&'a str),
    /// Nothing to say about the host (a response without status, an inconclusive error).
    Unknown,
}

/// What a dependency is for, guessed from its name and the resource types it served:
/// "login", "API", "payments", "scripts"… Used only to word the popup's text.
pub fn role_of(host: &str, dep: &Dependency) -> &'static str {
    const BY_LABEL: &[(&[&str], &str)] = &[
        (
            &[
                "auth", "login", "sso", "id", "accounts", "account", "identity", "oauth", "signin",
            ],
            "login",
        ),
        (&["api", "graphql", "gql", "rpc"], "API"),
        (
            &["pay", "payment", "payments", "checkout", "billing"],
            "payments",
        ),
        (
            &[
                "cdn", "static", "assets", "media", "img", "images", "files", "js", "css",
            ],
            "assets",
        ),
    ];
    for label in host.split('.') {
        for (labels, role) in BY_LABEL {
            if labels.contains(&label) {
                return role;
            }
        }
    }
    let has = |t: &str| dep.types.contains(t);
    if has("xmlhttprequest") || has("fetch") || has("websocket") {
        "API"
    } else if has("script") {
        "scripts"
    } else if has("sub_frame") {
        "frames"
    } else if has("stylesheet") {
        "styles"
    } else if has("image") || has("imageset") {
        "images"
    } else if has("font") {
        "fonts"
    } else if has("media") {
        "media"
    } else {
        "requests"
    }
}

/// The third party a failing site's failure is put down to, when its own hosts answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blame {
    /// The failing hostname.
    pub host: String,
    /// What it is for ([`role_of`]).
    pub role: String,
    /// Its hosting provider, cloud, region, edge (when looked up).
    pub class: Option<Box<HostClass>>,
    /// Its last error.
    pub error: Option<String>,
}

#[cfg(test)]
mod tests;
mod types;
