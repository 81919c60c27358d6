//! The result of a look-up: a site's stack from DNS provider down to the cloud it runs on.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

impl std::fmt::Display for Confidence {
    /// The word for it, as the CLI and the pages say it (never `None`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Confidence::None => "unknown",
            Confidence::Low => "low (inferred)",
            Confidence::Medium => "medium (a name, header or AS)",
            Confidence::High => "high (a published range)",
        })
    }
}

/// How sure the classification is about the hosting layer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Nothing identifies the host.
    #[default]
    None,
    /// Only an inference ("runs on") or a weak signal names the host.
    Low,
    /// A CNAME, header or ASN names the host.
    Medium,
    /// An address is inside a provider's published range.
    High,
}

/// Which layer of the stack a piece of evidence speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LayerKind {
    /// The authoritative DNS provider.
    Dns,
    /// The edge / CDN in front of the site.
    Edge,
    /// The host serving the site.
    Hosting,
    /// The cloud the host ultimately runs on.
    Cloud,
    /// The DNS resolution itself.
    Resolution,
}

/// One human-readable reason behind a layer of the profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The layer this supports.
    pub layer: LayerKind,
    /// The reason, e.g. "3.5.140.2 is in 3.5.140.0/22: AWS ap-northeast-2 EC2, ip-ranges.json of 2026-08-22".
    pub text: String,
}

/// The authoritative DNS layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsLayer {
    /// Provider id of the DNS host, `null` when unknown.
    pub provider: Option<String>,
    /// The provider's DNS product name ("Route 53"), when the rules name one.
    pub product: Option<String>,
    /// The NS host names of the registrable domain.
    pub nameservers: Vec<String>,
    /// Further DNS providers among the name servers (a redundant set: "Route 53 + NS1").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// Some name servers are under the site's own domain: it runs its own DNS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own: bool,
    /// Some name servers belong to no provider the rules know.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub other: bool,
}

/// The edge / CDN layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeLayer {
    /// Provider id of the edge, `null` when none is seen.
    pub provider: Option<String>,
    /// The feed's service name for the edge range (e.g. `CLOUDFRONT`).
    pub service: Option<String>,
    /// Further CDNs the host is spread over.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also: Vec<String>,
    /// The DNS provider of the zone the CNAME chain ends in: the CDN's own DNS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<String>,
}

/// The hosting layer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hosting {
    /// Provider id of the host, `null` when unknown.
    pub provider: Option<String>,
    /// Provider region, as the feed spells it.
    pub region: Option<String>,
    /// Provider service, as the feed spells it.
    pub service: Option<String>,
    /// The published prefix the address matched.
    pub prefix: Option<String>,
    /// Origin AS number of the primary address (Team Cymru).
    pub asn: Option<u32>,
    /// The AS holder's registered name.
    pub asn_holder: Option<String>,
    /// A platform (PaaS) seen through CNAME or headers, e.g. `vercel`, when it differs from the provider.
    pub platform: Option<String>,
}

/// How the name resolved. Written `{"status": "resolver-error", "detail": "…"}` (`detail` only
/// for the one variant that has it); read by hand, in one pass (see its `Deserialize`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "detail")]
pub enum Resolution {
    /// At least one address was found (or the name is an IP literal).
    Ok,
    /// The name does not exist.
    NxDomain,
    /// The resolver answered SERVFAIL.
    ServFail,
    /// The resolver refused the query.
    Refused,
    /// The answer was truncated and held no usable records.
    Truncated,
    /// The name exists but has no A or AAAA records.
    NoAddress,
    /// The resolver could not be reached or sent something unusable.
    ResolverError(String),
}

/// Reads the derive's form as one flat struct: the derive for an adjacently tagged enum also
/// takes the `detail` before the `status` by buffering it into serde's generic `Content`, a
/// second reader that was 15 KB of the worker's wasm for a string.
impl<'de> Deserialize<'de> for Resolution {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "kebab-case")]
        enum Status {
            Ok,
            NxDomain,
            ServFail,
            Refused,
            Truncated,
            NoAddress,
            ResolverError,
        }
        #[derive(Deserialize)]
        struct Wire {
            status: Status,
            #[serde(default)]
            detail: Option<String>,
        }
        let w = Wire::deserialize(d)?;
        Ok(match w.status {
            Status::Ok => Resolution::Ok,
            Status::NxDomain => Resolution::NxDomain,
            Status::ServFail => Resolution::ServFail,
            Status::Refused => Resolution::Refused,
            Status::Truncated => Resolution::Truncated,
            Status::NoAddress => Resolution::NoAddress,
            Status::ResolverError => Resolution::ResolverError(
                w.detail
                    .ok_or_else(|| serde::de::Error::missing_field("detail"))?,
            ),
        })
    }
}

