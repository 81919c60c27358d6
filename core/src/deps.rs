//! A site's dependency map: the hostnames its pages load (its own and third parties), what each
//! runs on, and the exposure that follows: the clouds, regions, edges and DNS providers whose
//! failure would break the site, kept apart from those that would only make it look worse.
//!
//! Pure data and functions; the worker records what the browser loads ([`SiteRecord::depend`])
//! and classifies each hostname with the same engine as the sites themselves.
//!
//! [`SiteRecord::depend`]: crate::protocol::SiteRecord::depend

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::engine::Millis;
use crate::profile::{Resolution, SiteProfile};
use crate::protocol::SiteRecord;

/// Most hostnames kept in one site's dependency set; beyond it the least used is evicted.
///
/// Large enough for a heavy page (200 third-party hosts is not unusual for a news site), small
/// enough that 1,000 sites stay within tens of megabytes.
pub const MAX_DEPS: usize = 256;

/// Most distinct resource types remembered per dependency (webRequest has about twenty).
const MAX_TYPES: usize = 12;

/// Most hosts named per exposure entry; the rest are counted in [`Exposed::more`].
pub const MAX_VIA: usize = 4;

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
    /// Provider id of the authoritative DNS.
    pub dns: Option<String>,
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
            resolved: p.resolution == Resolution::Ok,
            at,
        }
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
    pub types: Vec<String>,
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
    pub class: Option<HostClass>,
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
        if let Err(at) = self.types.binary_search_by(|t| t.as_str().cmp(kind)) {
            if self.types.len() < MAX_TYPES {
                self.types.insert(at, kind.to_owned());
            }
        }
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
    let has = |t: &str| dep.types.iter().any(|k| k == t);
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

/// What the records themselves say their hosts run on: the verdicts a version that stored
/// verdicts left (a site's `profile`, a dependency's `class`), the newest for each host. The
/// tracker uses it for hosts with no evidence yet.
pub fn stored_classes<'a>(records: impl IntoIterator<Item = &'a SiteRecord>) -> Classes {
    let mut classes = Classes::new();
    for r in records {
        if let Some(p) = &r.profile {
            let at = r.profiled_at.unwrap_or(0);
            if classes.get(&r.main_host).is_none_or(|old| old.at < at) {
                classes.insert(r.main_host.clone(), HostClass::from_profile(p, at));
            }
        }
        for (host, dep) in &r.deps {
            let Some(c) = &dep.class else { continue };
            if classes.get(host).is_none_or(|old| old.at < c.at) {
                classes.insert(host.clone(), c.clone());
            }
        }
    }
    classes
}

/// A layer of the stack a site can be exposed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExposureLayer {
    /// The cloud everything ultimately runs on.
    Cloud,
    /// One region of a hosting provider.
    Region,
    /// An edge / CDN.
    Edge,
    /// An authoritative DNS provider.
    Dns,
    /// A hosting provider other than the cloud under it (a platform such as Vercel on AWS);
    /// listed last so the order of the other layers stays the stack's.
    Hosting,
}

/// A host through which a site is exposed to a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Via {
    /// The hostname.
    pub host: String,
    /// True for another site's host.
    pub third_party: bool,
    /// What it is for ([`role_of`]).
    pub role: String,
    /// Its hosting provider.
    pub hosting: Option<String>,
    /// Its hosting region.
    pub region: Option<String>,
}

/// One provider (or region) a site depends on, and through which of its hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exposed {
    /// Which layer.
    pub layer: ExposureLayer,
    /// Provider id.
    pub provider: String,
    /// The region, for [`ExposureLayer::Region`].
    pub region: Option<String>,
    /// True when the site's main host itself is exposed.
    pub own: bool,
    /// Other hosts through which it is exposed: the site's own first, then third parties;
    /// at most [`MAX_VIA`].
    pub via: Vec<Via>,
    /// Hosts beyond those in `via`.
    pub more: u32,
    /// True when at least one of the hosts (listed or not) is a third party.
    pub third_party: bool,
}

impl Exposed {
    /// The group key correlation and the pages use: `aws`, or `aws us-east-1` for a region.
    pub fn key(&self) -> String {
        match &self.region {
            Some(r) => format!("{} {r}", self.provider),
            None => self.provider.clone(),
        }
    }
}

/// What would break a site, and what would only degrade it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Exposure {
    /// Providers whose failure breaks the site: its main host's stack, and that of every host
    /// its pages need (documents, scripts, API calls, stylesheets).
    pub critical: Vec<Exposed>,
    /// Providers seen only behind images, fonts, media and beacons (not also critical).
    pub non_critical: Vec<Exposed>,
}

