//! Evidence → [`SiteProfile`]: which provider serves, hosts and answers DNS for a name.
//!
//! Pure functions over what the look-up engine (or the browser) observed; no I/O.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::dns::{is_public, CymruAs, CymruOrigin};
use crate::profile::{
    Confidence, DnsLayer, EdgeLayer, Evidence, Hosting, LayerKind, Resolution, ResolvedBy,
    SiteProfile,
};
use crate::rules::{Provider, ProviderKind, Rules};
use crate::site::SiteKeys;
use crate::table::{PrefixTable, RecordRef};

/// Everything the classifier knows: the published ranges, the provider rules and the suffix list.
#[derive(Debug)]
pub struct Classifier {
    table: PrefixTable,
    rules: Rules,
    sites: SiteKeys,
}

/// What was observed about one hostname; the input of [`Classifier::classify`].
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// The hostname (normalized).
    pub name: String,
    /// Its site key, when it has one.
    pub site: Option<String>,
    /// Addresses from DNS.
    pub addresses: Vec<IpAddr>,
    /// The address the browser connected to, when known.
    pub connected_ip: Option<IpAddr>,
    /// The CNAME chain from `name`.
    pub cname_chain: Vec<String>,
    /// NS host names of the registrable domain.
    pub nameservers: Vec<String>,
    /// Response headers (name, value) the browser saw.
    pub headers: Vec<(String, String)>,
    /// Team Cymru origin of the primary address.
    pub origin: Option<CymruOrigin>,
    /// Team Cymru AS description of the origin AS.
    pub as_info: Option<CymruAs>,
    /// How the name resolved.
    pub resolution: Option<Resolution>,
    /// Where the addresses came from.
    pub resolved_by: ResolvedBy,
}

/// The offline verdict for one address (the `onebasket ip` command).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpVerdict {
    /// The address.
    pub address: IpAddr,
    /// Provider id of the most specific range, `null` when none.
    pub provider: Option<String>,
    /// Its region.
    pub region: Option<String>,
    /// Its service.
    pub service: Option<String>,
    /// The matching prefix.
    pub prefix: Option<String>,
    /// Every other (less specific or same-prefix) match, e.g. the cloud under a CDN range, and
    /// every overlay list the address is in ("GitHub actions may run here").
    pub also: Vec<IpMatch>,
    /// Origin AS of the address, when an AS source (an offline table) was given.
    #[serde(default)]
    pub asn: Option<u32>,
    /// That AS's holder name.
    #[serde(default)]
    pub asn_holder: Option<String>,
    /// What the provider rests on: `range`, `asn`, or `range-and-asn` (the AS refined a range
    /// to the part of its owner that runs it); `null` when nothing is known.
    #[serde(default)]
    pub basis: Option<IpBasis>,
}

/// What an [`IpVerdict`]'s provider rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IpBasis {
    /// A published range.
    Range,
    /// Only the origin AS (no published range covers the address).
    Asn,
    /// A published range of the owner, narrowed by the origin AS to the part that runs it
    /// (Google's range, AS396982: Google Cloud).
    RangeAndAsn,
}

/// One range an address falls in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpMatch {
    /// Provider id.
    pub provider: String,
    /// Region.
    pub region: Option<String>,
    /// Service.
    pub service: Option<String>,
    /// The prefix.
    pub prefix: String,
    /// For an overlay list, what it means ("GitHub actions may run here (…)"): it names who
    /// may run in the range, not what the range is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl From<RecordRef<'_>> for IpMatch {
    fn from(r: RecordRef<'_>) -> Self {
        Self {
            provider: r.provider.to_owned(),
            region: r.region.map(str::to_owned),
            service: r.service.map(str::to_owned),
            prefix: r.prefix.to_string(),
            note: None,
        }
    }
}

impl Classifier {
    /// A classifier over the given ranges, rules and suffix list.
    pub fn new(table: PrefixTable, rules: Rules, sites: SiteKeys) -> Self {
        Self {
            table,
            rules,
            sites,
        }
    }

