//! Evidence → [`SiteProfile`]: which provider serves, hosts and answers DNS for a name.
//!
//! Pure functions over what the look-up engine (or the browser) observed; no I/O.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::deps::HostClass;
use crate::dns::is_public;
use crate::evidence::HostEvidence;
use crate::profile::{
    Confidence, DnsLayer, EdgeLayer, Evidence, Hosting, LayerKind, Resolution, SiteProfile,
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
    /// Every other (less specific or same-prefix) match, e.g. the cloud under a CDN range.
    pub also: Vec<IpMatch>,
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
}

impl From<RecordRef<'_>> for IpMatch {
    fn from(r: RecordRef<'_>) -> Self {
        Self {
            provider: r.provider.to_owned(),
            region: r.region.map(str::to_owned),
            service: r.service.map(str::to_owned),
            prefix: r.prefix.to_string(),
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
    /// prefix (GitHub's rented Actions space and Azure's own regional tag for it) are merged,
    /// so neither the region nor the service is lost.
    pub fn ranges(&self, ip: IpAddr) -> Vec<RecordRef<'_>> {
        let mut out: Vec<RecordRef<'_>> = Vec::new();
        for r in self.table.lookup(ip) {
            match out
                .iter_mut()
                .find(|p| p.prefix == r.prefix && p.provider == r.provider)
            {
                Some(prev) => {
                    prev.region = prev.region.or(r.region);
                    prev.service = prev.service.or(r.service);
                }
                None => out.push(r),
            }
        }
        out
    }

    /// Classifies one address against the published ranges only.
    pub fn classify_ip(&self, address: IpAddr) -> IpVerdict {
        let ranges = self.ranges(address);
        let mut matches = ranges.into_iter();
        let first = matches.next();
        IpVerdict {
            address,
            provider: first.map(|r| r.provider.to_owned()),
            region: first.and_then(|r| r.region.map(str::to_owned)),
            service: first.and_then(|r| r.service.map(str::to_owned)),
            prefix: first.map(|r| r.prefix.to_string()),
            also: matches.map(IpMatch::from).collect(),
        }
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

    /// The profile of one host: its layers derived from the evidence and the current table and
    /// rules, with the sentences behind each layer.
    pub fn classify(&self, ev: &HostEvidence) -> SiteProfile {
        let mut sentences = Vec::new();
        let layers = self.derive(ev, &mut Notes(Some(&mut sentences)));
        let resolution = ev
            .resolution
            .clone()
            .unwrap_or(if layers.addresses.is_empty() {
                Resolution::NoAddress
            } else {
                Resolution::Ok
            });
        SiteProfile {
            name: ev.name.clone(),
            site: ev.site.clone(),
            addresses: layers.addresses,
            cname_chain: ev.cname_chain.clone(),
            dns: DnsLayer {
                provider: layers.dns.map(|p| p.id.clone()),
                product: layers
                    .dns
                    .map(|p| p.dns_name.clone().unwrap_or_else(|| p.name.clone())),
                nameservers: ev.nameservers.clone(),
            },
            edge: layers.edge,
            hosting: layers.hosting,
            cloud: layers.cloud,
            confidence: layers.confidence,
            resolution,
            resolved_by: ev.resolved_by,
            ranges_missing: layers.ranges_missing,
            evidence: sentences,
        }
    }

    /// What one host runs on, in brief: the same derivation as [`Classifier::classify`]
    /// without the sentences, cheap enough to redo for every stored host whenever the table or
    /// the rules change.
    pub fn brief(&self, ev: &HostEvidence) -> HostClass {
        let layers = self.derive(ev, &mut Notes(None));
        HostClass {
            cloud: layers.cloud,
            hosting: layers.hosting.provider,
            region: layers.hosting.region,
            edge: layers.edge.provider,
            dns: layers.dns.map(|p| p.id.clone()),
            resolved: match &ev.resolution {
                Some(r) => *r == Resolution::Ok,
                None => !layers.addresses.is_empty(),
            },
            at: ev.at,
        }
    }

    /// The layers the evidence supports, each reason handed to `notes`.
    fn derive<'r>(&'r self, ev: &HostEvidence, notes: &mut Notes<'_>) -> Layers<'r> {
        let mut addresses: Vec<IpAddr> = Vec::with_capacity(ev.addresses.len() + 1);
        // The address the browser used comes first: it is what actually served the page.
        for ip in ev.connected_ip.iter().chain(ev.addresses.iter()) {
            if !addresses.contains(ip) {
                addresses.push(*ip);
            }
        }

        let mut edge = EdgeLayer::default();
        let mut hosting = Hosting::default();
        let mut host_from_ip = false;
        let mut any_public = false;
        for ip in &addresses {
            if !is_public(*ip) {
                notes.add(LayerKind::Hosting, || {
                    format!("{ip} is a private or reserved address: not evidence of a provider")
                });
                continue;
            }
            any_public = true;
            for r in self.ranges(*ip) {
                let text = || {
                    let what = describe_record(&self.display(r.provider), &r);
                    format!(
                        "{ip} is in {}: {what}, {}",
                        r.prefix,
                        self.feed_source(r.provider)
                    )
                };
                if self.is_edge(&r) {
                    if edge.provider.is_none() {
                        edge.provider = Some(r.provider.to_owned());
                        edge.service = r.service.map(str::to_owned);
                        notes.add(LayerKind::Edge, text);
                    }
                } else if !host_from_ip {
                    host_from_ip = true;
                    hosting.provider = Some(r.provider.to_owned());
                    hosting.region = r.region.map(str::to_owned);
                    hosting.service = r.service.map(str::to_owned);
                    hosting.prefix = Some(r.prefix.to_string());
                    notes.add(LayerKind::Hosting, text);
                }
            }
        }
        // No range can match while the table is empty (first start, before the feeds arrive):
        // that is "not known yet", not "unknown".
        let ranges_missing = any_public && self.table.is_empty();
        if ranges_missing {
            notes.add(LayerKind::Hosting, || {
                "the providers' IP ranges are not loaded yet: addresses cannot be placed".to_owned()
            });
        }

        // CNAME targets and headers name CDNs and platforms that IP ranges cannot see.
        let mut platform: Option<&Provider> = None;
        for name in std::iter::once(&ev.name).chain(ev.cname_chain.iter()) {
            if let Some((p, suffix)) = self.rules.by_cname(name) {
                let text = || format!("CNAME {name} is under {suffix}: {}", p.name);
                note_signal(p, text, &mut edge, &mut platform, notes);
            }
        }
        if !ev.headers.is_empty() {
            for m in self.rules.by_headers(&ev.headers) {
                let text = || format!("{}: {}", m.provider.name, m.reason);
                note_signal(m.provider, text, &mut edge, &mut platform, notes);
            }
        }

        if let Some(origin) = &ev.origin {
            hosting.asn = origin.asns.first().copied();
        }
        if let Some(info) = &ev.as_info {
            hosting.asn_holder = Some(info.holder.clone());
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
                        notes.add(LayerKind::Edge, || {
                            format!("origin AS{asn} ({holder}) belongs to {}", p.name)
                        });
                    }
                    Some(p) => {
                        hosting.provider = Some(p.id.clone());
                        confidence = Confidence::Medium;
                        notes.add(LayerKind::Hosting, || {
                            format!("origin AS{asn} ({holder}) belongs to {}", p.name)
                        });
                    }
                    None => notes.add(LayerKind::Hosting, || {
                        format!("origin AS{asn} ({holder}) is not a provider the rules know")
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

        let cloud = self.ultimate_cloud(&hosting, &edge, notes, &mut confidence);
        let dns = self.dns_provider(&ev.nameservers, notes);
        Layers {
            addresses,
            dns,
            edge,
            hosting,
            cloud,
            confidence,
            ranges_missing,
        }
    }

    fn ultimate_cloud(
        &self,
        hosting: &Hosting,
        edge: &EdgeLayer,
        notes: &mut Notes<'_>,
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
            notes.add(LayerKind::Cloud, || {
                let names: Vec<&str> = chain.iter().map(|p| p.name.as_str()).collect();
                format!("{} (runs on, providers.toml)", names.join(" runs on "))
            });
            if *confidence == Confidence::None {
                *confidence = Confidence::Low;
            }
        }
        Some(last.to_owned())
    }

    /// The provider serving the zone: the first name server a rule recognizes.
    fn dns_provider(&self, nameservers: &[String], notes: &mut Notes<'_>) -> Option<&Provider> {
        let (ns, p, pattern) = nameservers
            .iter()
            .find_map(|ns| self.rules.by_ns(ns).map(|(p, pattern)| (ns, p, pattern)))?;
        notes.add(LayerKind::Dns, || {
            format!(
                "NS {ns} matches {pattern}: {}",
                p.dns_name.as_deref().unwrap_or(&p.name)
            )
        });
        Some(p)
    }
}

/// The layers [`Classifier::derive`] finds.
struct Layers<'r> {
    addresses: Vec<IpAddr>,
    dns: Option<&'r Provider>,
    edge: EdgeLayer,
    hosting: Hosting,
    cloud: Option<String>,
    confidence: Confidence,
    ranges_missing: bool,
}

/// Where the reasons behind a derivation go: the profile's sentences, or nowhere (a brief
/// needs none, and formatting them is most of a derivation's cost).
struct Notes<'a>(Option<&'a mut Vec<Evidence>>);

impl Notes<'_> {
    /// Adds a reason, formatting it only when it is kept and not already there.
    fn add(&mut self, layer: LayerKind, text: impl FnOnce() -> String) {
        if let Some(list) = self.0.as_deref_mut() {
            let text = text();
            if !list.iter().any(|e| e.text == text) {
                list.push(Evidence { layer, text });
            }
        }
    }
}

/// Records a CNAME or header signal: CDNs fill the edge, platforms the hosting layer.
fn note_signal<'r>(
    p: &'r Provider,
    text: impl FnOnce() -> String,
    edge: &mut EdgeLayer,
    platform: &mut Option<&'r Provider>,
    notes: &mut Notes<'_>,
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
    notes.add(layer, text);
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
