//! Evidence → [`SiteProfile`]: which provider serves, hosts and answers DNS for a name.
//!
//! Pure functions over what the look-up engine (or the browser) observed; no I/O.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::deps::HostClass;
use crate::dns::addr::is_public;
use crate::evidence::HostEvidence;
use crate::profile::{
    Confidence, DnsLayer, EdgeLayer, Evidence, Hosting, LayerKind, Resolution, SiteProfile,
};
use crate::rules::schema::{Provider, ProviderKind};
use crate::rules::Rules;
use crate::site::SiteKeys;
use crate::table::{PrefixTable, RecordRef};
use smallvec::SmallVec;

/// Everything the classifier knows: the published ranges, the provider rules and the suffix list.
#[derive(Debug)]
pub struct Classifier {
    table: PrefixTable,
    rules: Rules,
    sites: SiteKeys,
    /// The rules' provider for each of the table's providers (by
    /// [`RecordRef::provider_index`]): a derivation asks about every range an address falls
    /// in, and this answers without comparing strings.
    table_providers: Vec<TableProvider>,
    /// For each of the rules' providers, the last of its "runs on" chain and the chain's
    /// length beyond it (0: it runs on nothing else).
    ultimate: Vec<(u16, u8)>,
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
        let ultimate = rules
            .providers()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let chain = rules.runs_on_chain(&p.id);
                let last = chain
                    .last()
                    .and_then(|l| rules.index_of(&l.id))
                    .unwrap_or(u16::try_from(i).unwrap_or(0));
                (
                    last,
                    u8::try_from(chain.len().saturating_sub(1)).unwrap_or(u8::MAX),
                )
            })
            .collect();
        let mut c = Self {
            table_providers: Vec::new(),
            table,
            rules,
            sites,
            ultimate,
        };
        c.map_providers();
        c
    }

    /// Finds the rules' provider of each of the table's providers.
    fn map_providers(&mut self) {
        self.table_providers = self
            .table
            .providers()
            .map(|id| TableProvider {
                rules: self.rules.index_of(id),
                rented: self.rules.rents_out(id),
            })
            .collect();
    }

    /// The id of the rules' provider at `index`.
    fn provider_id(&self, index: u16) -> Option<String> {
        self.rules
            .providers()
            .get(usize::from(index))
            .map(|p| p.id.clone())
    }

    /// The rules' provider of a range.
    fn provider_of(&self, r: &RecordRef<'_>) -> Option<&Provider> {
        let i = self.table_providers.get(r.provider_index)?.rules?;
        self.rules.providers().get(usize::from(i))
    }

    /// The prefix table in use.
    pub fn table(&self) -> &PrefixTable {
        &self.table
    }

    /// Builds the prefix table's look-up index if it was loaded without one
    /// ([`PrefixTable::from_snapshot_unindexed`]).
    pub fn index_table(&mut self) {
        self.table.index();
    }

    /// Replaces the prefix table (after a feed refresh).
    pub fn set_table(&mut self, table: PrefixTable) {
        self.table = table;
        self.map_providers();
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
        let mut out = Vec::new();
        self.ranges_into(ip, &mut out);
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
        // Only a few providers' space is rented out: most records are settled without looking
        // at the service.
        let rents = self
            .table_providers
            .get(r.provider_index)
            .is_some_and(|f| f.rented);
        rents
            && r.service
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
        self.provider_of(r).is_some_and(|p| {
            p.kind == ProviderKind::Cdn || r.service.is_some_and(|s| p.is_edge_service(s))
        })
    }

    /// The profile of one host: its layers derived from the evidence and the current table and
    /// rules, with the sentences behind each layer.
    pub fn classify(&self, ev: &HostEvidence) -> SiteProfile {
        let mut sentences = Vec::new();
        let mut scratch = Vec::new();
        let signals = self.signals_noted(ev, &mut Notes(Some(&mut sentences)));
        let addresses = addresses_of(ev);
        let layers = self.derive(
            ev,
            &addresses,
            &signals,
            &mut Notes(Some(&mut sentences)),
            &mut scratch,
        );
        // The reasons in the stack's order, DNS down to the cloud, each layer's in the order found.
        crate::sort::sort_by_key(&mut sentences, |e| layer_rank(e.layer));
        let resolution = ev.resolution.clone().unwrap_or(if addresses.is_empty() {
            Resolution::NoAddress
        } else {
            Resolution::Ok
        });
        let owned = |s: Option<&str>| s.map(str::to_owned);
        SiteProfile {
            name: ev.name.clone(),
            site: ev.site.clone(),
            addresses,
            cname_chain: ev.cname_chain.clone(),
            dns: DnsLayer {
                provider: layers.dns.map(|p| p.id.clone()),
                product: layers
                    .dns
                    .map(|p| p.dns_name.clone().unwrap_or_else(|| p.name.clone())),
                nameservers: ev.nameservers.clone(),
                also: signals
                    .dns
                    .iter()
                    .skip(1)
                    .filter_map(|i| self.provider_id(*i))
                    .collect(),
                own: signals.own_dns,
                other: signals.dns_other,
            },
            edge: EdgeLayer {
                provider: owned(layers.edge),
                service: owned(layers.edge_service),
                also: layers.edge_also.iter().map(|s| (*s).to_owned()).collect(),
                dns: signals.edge_dns.and_then(|i| self.provider_id(i)),
            },
            hosting: Hosting {
                provider: owned(layers.host),
                region: owned(layers.region),
                service: owned(layers.service),
                prefix: layers.prefix.map(|p| p.to_string()),
                asn: ev.origin.as_ref().and_then(|o| o.asns.first().copied()),
                asn_holder: ev.as_info.as_ref().map(|i| i.holder.clone()),
                platform: owned(layers.platform),
            },
            cloud: owned(layers.cloud),
            confidence: layers.confidence,
            resolution,
            resolved_by: ev.resolved_by,
            ranges_missing: layers.ranges_missing,
            evidence: sentences,
        }
    }

    /// What one host runs on, in brief: the same derivation as [`Classifier::classify`]
    /// without the sentences.
    pub fn brief(&self, ev: &HostEvidence) -> HostClass {
        let mut class = HostClass::default();
        let signals = self.signals(ev);
        let addresses = addresses_of(ev);
        self.brief_into(ev, &addresses, &signals, &mut class, &mut Vec::new());
        class
    }

    /// What the rules alone say of a host (its CNAME and header fingerprints, its name servers):
    /// it does not depend on the IP ranges, so a table change reuses it.
    pub fn signals(&self, ev: &HostEvidence) -> Signals {
        self.signals_noted(ev, &mut Notes(None))
    }

    /// [`Classifier::brief`] written over `class`, reusing its strings, from the host's
    /// `addresses` ([`addresses_of`] the evidence) and `signals` ([`Classifier::signals`] of the
    /// same evidence and rules), with `scratch` for the ranges: cheap enough to redo for every
    /// stored host whenever the table changes (most verdicts stay as they were, and then nothing
    /// is allocated). True when the brief changed.
    pub fn brief_into<'r>(
        &'r self,
        ev: &HostEvidence,
        addresses: &[IpAddr],
        signals: &Signals,
        class: &mut HostClass,
        scratch: &mut Vec<RecordRef<'r>>,
    ) -> bool {
        let layers = self.derive(ev, addresses, signals, &mut Notes(None), scratch);
        let name = |i: &u16| {
            self.rules
                .providers()
                .get(usize::from(*i))
                .map(|p| p.id.as_str())
        };
        let mut changed = set_list(
            &mut class.dns_also,
            signals.dns.iter().skip(1).filter_map(name),
        );
        changed |= set_list(&mut class.edge_also, layers.edge_also.iter().copied());
        changed |= set(
            &mut class.edge_dns,
            signals.edge_dns.as_ref().and_then(name),
        );
        changed |= class.own_dns != signals.own_dns || class.dns_other != signals.dns_other;
        class.own_dns = signals.own_dns;
        class.dns_other = signals.dns_other;
        let resolved = match &ev.resolution {
            Some(r) => *r == Resolution::Ok,
            None => ev.connected_ip.is_some() || !ev.addresses.is_empty(),
        };
        changed |= set(&mut class.cloud, layers.cloud);
        changed |= set(&mut class.hosting, layers.host);
        changed |= set(&mut class.region, layers.region);
        changed |= set(&mut class.edge, layers.edge);
        changed |= set(&mut class.dns, layers.dns.map(|p| p.id.as_str()));
        changed |= class.resolved != resolved || class.at != ev.at;
        class.resolved = resolved;
        class.at = ev.at;
        changed
    }

    /// The rules' signals, each reason handed to `notes`.
    fn signals_noted(&self, ev: &HostEvidence, notes: &mut Notes<'_>) -> Signals {
        let mut edge: Option<&Provider> = None;
        let mut platform: Option<&Provider> = None;
        // CNAME targets and headers name CDNs and platforms that IP ranges cannot see.
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
        let index = |p: Option<&Provider>| p.and_then(|p| self.rules.index_of(&p.id));
        let mut signals = Signals {
            edge: index(edge),
            platform: index(platform),
            ..Signals::default()
        };
        self.dns_operators(ev, &mut signals, notes);
        signals.edge_dns = ev
            .cname_nameservers
            .iter()
            .find_map(|ns| {
                let (p, pattern) = self.rules.by_ns(ns)?;
                notes.add(LayerKind::Edge, || {
                    format!(
                        "the CNAME target's zone is served by NS {ns} ({pattern}): {}",
                        p.dns_name.as_deref().unwrap_or(&p.name)
                    )
                });
                Some(p)
            })
            .and_then(|p| self.rules.index_of(&p.id));
        signals
    }

    /// Who answers the host's zone: every DNS provider its name servers name (in NS order),
    /// whether some are its own (under its own registrable domain: not a third party), and
    /// whether some belong to no provider the rules know.
    fn dns_operators(&self, ev: &HostEvidence, signals: &mut Signals, notes: &mut Notes<'_>) {
        for ns in &ev.nameservers {
            let own = ev
                .site
                .as_deref()
                .is_some_and(|site| self.sites.site_key(ns).is_ok_and(|k| k.as_str() == site));
            if own {
                if !signals.own_dns {
                    notes.add(LayerKind::Dns, || {
                        format!("NS {ns} is under the site's own domain: it runs its own DNS")
                    });
                }
                signals.own_dns = true;
                continue;
            }
            match self.rules.by_ns(ns) {
                Some((p, pattern)) => {
                    let Some(i) = self.rules.index_of(&p.id) else {
                        continue;
                    };
                    if !signals.dns.contains(&i) {
                        signals.dns.push(i);
                        notes.add(LayerKind::Dns, || {
                            format!(
                                "NS {ns} matches {pattern}: {}",
                                p.dns_name.as_deref().unwrap_or(&p.name)
                            )
                        });
                    }
                }
                None => {
                    if !signals.dns_other {
                        notes.add(LayerKind::Dns, || {
                            format!("NS {ns} belongs to no DNS provider the rules know")
                        });
                    }
                    signals.dns_other = true;
                }
            }
        }
    }

    /// The layers the evidence supports under the current table, given the rules' `signals`,
    /// each reason handed to `notes`.
    fn derive<'r>(
        &'r self,
        ev: &HostEvidence,
        addresses: &[IpAddr],
        signals: &Signals,
        notes: &mut Notes<'_>,
        ranges: &mut Vec<RecordRef<'r>>,
    ) -> Layers<'r> {
        let provider = |i: Option<u16>| i.and_then(|i| self.rules.providers().get(usize::from(i)));
        let mut l = Layers::default();
        let mut host_from_ip = false;
        let mut any_public = false;
        for ip in addresses {
            if !is_public(*ip) {
                notes.add(LayerKind::Hosting, || {
                    format!("{ip} is a private or reserved address: not evidence of a provider")
                });
                continue;
            }
            any_public = true;
            self.ranges_into(*ip, ranges);
            let mut owner = None;
            for r in ranges.iter() {
                if self.is_overlay(r) {
                    // An overlay names who may run here, never the host: noted, and its owner
                    // stands in only if nothing else covers the address.
                    owner = owner.or(Some(r));
                    notes.add(LayerKind::Hosting, || {
                        let note = self.overlay_note(r).unwrap_or_default();
                        format!("{ip} is in {}: {note}", r.prefix)
                    });
                    continue;
                }
                let text = || {
                    let what = describe_record(&self.display(r.provider), r);
                    format!(
                        "{ip} is in {}: {what}, {}",
                        r.prefix,
                        self.feed_source(r.provider)
                    )
                };
                if self.is_edge(r) {
                    if l.edge.is_none() {
                        l.edge = Some(r.provider);
                        l.edge_service = r.service;
                        notes.add(LayerKind::Edge, text);
                    } else if l.edge != Some(r.provider) && !l.edge_also.contains(&r.provider) {
                        // Addresses on a second CDN: the site is spread over both.
                        l.edge_also.push(r.provider);
                        notes.add(LayerKind::Edge, text);
                    }
                } else if !host_from_ip {
                    host_from_ip = true;
                    l.host = Some(r.provider);
                    l.region = r.region;
                    l.service = r.service;
                    l.prefix = Some(r.prefix);
                    notes.add(LayerKind::Hosting, text);
                }
            }
            if let Some(r) = owner.filter(|_| !host_from_ip) {
                host_from_ip = true;
                l.host = Some(r.provider);
                l.prefix = Some(r.prefix);
            }
        }
        // No range can match while the table is empty (first start, before the feeds arrive):
        // that is "not known yet", not "unknown".
        l.ranges_missing = any_public && self.table.is_empty();
        if l.ranges_missing {
            notes.add(LayerKind::Hosting, || {
                "the providers' IP ranges are not loaded yet: addresses cannot be placed".to_owned()
            });
        }

        // A CDN seen by name or header fills the edge only where no range did.
        match (l.edge, provider(signals.edge)) {
            (None, p) => l.edge = p.map(|p| p.id.as_str()),
            (Some(e), Some(p)) if e != p.id && !l.edge_also.contains(&p.id.as_str()) => {
                l.edge_also.push(&p.id);
            }
            _ => {}
        }
        let platform = provider(signals.platform);

        l.confidence = if host_from_ip {
            Confidence::High
        } else {
            Confidence::None
        };
        let asn = ev.origin.as_ref().and_then(|o| o.asns.first().copied());
        // A range of the owner narrowed by the origin AS to the part that runs it (overlap
        // rule b, ARCHITECTURE.md): Google's range, AS396982 → Google Cloud.
        if let (true, Some(asn)) = (host_from_ip, asn) {
            if let Some(p) = self.rules.by_asn(asn) {
                if p.parent.is_some() && p.parent.as_deref() == l.host {
                    notes.add(LayerKind::Hosting, || {
                        let holder = ev
                            .as_info
                            .as_ref()
                            .map_or("unknown holder", |i| i.holder.as_str());
                        format!(
                            "origin AS{asn} ({holder}) belongs to {}, inside {}'s range",
                            p.name,
                            self.display(l.host.unwrap_or_default())
                        )
                    });
                    l.host = Some(&p.id);
                }
            }
        }
        if let (false, Some(asn)) = (host_from_ip, asn) {
            let holder = || {
                ev.as_info
                    .as_ref()
                    .map_or("unknown holder", |i| i.holder.as_str())
            };
            match self.rules.by_asn(asn) {
                Some(p) if p.kind == ProviderKind::Cdn => {
                    if l.edge.is_none() {
                        l.edge = Some(&p.id);
                    }
                    notes.add(LayerKind::Edge, || {
                        format!("origin AS{asn} ({}) belongs to {}", holder(), p.name)
                    });
                }
                Some(p) => {
                    l.host = Some(&p.id);
                    l.confidence = Confidence::Medium;
                    notes.add(LayerKind::Hosting, || {
                        format!("origin AS{asn} ({}) belongs to {}", holder(), p.name)
                    });
                }
                None => notes.add(LayerKind::Hosting, || {
                    format!(
                        "origin AS{asn} ({}) is not a provider the rules know",
                        holder()
                    )
                }),
            }
        }
        if let Some(p) = platform {
            if l.host.is_none() {
                l.host = Some(&p.id);
                l.confidence = l.confidence.max(Confidence::Medium);
            } else if l.host != Some(p.id.as_str()) {
                l.platform = Some(&p.id);
            }
        }

        let (cloud, inferred) = self.ultimate_cloud(&l, notes);
        l.cloud = cloud;
        if inferred && l.confidence == Confidence::None {
            l.confidence = Confidence::Low;
        }
        l.dns = provider(signals.dns.first().copied());
        l
    }

    /// The records `ip` falls in, most specific first, into `out` (see [`Classifier::ranges`]).
    fn ranges_into<'r>(&'r self, ip: IpAddr, out: &mut Vec<RecordRef<'r>>) {
        out.clear();
        for r in self.table.lookup(ip) {
            let overlay = self.is_overlay(&r);
            match out.iter_mut().find(|p| {
                p.prefix == r.prefix
                    && p.provider_index == r.provider_index
                    && self.is_overlay(p) == overlay
            }) {
                Some(prev) => {
                    prev.region = prev.region.or(r.region);
                    prev.service = prev.service.or(r.service);
                }
                None => out.push(r),
            }
        }
    }

    /// The base a stack's ultimate cloud is found from: a platform seen beside an IP match is
    /// checked against it; otherwise the host. Never the edge: behind a CDN with no evidence of
    /// the origin, the cloud is unknown ("origin unknown behind Cloudflare"), not the CDN.
    fn cloud_base<'a>(&self, l: &Layers<'a>) -> Option<&'a str> {
        l.platform.filter(|_| l.host.is_none()).or(l.host)
    }

    /// The cloud the stack ultimately runs on, and whether that is an inference through "runs
    /// on" (a chain longer than one).
    fn ultimate_cloud<'r>(
        &'r self,
        l: &Layers<'r>,
        notes: &mut Notes<'_>,
    ) -> (Option<&'r str>, bool) {
        let Some(base) = self.cloud_base(l) else {
            return (None, false);
        };
        let Some(&(last, steps)) = self
            .rules
            .index_of(base)
            .and_then(|i| self.ultimate.get(usize::from(i)))
        else {
            return (Some(base), false);
        };
        let last = self
            .rules
            .providers()
            .get(usize::from(last))
            .map_or(base, |p| p.id.as_str());
        if steps > 0 {
            notes.add(LayerKind::Cloud, || {
                let names: Vec<&str> = self
                    .rules
                    .runs_on_chain(base)
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                format!("{} (runs on, providers.toml)", names.join(" runs on "))
            });
        }
        (Some(last), steps > 0)
    }
}

