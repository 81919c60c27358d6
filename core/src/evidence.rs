//! What was observed about one hostname: the record every verdict is derived from.
//!
//! A look-up ends in a [`HostEvidence`] (the engine's output), and that is what is stored. The
//! classification — [`SiteProfile`](crate::profile::SiteProfile) layers, cloud, confidence and
//! the sentences behind them — is never stored: [`Classifier::classify`] derives it from the
//! evidence plus the current prefix table and rules whenever it is needed, so a feed refresh
//! or a rules change reaches every stored host without a single new DNS query.
//!
//! [`Classifier::classify`]: crate::classify::Classifier::classify

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::dns::cymru::{CymruAs, CymruOrigin};
use crate::profile::{Resolution, ResolvedBy};
use crate::rules::Rules;
use crate::Millis;

/// Most response headers kept as evidence for one host.
pub const MAX_HEADERS: usize = 16;

/// Longest header value kept, in characters (the fingerprints test short prefixes and tokens).
const MAX_HEADER_VALUE: usize = 200;

/// Everything observed about one hostname at its last look-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HostEvidence {
    /// The hostname (normalized: lowercase ASCII, no trailing dot).
    pub name: String,
    /// Its site key (registrable domain, IP literal or local name), when it has one.
    pub site: Option<String>,
    /// When the answers arrived (ms since the epoch).
    pub at: Millis,
    /// The smallest TTL of the address answers, in seconds (`None`: no address answer, or the
    /// addresses did not come from DNS).
    pub ttl: Option<u32>,
    /// Addresses from DNS (or the browser's resolver, or the IP literal itself).
    pub addresses: Vec<IpAddr>,
    /// The address the browser connected to, when known (public addresses only).
    pub connected_ip: Option<IpAddr>,
    /// The CNAME chain from `name`, in order.
    pub cname_chain: Vec<String>,
    /// NS host names of the registrable domain, sorted.
    pub nameservers: Vec<String>,
    /// NS host names of the zone the CNAME chain ends in, when it is another than the host's
    /// own (a CDN's own DNS), sorted.
    pub cname_nameservers: Vec<String>,
    /// The response headers a provider fingerprint looks at (see [`fingerprint_headers`]):
    /// lowercase names; of `set-cookie` only the cookie names, never a value.
    pub headers: Vec<(String, String)>,
    /// Team Cymru origin of the primary address (boxed: most hosts have none, and a worker
    /// holds the evidence of every host it knows, 120 bytes a host for these two inline).
    pub origin: Option<Box<CymruOrigin>>,
    /// Team Cymru description of the origin AS (boxed, as `origin`).
    pub as_info: Option<Box<CymruAs>>,
    /// How the name resolved.
    pub resolution: Option<Resolution>,
    /// Where the addresses came from.
    pub resolved_by: ResolvedBy,
}

impl HostEvidence {
    /// True when the look-up reached no conclusion about the name (the resolver failed or could
    /// not be reached): such evidence says nothing about the host and never replaces better.
    pub fn inconclusive(&self) -> bool {
        matches!(self.resolution, Some(Resolution::ResolverError(_)))
    }

    /// How old the evidence is at `now`.
    pub fn age(&self, now: Millis) -> Millis {
        now.saturating_sub(self.at)
    }
}

/// The headers of `headers` that some provider rule matches, as evidence to keep: names
/// lowercased, values cut to a bounded length, and of `set-cookie` only the names of the cookies
/// a rule looks for (`awsalb=`): a cookie's value is the user's, never evidence. At most
/// [`MAX_HEADERS`].
pub fn fingerprint_headers(rules: &Rules, headers: &[(String, String)]) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        if kept.len() >= MAX_HEADERS {
            break;
        }
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_ascii_lowercase();
        let kept_value = if name == "set-cookie" {
            let cookies = rules.cookies_set(&value);
            if cookies.is_empty() {
                continue;
            }
            cookies
                .iter()
                .map(|c| format!("{c}="))
                .collect::<Vec<_>>()
                .join(", ")
        } else if rules.header_matches(&name, &value) {
            value.chars().take(MAX_HEADER_VALUE).collect()
        } else {
            continue;
        };
        if !kept.iter().any(|(n, v)| *n == name && *v == kept_value) {
            kept.push((name, kept_value));
        }
    }
    kept
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h(n: &str, v: &str) -> (String, String) {
        (n.to_owned(), v.to_owned())
    }

    #[test]
    fn only_fingerprinted_headers_are_kept_and_never_a_cookie_value() {
        let rules = Rules::builtin().unwrap();
        let kept = fingerprint_headers(
            &rules,
            &[
                h("CF-Ray", "8a1b2c3d4e5f-AMS"),
                h("Content-Type", "text/html"),
                h("X-Secret", "token"),
                h(
                    "Set-Cookie",
                    "AWSALB=abcdef-user-secret; Path=/; Expires=Tue, 01 Jan",
                ),
                h("Set-Cookie", "session=123; Path=/"),
            ],
        );
        assert_eq!(
            kept,
            vec![h("cf-ray", "8a1b2c3d4e5f-ams"), h("set-cookie", "awsalb=")]
        );
        // What was kept still matches the rules it was kept for.
        let providers: Vec<String> = rules
            .by_headers(&kept)
            .into_iter()
            .map(|m| m.provider.id.clone())
            .collect();
        assert_eq!(providers.len(), 2, "{providers:?}");
    }

    #[test]
    fn header_evidence_is_bounded() {
        let rules = Rules::builtin().unwrap();
        let many: Vec<(String, String)> = (0..100)
            .map(|i| h("cf-ray", &format!("{i}{}", "x".repeat(1000))))
            .collect();
        let kept = fingerprint_headers(&rules, &many);
        assert_eq!(kept.len(), MAX_HEADERS);
        assert!(kept
            .iter()
            .all(|(_, v)| v.chars().count() <= MAX_HEADER_VALUE));
    }

    #[test]
    fn evidence_round_trips_in_its_stored_form() {
        let ev = HostEvidence {
            name: "www.example.com".into(),
            site: Some("example.com".into()),
            at: 5,
            ttl: Some(60),
            addresses: vec!["3.5.140.2".parse().unwrap()],
            resolution: Some(Resolution::Ok),
            ..HostEvidence::default()
        };
        let v = serde_json::to_value(&ev).unwrap();
        assert_eq!(v["cnameChain"], serde_json::json!([]));
        assert_eq!(serde_json::from_value::<HostEvidence>(v).unwrap(), ev);
        // Fields added later take their defaults.
        let old: HostEvidence = serde_json::from_str(r#"{"name":"a.example"}"#).unwrap();
        assert_eq!(old.name, "a.example");
        assert!(old.addresses.is_empty());
    }
}