    /// The prefix table in use.
    pub fn table(&self) -> &PrefixTable {
        &self.table
    }

    /// Replaces the prefix table (after a feed refresh).
    pub fn set_table(&mut self, table: PrefixTable) {
        self.table = table;
    }

    /// The provider rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The site-key resolver.
    pub fn sites(&self) -> &SiteKeys {
        &self.sites
    }

    /// The ranges `ip` falls in, most specific first. Records of one provider for the same
    /// prefix from different feeds (CloudFront's own list and ip-ranges.json) are merged, so
    /// neither the region nor the service is lost. An overlay record is never merged with an
    /// ordinary one (GitHub's rented Actions space and Azure's own tag for the same prefix):
    /// its service says who may run there, not what the range is (see
    /// [`Classifier::overlay_note`]).
    pub fn ranges(&self, ip: IpAddr) -> Vec<RecordRef<'_>> {
        let mut out: Vec<RecordRef<'_>> = Vec::new();
        let mut overlays: Vec<bool> = Vec::new();
        for r in self.table.lookup(ip) {
            let overlay = self.is_overlay(&r);
            match out
                .iter_mut()
                .zip(&overlays)
                .find(|(p, &o)| p.prefix == r.prefix && p.provider == r.provider && o == overlay)
            {
                Some((prev, _)) => {
                    prev.region = prev.region.or(r.region);
                    prev.service = prev.service.or(r.service);
                }
                None => {
                    out.push(r);
                    overlays.push(overlay);
                }
            }
        }
        out
    }

    /// Classifies one address against the published ranges only.
    pub fn classify_ip(&self, address: IpAddr) -> IpVerdict {
        self.classify_ip_with_asn(address, None)
    }

    /// Classifies one address against the published ranges and, when given, its origin AS
    /// (`(asn, holder)`, e.g. from an offline [`crate::feeds::AsnTable`]). The overlap rules
    /// (ARCHITECTURE.md): an overlay record is never the answer, only an `also` entry with
    /// its note; a range whose provider is the `parent` of the AS's provider is narrowed to
    /// that provider (Google's range, AS396982 → Google Cloud); an address no range covers
    /// takes the AS's provider.
    pub fn classify_ip_with_asn(&self, address: IpAddr, asn: Option<(u32, &str)>) -> IpVerdict {
        let ranges = self.ranges(address);
        let (overlays, own): (Vec<_>, Vec<_>) =
            ranges.into_iter().partition(|r| self.is_overlay(r));
        // Only overlays cover it: the space is still their owner's (the records carry the
        // owner), just without a region or service of its own.
        let first = own.first().copied();
        let owner = overlays.first().filter(|_| first.is_none());
        let mut verdict = IpVerdict {
            address,
            provider: first.or(owner.copied()).map(|r| r.provider.to_owned()),
            region: first.and_then(|r| r.region.map(str::to_owned)),
            service: first.and_then(|r| r.service.map(str::to_owned)),
            prefix: first.or(owner.copied()).map(|r| r.prefix.to_string()),
            also: own.iter().skip(1).copied().map(IpMatch::from).collect(),
            asn: asn.map(|(n, _)| n),
            asn_holder: asn.map(|(_, h)| h.to_owned()).filter(|h| !h.is_empty()),
            basis: (first.is_some() || owner.is_some()).then_some(IpBasis::Range),
        };
        verdict.also.extend(overlays.iter().map(|r| IpMatch {
            note: self.overlay_note(r),
            ..IpMatch::from(*r)
        }));
        if let Some(p) = asn.and_then(|(n, _)| self.rules.by_asn(n)) {
            match verdict.provider.as_deref() {
                Some(range_provider) if p.parent.as_deref() == Some(range_provider) => {
                    verdict.provider = Some(p.id.clone());
                    verdict.basis = Some(IpBasis::RangeAndAsn);
                }
                None => {
                    verdict.provider = Some(p.id.clone());
                    verdict.basis = Some(IpBasis::Asn);
                }
                Some(_) => {}
            }
        }
        verdict
    }

    /// Whether a record is an overlay list's (see [`Classifier::overlay_note`]).
    pub fn is_overlay(&self, r: &RecordRef<'_>) -> bool {
        r.service
            .is_some_and(|s| self.rules.is_overlay(r.provider, s))
    }

    /// What an overlay record means ("GitHub actions may run here (Microsoft Azure space
    /// GitHub rents)"), or None for an ordinary record.
    pub fn overlay_note(&self, r: &RecordRef<'_>) -> Option<String> {
        let overlays = self.rules.overlays(r.provider, r.service?);
        let first = overlays.first()?;
        let lists: Vec<&str> = overlays.iter().map(|o| o.list.as_str()).collect();
        let by = self.display(&first.by);
        Some(format!(
            "{by} {} may run here ({} space {by} rents)",
            lists.join(", "),
            self.display(&first.space_of)
        ))
    }

    /// "ip-ranges.json of 2026-08-22" for the feed a provider's records came from.
    fn feed_source(&self, provider: &str) -> String {
        match self.table.feeds().iter().find(|f| f.provider == provider) {
            Some(f) => match &f.date {
                Some(d) => format!("{} of {d}", f.file),
                None => f.file.clone(),
            },
            None => "published ranges".to_owned(),
        }
    }

    fn display(&self, id: &str) -> String {
        self.rules
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    }

    fn is_edge(&self, r: &RecordRef<'_>) -> bool {
        let kind_is_cdn = self
            .rules
            .get(r.provider)
            .is_some_and(|p| p.kind == ProviderKind::Cdn);
        kind_is_cdn
            || r.service
                .is_some_and(|s| self.rules.is_edge_service(r.provider, s))
    }

    /// Builds the profile from what was observed.
    pub fn classify(&self, obs: &Observation) -> SiteProfile {
        let mut evidence = Vec::new();
        let mut addresses: Vec<IpAddr> = Vec::new();
        // The address the browser used comes first: it is what actually served the page.
        for ip in obs.connected_ip.iter().chain(obs.addresses.iter()) {
            if !addresses.contains(ip) {
                addresses.push(*ip);
            }
        }

        let mut edge = EdgeLayer::default();
        let mut hosting = Hosting::default();
        let mut host_from_ip = false;
        for ip in &addresses {
            if !is_public(*ip) {
                evidence.push(Evidence {
                    layer: LayerKind::Hosting,
                    text: format!(
                        "{ip} is a private or reserved address: not evidence of a provider"
                    ),
                });
                continue;
            }
            let mut owner = None;
            for r in self.ranges(*ip) {
                if self.is_overlay(&r) {
                    let note = self.overlay_note(&r).unwrap_or_default();
                    // An overlay names who may run here, never the host: noted, and its
                    // owner stands in only if nothing else covers the address.
                    owner = owner.or(Some(r));
                    evidence.push(Evidence {
                        layer: LayerKind::Hosting,
                        text: format!("{ip} is in {}: {note}", r.prefix),
                    });
                    continue;
                }
                let what = describe_record(&self.display(r.provider), &r);
                let text = format!(
                    "{ip} is in {}: {what}, {}",
                    r.prefix,
                    self.feed_source(r.provider)
                );
                if self.is_edge(&r) {
                    if edge.provider.is_none() {
                        edge.provider = Some(r.provider.to_owned());
                        edge.service = r.service.map(str::to_owned);
                        evidence.push(Evidence {
                            layer: LayerKind::Edge,
                            text,
                        });
                    }
                } else if !host_from_ip {
                    host_from_ip = true;
                    hosting.provider = Some(r.provider.to_owned());
                    hosting.region = r.region.map(str::to_owned);
                    hosting.service = r.service.map(str::to_owned);
                    hosting.prefix = Some(r.prefix.to_string());
                    evidence.push(Evidence {
                        layer: LayerKind::Hosting,
                        text,
                    });
                }
            }
            if let Some(r) = owner.filter(|_| !host_from_ip) {
                host_from_ip = true;
                hosting.provider = Some(r.provider.to_owned());
                hosting.prefix = Some(r.prefix.to_string());
            }
        }

        // CNAME targets and headers name CDNs and platforms that IP ranges cannot see.
        let mut platform: Option<&Provider> = None;
        for name in std::iter::once(&obs.name).chain(obs.cname_chain.iter()) {
            if let Some((p, suffix)) = self.rules.by_cname(name) {
                let text = format!("CNAME {name} is under {suffix}: {}", p.name);
                self.note_signal(p, text, &mut edge, &mut platform, &mut evidence);
            }
        }
        for m in self.rules.by_headers(&obs.headers) {
            let text = format!("{}: {}", m.provider.name, m.reason);
            self.note_signal(m.provider, text, &mut edge, &mut platform, &mut evidence);
        }

        if let Some(origin) = &obs.origin {
            hosting.asn = origin.asns.first().copied();
        }
        if let Some(info) = &obs.as_info {
            hosting.asn_holder = Some(info.holder.clone());
        }
        // A range of the owner narrowed by the origin AS to the part that runs it (overlap
        // rule b, ARCHITECTURE.md): Google's range, AS396982 → Google Cloud.
        if let (true, Some(asn)) = (host_from_ip, hosting.asn) {
            if let Some(p) = self.rules.by_asn(asn) {
                if p.parent.is_some() && p.parent == hosting.provider {
                    let holder = hosting.asn_holder.as_deref().unwrap_or("unknown holder");
                    evidence.push(Evidence {
                        layer: LayerKind::Hosting,
                        text: format!(
                            "origin AS{asn} ({holder}) belongs to {}, inside {}'s range",
                            p.name,
                            self.display(hosting.provider.as_deref().unwrap_or_default())
                        ),
                    });
                    hosting.provider = Some(p.id.clone());
                }
            }
        }
        let mut confidence = if host_from_ip {
            Confidence::High
        } else {
            Confidence::None
        };
        if !host_from_ip {
            if let Some(asn) = hosting.asn {
                let holder = hosting.asn_holder.as_deref().unwrap_or("unknown holder");
                match self.rules.by_asn(asn) {
                    Some(p) if p.kind == ProviderKind::Cdn => {
                        if edge.provider.is_none() {
                            edge.provider = Some(p.id.clone());
                        }
                        evidence.push(Evidence {
                            layer: LayerKind::Edge,
                            text: format!("origin AS{asn} ({holder}) belongs to {}", p.name),
                        });
                    }
                    Some(p) => {
                        hosting.provider = Some(p.id.clone());
                        confidence = Confidence::Medium;
                        evidence.push(Evidence {
                            layer: LayerKind::Hosting,
                            text: format!("origin AS{asn} ({holder}) belongs to {}", p.name),
                        });
                    }
                    None => evidence.push(Evidence {
                        layer: LayerKind::Hosting,
                        text: format!("origin AS{asn} ({holder}) is not a provider the rules know"),
                    }),
                }
            }
        }
        if let Some(p) = platform {
            if hosting.provider.is_none() {
                hosting.provider = Some(p.id.clone());
                confidence = confidence.max(Confidence::Medium);
            } else if hosting.provider.as_deref() != Some(p.id.as_str()) {
                hosting.platform = Some(p.id.clone());
            }
        }

        let cloud = self.ultimate_cloud(&hosting, &edge, &mut evidence, &mut confidence);
        let dns = self.dns_layer(&obs.nameservers, &mut evidence);

        let resolution = obs.resolution.clone().unwrap_or(if addresses.is_empty() {
            Resolution::NoAddress
        } else {
            Resolution::Ok
        });
        SiteProfile {
            name: obs.name.clone(),
            site: obs.site.clone(),
            addresses,
            cname_chain: obs.cname_chain.clone(),
            dns,
            edge,
            hosting,
            cloud,
            confidence,
            resolution,
            resolved_by: obs.resolved_by,
            evidence,
        }
    }

    /// Records a CNAME or header signal: CDNs fill the edge, platforms the hosting layer.
    fn note_signal<'r>(
        &self,
        p: &'r Provider,
        text: String,
        edge: &mut EdgeLayer,
        platform: &mut Option<&'r Provider>,
        evidence: &mut Vec<Evidence>,
    ) {
        let layer = if p.kind == ProviderKind::Cdn {
            if edge.provider.is_none() {
                edge.provider = Some(p.id.clone());
            }
            LayerKind::Edge
        } else {
            if platform.is_none() {
                *platform = Some(p);
            }
            LayerKind::Hosting
        };
        if !evidence.iter().any(|e| e.text == text) {
            evidence.push(Evidence { layer, text });
        }
    }

    fn ultimate_cloud(
        &self,
        hosting: &Hosting,
        edge: &EdgeLayer,
        evidence: &mut Vec<Evidence>,
        confidence: &mut Confidence,
    ) -> Option<String> {
        // A platform seen beside an IP match is checked against it; otherwise the host,
        // then the edge (a site seen only through its CDN depends on that CDN).
        let base = hosting
            .platform
            .as_deref()
            .filter(|_| hosting.provider.is_none())
            .or(hosting.provider.as_deref())
            .or(edge.provider.as_deref())?;
        let chain = self.rules.runs_on_chain(base);
        let last = chain.last().map_or(base, |p| p.id.as_str());
        if chain.len() > 1 {
            let names: Vec<&str> = chain.iter().map(|p| p.name.as_str()).collect();
            evidence.push(Evidence {
                layer: LayerKind::Cloud,
                text: format!("{} (runs on, providers.toml)", names.join(" runs on ")),
            });
            if *confidence == Confidence::None {
                *confidence = Confidence::Low;
            }
        }
        Some(last.to_owned())
    }

    fn dns_layer(&self, nameservers: &[String], evidence: &mut Vec<Evidence>) -> DnsLayer {
        let mut layer = DnsLayer {
            nameservers: nameservers.to_vec(),
            ..DnsLayer::default()
        };
        for ns in nameservers {
            if let Some((p, pattern)) = self.rules.by_ns(ns) {
                if layer.provider.is_none() {
                    layer.provider = Some(p.id.clone());
                    layer.product = Some(p.dns_name.clone().unwrap_or_else(|| p.name.clone()));
                    evidence.push(Evidence {
                        layer: LayerKind::Dns,
                        text: format!(
                            "NS {ns} matches {pattern}: {}",
                            layer.product.as_deref().unwrap_or(&p.name)
                        ),
                    });
                }
            }
        }
        layer
    }
}