/// The addresses a host is judged by: the one the browser connected to first (it is what
/// actually served the page), then DNS's, once each.
pub fn addresses_of(ev: &HostEvidence) -> Vec<IpAddr> {
    let mut addresses: Vec<IpAddr> = Vec::with_capacity(ev.addresses.len() + 1);
    for ip in ev.connected_ip.iter().chain(ev.addresses.iter()) {
        if !addresses.contains(ip) {
            addresses.push(*ip);
        }
    }
    addresses
}

/// Where a layer's reasons go in a profile: the stack's order, DNS down to the cloud.
fn layer_rank(layer: LayerKind) -> u8 {
    match layer {
        LayerKind::Resolution => 0,
        LayerKind::Dns => 1,
        LayerKind::Edge => 2,
        LayerKind::Hosting => 3,
        LayerKind::Cloud => 4,
    }
}

/// What the classifier keeps about each of a table's providers.
#[derive(Debug, Clone, Copy)]
struct TableProvider {
    /// Its entry in the rules.
    rules: Option<u16>,
    /// Some of its space is rented out (an overlay list names who may run there).
    rented: bool,
}

/// What the rules alone say of a host, as indices into `Rules::providers` (see
/// [`Classifier::signals`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// A CDN named by a CNAME suffix or a header fingerprint.
    edge: Option<u16>,
    /// A platform (PaaS) named the same way.
    platform: Option<u16>,
    /// Every DNS provider its name servers name, in NS order.
    dns: SmallVec<[u16; 2]>,
    /// Some of its name servers are under its own registrable domain.
    own_dns: bool,
    /// Some of its name servers belong to no provider the rules know.
    dns_other: bool,
    /// The DNS provider of the zone its CNAME chain ends in (a CDN's own DNS).
    edge_dns: Option<u16>,
}