/// The (layer, provider, region) entries of one host's brief.
fn entries(c: &HostClass) -> Vec<(ExposureLayer, String, Option<String>)> {
    let mut out = Vec::with_capacity(5);
    if let Some(cloud) = &c.cloud {
        out.push((ExposureLayer::Cloud, cloud.clone(), None));
    }
    if let Some(h) = c.hosting.as_ref().filter(|h| c.cloud.as_ref() != Some(*h)) {
        out.push((ExposureLayer::Hosting, h.clone(), None));
    }
    if let (Some(h), Some(r)) = (&c.hosting, &c.region) {
        out.push((ExposureLayer::Region, h.clone(), Some(r.clone())));
    }
    if let Some(edge) = &c.edge {
        out.push((ExposureLayer::Edge, edge.clone(), None));
    }
    if let Some(dns) = &c.dns {
        out.push((ExposureLayer::Dns, dns.clone(), None));
    }
    out
}

/// The exposure of a site: its main host's layers plus every classified dependency's, read
/// from `classes`.
pub fn exposure(record: &SiteRecord, classes: &dyn ClassOf) -> Exposure {
    type Key = (ExposureLayer, String, Option<String>);
    #[derive(Default)]
    struct Acc {
        own: bool,
        via: Vec<(bool, Via)>,
    }
    let mut critical: BTreeMap<Key, Acc> = BTreeMap::new();
    let mut other: BTreeMap<Key, Acc> = BTreeMap::new();
    if let Some(c) = classes.class_of(&record.main_host) {
        for key in entries(c) {
            critical.entry(key).or_default().own = true;
        }
    }
    for (host, dep) in &record.deps {
        if *host == record.main_host {
            continue;
        }
        let Some(class) = classes.class_of(host) else {
            continue;
        };
        let via = Via {
            host: host.clone(),
            third_party: dep.third_party,
            role: role_of(host, dep).to_owned(),
            hosting: class.hosting.clone(),
            region: class.region.clone(),
        };
        let target = if dep.critical {
            &mut critical
        } else {
            &mut other
        };
        for key in entries(class) {
            target
                .entry(key)
                .or_default()
                .via
                .push((dep.critical, via.clone()));
        }
    }
    let finish = |map: BTreeMap<Key, Acc>| -> Vec<Exposed> {
        let mut v: Vec<Exposed> = map
            .into_iter()
            .map(|((layer, provider, region), mut acc)| {
                // The site's own hosts first, then third parties; by name within each.
                acc.via.sort_by(|a, b| {
                    (a.1.third_party, &a.1.host).cmp(&(b.1.third_party, &b.1.host))
                });
                let third_party = acc.via.iter().any(|(_, v)| v.third_party);
                let total = acc.via.len();
                let via: Vec<Via> = acc.via.into_iter().take(MAX_VIA).map(|(_, v)| v).collect();
                Exposed {
                    layer,
                    provider,
                    region,
                    own: acc.own,
                    more: u32::try_from(total - via.len()).unwrap_or(u32::MAX),
                    via,
                    third_party,
                }
            })
            .collect();
        // Stack order, then the most hosts first.
        v.sort_by(|a, b| {
            a.layer
                .cmp(&b.layer)
                .then_with(|| (b.via.len() + b.more as usize).cmp(&(a.via.len() + a.more as usize)))
                .then_with(|| a.key().cmp(&b.key()))
        });
        v
    };
    let critical_keys: Vec<Key> = critical.keys().cloned().collect();
    other.retain(|k, _| !critical_keys.contains(k));
    Exposure {
        critical: finish(critical),
        non_critical: finish(other),
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
    pub class: Option<HostClass>,
    /// Its last error.
    pub error: Option<String>,
}

/// The critical third parties a failing site's failure is put down to: those failing within
/// `window_ms` while none of the site's own hosts failed in that time, most recent first.
/// Empty when the site is not failing or one of its own hosts failed too.
pub fn blamed(record: &SiteRecord, now: Millis, window_ms: Millis) -> Vec<&str> {
    use crate::protocol::HealthState;
    if !matches!(record.status, HealthState::Down | HealthState::Degraded) {
        return Vec::new();
    }
    let recent = |t: Millis| now.saturating_sub(t) < window_ms;
    let own_failed = record
        .failures
        .iter()
        .any(|f| recent(f.at) && !record.deps.get(&f.host).is_some_and(|d| d.third_party));
    if own_failed {
        return Vec::new();
    }
    let mut hosts: Vec<(&str, Millis)> = record
        .deps
        .iter()
        .filter(|(_, d)| d.third_party && d.critical && d.failing())
        .filter_map(|(h, d)| {
            d.last_failure
                .filter(|t| recent(*t))
                .map(|t| (h.as_str(), t))
        })
        .collect();
    hosts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    hosts.into_iter().map(|(h, _)| h).collect()
}

/// Why a failing site fails, when its own hosts answer but a critical third party does not:
/// the first of [`blamed`], with what it runs on (from `classes`).
pub fn blame(
    record: &SiteRecord,
    classes: &dyn ClassOf,
    now: Millis,
    window_ms: Millis,
) -> Option<Blame> {
    let host = *blamed(record, now, window_ms).first()?;
    let d = record.deps.get(host)?;
    Some(Blame {
        host: host.to_owned(),
        role: role_of(host, d).to_owned(),
        class: classes.class_of(host).cloned(),
        error: d.last_error.clone(),
    })
}

#[cfg(test)]
mod tests;