impl std::fmt::Display for Resolution {
    /// The one wording of an outcome, for the badge, the popup and the CLI.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Resolution::Ok => f.write_str("resolved"),
            Resolution::NxDomain => f.write_str("the name does not exist (NXDOMAIN)"),
            Resolution::ServFail => f.write_str("the resolver failed (SERVFAIL)"),
            Resolution::Refused => f.write_str("the resolver refused the query"),
            Resolution::Truncated => f.write_str("the answer was truncated"),
            Resolution::NoAddress => f.write_str("the name has no address"),
            Resolution::ResolverError(e) => write!(f, "look-up failed: {e}"),
        }
    }
}

/// Where a profile's addresses came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolvedBy {
    /// The configured DNS-over-HTTPS resolver.
    #[default]
    Doh,
    /// The browser's own resolver (Firefox `dns.resolve`).
    Browser,
    /// The name was an IP literal.
    Literal,
}

/// Everything known about one hostname's hosting, layer by layer, with the reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteProfile {
    /// The hostname looked up (normalized: lowercase ASCII, no trailing dot).
    pub name: String,
    /// The site key (registrable domain, IP literal or local name).
    pub site: Option<String>,
    /// Addresses the name resolves to (and the one the browser connected to, when given).
    pub addresses: Vec<IpAddr>,
    /// The CNAME targets from `name`, in order.
    pub cname_chain: Vec<String>,
    /// Authoritative DNS provider.
    pub dns: DnsLayer,
    /// Edge / CDN.
    pub edge: EdgeLayer,
    /// Host.
    pub hosting: Hosting,
    /// Provider id of the cloud the site ultimately runs on.
    pub cloud: Option<String>,
    /// Confidence in the hosting layer.
    pub confidence: Confidence,
    /// How the name resolved.
    pub resolution: Resolution,
    /// Where the addresses came from.
    #[serde(default)]
    pub resolved_by: ResolvedBy,
    /// True when the name has public addresses but no IP ranges were loaded to place them in
    /// (a first start, before the feeds arrive): the hosting layer is "not known yet".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ranges_missing: bool,
    /// The reasons behind each layer.
    pub evidence: Vec<Evidence>,
}

impl SiteProfile {
    /// The provider a badge shows: the edge when there is one, otherwise the host.
    pub fn badge_provider(&self) -> Option<&str> {
        self.edge
            .provider
            .as_deref()
            .or(self.hosting.provider.as_deref())
            .or(self.cloud.as_deref())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::Resolution;

    /// Every variant reads back as the derive writes it; `detail` may come first; a resolver
    /// error without its detail, or an unknown status, is refused.
    #[test]
    fn resolution_reads_what_the_derive_writes() {
        for r in [
            Resolution::Ok,
            Resolution::NxDomain,
            Resolution::ServFail,
            Resolution::Refused,
            Resolution::Truncated,
            Resolution::NoAddress,
            Resolution::ResolverError("timed out".into()),
        ] {
            // The match fails to compile when a variant is added: add it above, and to `Status`.
            match &r {
                Resolution::Ok
                | Resolution::NxDomain
                | Resolution::ServFail
                | Resolution::Refused
                | Resolution::Truncated
                | Resolution::NoAddress
                | Resolution::ResolverError(_) => {}
            }
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(
                serde_json::from_value::<Resolution>(v.clone()).unwrap(),
                r,
                "{v}"
            );
        }
        assert_eq!(
            serde_json::to_value(Resolution::NxDomain).unwrap(),
            json!({"status": "nx-domain"})
        );
        assert_eq!(
            serde_json::from_value::<Resolution>(
                json!({"detail": "HTTP 502", "status": "resolver-error"})
            )
            .unwrap(),
            Resolution::ResolverError("HTTP 502".into())
        );
        for bad in [
            json!({"status": "resolver-error"}),
            json!({"status": "lost"}),
            json!({"detail": "x"}),
        ] {
            assert!(
                serde_json::from_value::<Resolution>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }
}