/// Sets `list` to `values`, reusing its buffers when nothing changed; true when it changed.
fn set_list<'a>(list: &mut Vec<String>, values: impl Iterator<Item = &'a str> + Clone) -> bool {
    if list.iter().map(String::as_str).eq(values.clone()) {
        return false;
    }
    list.clear();
    list.extend(values.map(str::to_owned));
    true
}

/// Sets `slot` to `value`, reusing its buffer; true when it changed.
fn set(slot: &mut Option<String>, value: Option<&str>) -> bool {
    match (slot.as_mut(), value) {
        (Some(s), Some(v)) if s == v => false,
        (Some(s), Some(v)) => {
            s.clear();
            s.push_str(v);
            true
        }
        (None, None) => false,
        (_, v) => {
            *slot = v.map(str::to_owned);
            true
        }
    }
}

/// The layers [`Classifier::derive`] finds, borrowed from the table and the rules.
#[derive(Default)]
struct Layers<'r> {
    dns: Option<&'r Provider>,
    edge: Option<&'r str>,
    edge_service: Option<&'r str>,
    host: Option<&'r str>,
    region: Option<&'r str>,
    service: Option<&'r str>,
    prefix: Option<ipnet::IpNet>,
    /// CDNs beyond `edge` (addresses on two CDNs, or a CNAME to another).
    edge_also: SmallVec<[&'r str; 1]>,
    platform: Option<&'r str>,
    cloud: Option<&'r str>,
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
    edge: &mut Option<&'r Provider>,
    platform: &mut Option<&'r Provider>,
    notes: &mut Notes<'_>,
) {
    let layer = if p.kind == ProviderKind::Cdn {
        if edge.is_none() {
            *edge = Some(p);
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
            let mut s = self.display(edge);
            for also in &p.edge.also {
                s.push_str(" + ");
                s.push_str(&self.display(also));
            }
            parts.push(s);
            if p.hosting.provider.is_none() && p.cloud.is_none() {
                // Said as unknown, never guessed: the CDN is not where the site runs.
                parts.push("origin unknown".to_owned());
            }
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
        if let Some(dns) = self.dns_text(&p.dns) {
            line.push_str(" · DNS: ");
            line.push_str(&dns);
        }
        line
    }

    /// "Route 53", "Route 53 + NS1 (redundant)", "own name servers", "Route 53 + own (redundant)";
    /// `None` when nothing is known of the DNS.
    pub fn dns_text(&self, d: &DnsLayer) -> Option<String> {
        let mut names: Vec<String> = d
            .provider
            .iter()
            .map(|id| {
                d.product
                    .clone()
                    .filter(|_| d.provider.as_deref() == Some(id))
                    .unwrap_or_else(|| self.dns_display(id))
            })
            .chain(d.also.iter().map(|id| self.dns_display(id)))
            .collect();
        if d.own {
            names.push("own name servers".to_owned());
        }
        if d.other && !names.is_empty() {
            names.push("another provider".to_owned());
        }
        match names.len() {
            0 => None,
            1 => names.pop(),
            _ => Some(format!("{} (redundant)", names.join(" + "))),
        }
    }

    /// A DNS provider's product name ("Route 53"), else its name.
    fn dns_display(&self, id: &str) -> String {
        self.rules.get(id).map_or_else(
            || id.to_owned(),
            |p| p.dns_name.clone().unwrap_or_else(|| p.name.clone()),
        )
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