impl Classifier {
    /// The whole stack in one line, edge first: "Cloudflare → AWS us-east-1 · DNS: Route 53".
    pub fn stack_line(&self, p: &SiteProfile) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(edge) = &p.edge.provider {
            parts.push(self.display(edge));
        }
        if let Some(host) = &p.hosting.provider {
            let mut s = self.display(host);
            if let Some(region) = &p.hosting.region {
                s.push(' ');
                s.push_str(region);
            }
            if parts.last() != Some(&s) {
                parts.push(s);
            }
        }
        if let Some(cloud) = &p.cloud {
            let name = self.display(cloud);
            if !parts.iter().any(|s| s.starts_with(&name)) {
                parts.push(name);
            }
        }
        let mut line = if parts.is_empty() {
            "hosting unknown".to_owned()
        } else {
            parts.join(" → ")
        };
        if let Some(dns) = p.dns.product.as_ref().or(p.dns.provider.as_ref()) {
            line.push_str(" · DNS: ");
            line.push_str(dns);
        }
        line
    }
}

/// "AWS ap-northeast-2 EC2".
fn describe_record(provider: &str, r: &RecordRef<'_>) -> String {
    let mut s = provider.to_owned();
    for part in [r.region, r.service].into_iter().flatten() {
        s.push(' ');
        s.push_str(part);
    }
    s
}
