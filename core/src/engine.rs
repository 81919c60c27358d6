//! The sans-IO look-up engine: hostnames in, DoH queries out, answers in, [`SiteProfile`]s out.
//!
//! Shaped like `quinn-proto`: the caller drives it with [`Engine::poll_query`],
//! [`Engine::handle_response`] / [`Engine::handle_failure`] and [`Engine::poll_profile`], passing
//! `now` in milliseconds. The engine never sleeps, reads a clock or touches the network, so the
//! browser worker (gloo-net) and the CLI (reqwest) share it. Answers are cached by TTL and a name
//! asked by several look-ups at once is queried once.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::classify::Classifier;
use crate::dns::{self, DnsRecord, QueryType, RData, Rcode};
use crate::evidence::{self, HostEvidence};
use crate::profile::{Resolution, ResolvedBy, SiteProfile};
use crate::site::{HostKind, SiteKey};

use crate::Millis;

/// Identifies one query the engine asked the caller to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueryId(pub u64);

/// Identifies one look-up started with [`Engine::start`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LookupId(pub u64);

/// A DNS query to send over DoH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Pass back with the answer.
    pub id: QueryId,
    /// The name asked.
    pub name: String,
    /// The record type asked.
    pub qtype: QueryType,
    /// The RFC 8484 wire-format message (ID 0, padded).
    pub wire: Vec<u8>,
}

/// Which DoH encoding an answer body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerFormat {
    /// `application/dns-message` (RFC 8484).
    Wire,
    /// `application/dns-json` (Cloudflare / Google JSON API).
    Json,
}

/// What the browser already knows about a hostname.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// The address the browser connected to.
    pub connected_ip: Option<IpAddr>,
    /// Response headers seen.
    pub headers: Vec<(String, String)>,
    /// Addresses the browser's own resolver gave (Firefox `dns.resolve`); when present the
    /// engine does not ask the DoH resolver for A and AAAA.
    pub resolved: Option<BrowserResolution>,
}

/// What a browser's resolver said about a name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowserResolution {
    /// The addresses.
    pub addresses: Vec<IpAddr>,
    /// The canonical name, when it differs from the name asked.
    pub canonical_name: Option<String>,
}

/// Knobs for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Ask Team Cymru for the origin AS of the primary address.
    pub asn_lookups: bool,
    /// Upper bound on how long an answer is cached, in seconds.
    pub max_ttl_secs: u32,
    /// How long NXDOMAIN / NODATA is cached when the answer carries no SOA, in seconds.
    pub negative_ttl_secs: u32,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            asn_lookups: true,
            max_ttl_secs: 86_400,
            negative_ttl_secs: 300,
        }
    }
}

/// Errors starting a look-up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The hostname is not valid.
    #[error("invalid hostname {name:?}: {source}")]
    InvalidHost {
        /// What was given.
        name: String,
        /// Why it is invalid.
        source: crate::site::SiteError,
    },
}

/// What one (name, type) query came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Records {
        chain: Vec<String>,
        records: Vec<DnsRecord>,
    },
    Rcode(Rcode),
    Truncated,
    Failed(String),
}

type Key = (String, QueryType);

#[derive(Debug)]
struct CacheEntry {
    outcome: Outcome,
    expires: Millis,
}

#[derive(Debug)]
struct LookupState {
    name: String,
    site: Option<SiteKey>,
    literal: Option<IpAddr>,
    hints: Hints,
    results: HashMap<Key, Outcome>,
    waiting: HashSet<Key>,
    /// The zone (registrable domain) of the CNAME chain's last name when it is another than
    /// the host's own: whoever serves it (a CDN's own DNS) is a dependency too.
    cname_zone: Option<String>,
}

/// The look-up engine; see the module docs.
#[derive(Debug)]
pub struct Engine {
    classifier: Classifier,
    config: EngineConfig,
    cache: HashMap<Key, CacheEntry>,
    inflight: HashMap<QueryId, Key>,
    waiters: HashMap<Key, Vec<LookupId>>,
    lookups: HashMap<LookupId, LookupState>,
    outbox: VecDeque<Query>,
    done: VecDeque<(LookupId, HostEvidence)>,
    next_query: u64,
    next_lookup: u64,
}

impl Engine {
    /// An engine classifying with `classifier`.
    pub fn new(classifier: Classifier, config: EngineConfig) -> Self {
        Self {
            classifier,
            config,
            cache: HashMap::new(),
            inflight: HashMap::new(),
            waiters: HashMap::new(),
            lookups: HashMap::new(),
            outbox: VecDeque::new(),
            done: VecDeque::new(),
            next_query: 0,
            next_lookup: 0,
        }
    }

    /// The classifier (to swap in a refreshed table, or classify addresses offline).
    pub fn classifier_mut(&mut self) -> &mut Classifier {
        &mut self.classifier
    }

    /// The classifier.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The classifier, the engine given up.
    pub fn into_classifier(self) -> Classifier {
        self.classifier
    }

    /// Changes the configuration for look-ups started from now on.
    pub fn set_config(&mut self, config: EngineConfig) {
        self.config = config;
    }

    /// Number of look-ups not finished yet.
    pub fn pending(&self) -> usize {
        self.lookups.len()
    }

    /// Starts looking up `host` (a hostname or IP literal).
    pub fn start(
        &mut self,
        host: &str,
        hints: Hints,
        now: Millis,
    ) -> Result<LookupId, EngineError> {
        let invalid = |source| EngineError::InvalidHost {
            name: host.to_owned(),
            source,
        };
        let kind = crate::site::normalize_host(host).map_err(invalid)?;
        let site = self.classifier.sites().site_key(host).map_err(invalid)?;
        let (name, literal) = match kind {
            HostKind::Name(h) => (h.as_str().to_owned(), None),
            HostKind::Ip(ip) => (ip.to_string(), Some(ip)),
        };
        let id = LookupId(self.next_lookup);
        self.next_lookup += 1;
        self.lookups.insert(
            id,
            LookupState {
                name,
                site: Some(site),
                literal,
                hints,
                results: HashMap::new(),
                waiting: HashSet::new(),
                cname_zone: None,
            },
        );
        self.advance(id, now);
        Ok(id)
    }

    /// The next query to send, if any.
    pub fn poll_query(&mut self) -> Option<Query> {
        self.outbox.pop_front()
    }

    /// The evidence of the next finished look-up, if any: what is stored, and what every
    /// verdict about the host is derived from.
    pub fn poll_evidence(&mut self) -> Option<(LookupId, HostEvidence)> {
        self.done.pop_front()
    }

    /// The next finished look-up, classified with the current table and rules (for callers
    /// that keep no evidence, such as the CLI).
    pub fn poll_profile(&mut self) -> Option<(LookupId, SiteProfile)> {
        let (id, evidence) = self.done.pop_front()?;
        Some((id, self.classifier.classify(&evidence)))
    }

    /// Feeds the body of a DoH answer to query `id`.
    pub fn handle_response(&mut self, id: QueryId, format: AnswerFormat, body: &[u8], now: Millis) {
        let Some(key) = self.inflight.remove(&id) else {
            return; // late answer to a query already answered or failed: nothing waits for it
        };
        let parsed = match format {
            AnswerFormat::Wire => dns::parse_response(body, &key.0, key.1),
            AnswerFormat::Json => dns::parse_json(body, &key.0, key.1),
        };
        let (outcome, ttl) = match parsed {
            Err(e) => (
                Outcome::Failed(format!("unusable answer for {} {:?}: {e}", key.0, key.1)),
                None,
            ),
            Ok(resp) => self.outcome_of(&resp, &key),
        };
        // A TTL of 0 means "use once, don't cache" (RFC 1035 §3.2.1): such an answer is
        // delivered to the look-ups waiting for it but never stored, so it costs no memory and a
        // later look-up asks again.
        let ttl = ttl
            .map(|t| t.min(self.config.max_ttl_secs))
            .filter(|&t| t > 0);
        if let Some(ttl) = ttl {
            let expires = now.saturating_add(u64::from(ttl) * 1000);
            self.cache.insert(
                key.clone(),
                CacheEntry {
                    outcome: outcome.clone(),
                    expires,
                },
            );
        }
        self.deliver(&key, outcome, now);
    }

    /// Reports that query `id` could not be sent or answered (timeout, network, HTTP status).
    pub fn handle_failure(&mut self, id: QueryId, reason: &str, now: Millis) {
        if let Some(key) = self.inflight.remove(&id) {
            self.deliver(&key, Outcome::Failed(reason.to_owned()), now);
        }
    }

    /// Drops expired cache entries; call now and then to bound memory.
    pub fn expire(&mut self, now: Millis) {
        self.cache.retain(|_, e| e.expires > now);
    }

    /// Forgets every cached answer (the names looked up are browsing history); look-ups under
    /// way go on.
    pub fn clear_cache(&mut self) {
        self.cache.clear();
    }

    /// Number of cached answers.
    pub fn cached(&self) -> usize {
        self.cache.len()
    }

    fn outcome_of(&self, resp: &dns::Response, key: &Key) -> (Outcome, Option<u32>) {
        if resp.rcode != Rcode::NoError {
            let ttl = negative_ttl(resp).unwrap_or(self.config.negative_ttl_secs);
            return (Outcome::Rcode(resp.rcode.clone()), Some(ttl));
        }
        match dns::follow_chain(resp, &key.0, key.1) {
            Ok(res) if res.records.is_empty() && resp.truncated => (Outcome::Truncated, None),
            Ok(res) => {
                let ttl = if res.records.is_empty() {
                    negative_ttl(resp).unwrap_or(self.config.negative_ttl_secs)
                } else {
                    res.min_ttl
                };
                (
                    Outcome::Records {
                        chain: res.chain,
                        records: res.records,
                    },
                    Some(ttl),
                )
            }
            Err(e) => (Outcome::Failed(format!("{} {:?}: {e}", key.0, key.1)), None),
        }
    }

    fn deliver(&mut self, key: &Key, outcome: Outcome, now: Millis) {
        for lookup in self.waiters.remove(key).unwrap_or_default() {
            if let Some(state) = self.lookups.get_mut(&lookup) {
                state.waiting.remove(key);
                state.results.insert(key.clone(), outcome.clone());
                self.advance(lookup, now);
            }
        }
    }

    /// Ensures the look-up has (or awaits) the answer to `key`; true when it is already there.
    fn require(&mut self, lookup: LookupId, key: Key, now: Millis) -> bool {
        let Some(state) = self.lookups.get_mut(&lookup) else {
            return false;
        };
        if state.results.contains_key(&key) {
            return true;
        }
        if state.waiting.contains(&key) {
            return false;
        }
        if let Some(entry) = self.cache.get(&key).filter(|e| e.expires > now) {
            state.results.insert(key, entry.outcome.clone());
            return true;
        }
        state.waiting.insert(key.clone());
        let waiters = self.waiters.entry(key.clone()).or_default();
        let first = waiters.is_empty();
        waiters.push(lookup);
        if first {
            match dns::build_query(&key.0, key.1) {
                Ok(wire) => {
                    let id = QueryId(self.next_query);
                    self.next_query += 1;
                    self.inflight.insert(id, key.clone());
                    self.outbox.push_back(Query {
                        id,
                        name: key.0.clone(),
                        qtype: key.1,
                        wire,
                    });
                }
                Err(e) => {
                    // Cannot be asked at all (e.g. a label too long once a suffix was added).
                    self.waiters.remove(&key);
                    if let Some(state) = self.lookups.get_mut(&lookup) {
                        state.waiting.remove(&key);
                        state.results.insert(key, Outcome::Failed(e.to_string()));
                    }
                    return true;
                }
            }
        }
        false
    }

    /// Asks for whatever the look-up still needs; finishes it when nothing is outstanding.
    fn advance(&mut self, id: LookupId, now: Millis) {
        let Some(state) = self.lookups.get(&id) else {
            return;
        };
        let name = state.name.clone();
        let literal = state.literal;
        // The DNS provider is whoever serves the registrable domain's zone; special-use names
        // (`example.test`) are asked too when the caller chose to look them up at all.
        let ns_zone = match &state.site {
            Some(SiteKey::Domain(d)) => Some(d.clone()),
            Some(SiteKey::Local(d)) if d.contains('.') => Some(d.clone()),
            _ => None,
        };
        let mut ready = true;
        let by_browser = self
            .lookups
            .get(&id)
            .is_some_and(|s| s.hints.resolved.is_some());
        if literal.is_none() && !by_browser {
            for qtype in [QueryType::A, QueryType::Aaaa] {
                ready &= self.require_chain(id, &name, qtype, now);
            }
        }
        if ready {
            // Once the chain is known: who serves the zone it ends in, when not the host's.
            let cname_zone = self.cname_zone(id).filter(|z| Some(z) != ns_zone.as_ref());
            if let Some(state) = self.lookups.get_mut(&id) {
                state.cname_zone.clone_from(&cname_zone);
            }
            if let Some(zone) = cname_zone {
                ready &= self.require(id, (zone, QueryType::Ns), now);
            }
        }
        if let Some(zone) = ns_zone {
            ready &= self.require(id, (zone, QueryType::Ns), now);
        }
        if ready && self.config.asn_lookups {
            if let Some(ip) = self.primary_address(id) {
                if let Some(origin_name) = dns::cymru::cymru_origin_name(ip) {
                    let key = (origin_name, QueryType::Txt);
                    if self.require(id, key.clone(), now) {
                        if let Some(asn) = self
                            .origin_of(id, &key)
                            .and_then(|o| o.asns.first().copied())
                        {
                            ready &= self.require(
                                id,
                                (dns::cymru::cymru_as_name(asn), QueryType::Txt),
                                now,
                            );
                        }
                    } else {
                        ready = false;
                    }
                }
            }
        }
        if ready {
            if let Some(state) = self.lookups.remove(&id) {
                let evidence = self.finish(&state, now);
                self.done.push_back((id, evidence));
            }
        }
    }

    /// Asks for `name`'s `qtype` records and, when an answer stops at a CNAME whose target it
    /// does not include (a stub must then ask again, and some servers answer so), for the
    /// target's; true once the whole chain is answered.
    fn require_chain(&mut self, id: LookupId, name: &str, qtype: QueryType, now: Millis) -> bool {
        let mut current = name.to_owned();
        for _ in 0..=dns::MAX_CNAME_CHAIN {
            if !self.require(id, (current.clone(), qtype), now) {
                return false;
            }
            let Some(state) = self.lookups.get(&id) else {
                return true;
            };
            match continuation(&state.results, &current, qtype) {
                Some(next)
                    if next != name
                        && walk(&state.results, name, qtype).chain.len()
                            <= dns::MAX_CNAME_CHAIN =>
                {
                    current = next;
                }
                _ => return true,
            }
        }
        true
    }

    fn origin_of(&self, id: LookupId, key: &Key) -> Option<dns::cymru::CymruOrigin> {
        let state = self.lookups.get(&id)?;
        txt_of(state.results.get(key)?).find_map(|t| dns::cymru::parse_cymru_origin(t).ok())
    }

    /// The registrable domain of the last name of the host's CNAME chain (as DNS or the
    /// browser gave it), when it has one.
    fn cname_zone(&self, id: LookupId) -> Option<String> {
        let state = self.lookups.get(&id)?;
        let last = [QueryType::A, QueryType::Aaaa]
            .into_iter()
            .filter_map(|t| walk(&state.results, &state.name, t).chain.pop())
            .next()
            .or_else(|| {
                state
                    .hints
                    .resolved
                    .as_ref()
                    .and_then(|r| r.canonical_name.clone())
                    .filter(|c| *c != state.name)
            })?;
        match self.classifier.sites().site_key(&last).ok()? {
            SiteKey::Domain(d) => Some(d),
            _ => None,
        }
    }

    /// The address whose AS is asked: the one the browser used, else the first resolved.
    fn primary_address(&self, id: LookupId) -> Option<IpAddr> {
        let state = self.lookups.get(&id)?;
        let resolved = [QueryType::A, QueryType::Aaaa]
            .into_iter()
            .flat_map(|t| walk(&state.results, &state.name, t).addresses);
        let by_browser = state
            .hints
            .resolved
            .iter()
            .flat_map(|r| r.addresses.iter().copied());
        state
            .hints
            .connected_ip
            .into_iter()
            .chain(state.literal)
            .chain(by_browser)
            .chain(resolved)
            .find(|ip| dns::addr::is_public(*ip))
    }

    fn finish(&self, state: &LookupState, now: Millis) -> HostEvidence {
        let mut obs = HostEvidence {
            name: state.name.clone(),
            site: state.site.as_ref().map(ToString::to_string),
            at: now,
            connected_ip: state.hints.connected_ip,
            headers: evidence::fingerprint_headers(self.classifier.rules(), &state.hints.headers),
            ..HostEvidence::default()
        };
        obs.addresses.extend(state.literal);
        obs.resolved_by = if state.literal.is_some() {
            ResolvedBy::Literal
        } else if state.hints.resolved.is_some() {
            ResolvedBy::Browser
        } else {
            ResolvedBy::Doh
        };
        if let Some(r) = &state.hints.resolved {
            obs.addresses.extend(r.addresses.iter().copied());
            if let Some(c) = r.canonical_name.as_ref().filter(|c| **c != state.name) {
                obs.cname_chain.push(c.clone());
            }
        }
        let mut failures = Vec::new();
        let mut rcodes = Vec::new();
        let mut truncated = false;
        for qtype in [QueryType::A, QueryType::Aaaa] {
            let w = walk(&state.results, &state.name, qtype);
            if obs.cname_chain.len() < w.chain.len() {
                obs.cname_chain = w.chain;
            }
            obs.addresses.extend(w.addresses);
            if let Some(ttl) = w.min_ttl {
                obs.ttl = Some(obs.ttl.map_or(ttl, |t| t.min(ttl)));
            }
            match w.end {
                Some(Outcome::Rcode(r)) => rcodes.push(r),
                Some(Outcome::Truncated) => truncated = true,
                Some(Outcome::Failed(e)) => failures.push(e),
                _ => {}
            }
        }
        for (key, outcome) in &state.results {
            match (key.1, outcome) {
                (QueryType::Ns, Outcome::Records { records, .. }) => {
                    let mut names: Vec<String> = records
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::Ns(n) => Some(n.clone()),
                            _ => None,
                        })
                        .collect();
                    crate::sort::sort_by(&mut names, Ord::cmp);
                    if state.cname_zone.as_deref() == Some(key.0.as_str()) {
                        obs.cname_nameservers = names;
                    } else {
                        obs.nameservers = names;
                    }
                }
                (QueryType::Txt, o) => {
                    for t in txt_of(o) {
                        if let Ok(origin) = dns::cymru::parse_cymru_origin(t) {
                            obs.origin = Some(Box::new(origin));
                        } else if let Ok(info) = dns::cymru::parse_cymru_as(t) {
                            obs.as_info = Some(Box::new(info));
                        }
                    }
                }
                _ => {}
            }
        }
        obs.resolution = Some(if state.literal.is_some() || !obs.addresses.is_empty() {
            Resolution::Ok
        } else if let Some(e) = failures.first() {
            Resolution::ResolverError(e.clone())
        } else if rcodes.contains(&Rcode::NxDomain) {
            Resolution::NxDomain
        } else if rcodes.contains(&Rcode::ServFail) {
            Resolution::ServFail
        } else if rcodes.contains(&Rcode::Refused) {
            Resolution::Refused
        } else if truncated {
            Resolution::Truncated
        } else if let Some(r) = rcodes.first() {
            Resolution::ResolverError(format!("resolver answered {r:?}"))
        } else {
            Resolution::NoAddress
        });
        obs
    }
}

/// What the results say about one name and type, CNAME chain followed across answers.
struct Walk {
    chain: Vec<String>,
    addresses: Vec<IpAddr>,
    /// The smallest TTL of the address records found.
    min_ttl: Option<u32>,
    /// The outcome where the walk stopped when it was not records.
    end: Option<Outcome>,
}

/// The target an answer for `name` points to without answering for it.
fn continuation(results: &HashMap<Key, Outcome>, name: &str, qtype: QueryType) -> Option<String> {
    match results.get(&(name.to_owned(), qtype))? {
        Outcome::Records { chain, records } if records.is_empty() => chain.last().cloned(),
        _ => None,
    }
}

fn walk(results: &HashMap<Key, Outcome>, name: &str, qtype: QueryType) -> Walk {
    let mut w = Walk {
        chain: Vec::new(),
        addresses: Vec::new(),
        min_ttl: None,
        end: None,
    };
    let mut current = name.to_owned();
    loop {
        match results.get(&(current.clone(), qtype)) {
            Some(Outcome::Records { chain, records }) => {
                for link in chain {
                    // A loop across answers ends the walk (one answer's loops are caught by
                    // `follow_chain`).
                    if link == name
                        || w.chain.contains(link)
                        || w.chain.len() >= dns::MAX_CNAME_CHAIN
                    {
                        return w;
                    }
                    w.chain.push(link.clone());
                }
                for r in records {
                    let ip = match r.data {
                        RData::A(a) => IpAddr::V4(a),
                        RData::Aaaa(a) => IpAddr::V6(a),
                        _ => continue,
                    };
                    w.addresses.push(ip);
                    w.min_ttl = Some(w.min_ttl.map_or(r.ttl, |t| t.min(r.ttl)));
                }
                match chain.last() {
                    Some(next) if records.is_empty() => current = next.clone(),
                    _ => return w,
                }
            }
            other => {
                w.end = other.cloned();
                return w;
            }
        }
    }
}

fn txt_of(o: &Outcome) -> impl Iterator<Item = &str> + '_ {
    let records = match o {
        Outcome::Records { records, .. } => records.as_slice(),
        _ => &[],
    };
    records.iter().filter_map(|r| match &r.data {
        RData::Txt(t) => Some(t.as_str()),
        _ => None,
    })
}

/// RFC 2308: a negative answer is cached for min(SOA TTL, SOA MINIMUM).
fn negative_ttl(resp: &dns::Response) -> Option<u32> {
    resp.authority.iter().find_map(|r| match &r.data {
        RData::Soa { minimum, .. } => Some(r.ttl.min(*minimum)),
        _ => None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::knowledge;
    use crate::profile::ResolvedBy;
    use hickory_proto::op::{Message, MessageType, OpCode, Query as HQuery, ResponseCode};
    use hickory_proto::rr::rdata::{A, CNAME, NS, SOA, TXT};
    use hickory_proto::rr::{Name, RData as HRData, Record, RecordType};

    const AWS: &str = r#"{"syncToken":"1","createDate":"2026-08-22-15-17-05","prefixes":[{"ip_prefix":"3.5.140.0/22","region":"ap-northeast-2","network_border_group":"ap-northeast-2","service":"EC2"}],"ipv6_prefixes":[]}"#;

    fn engine(asn: bool) -> Engine {
        let rules = crate::rules::Rules::builtin().unwrap();
        let specs = knowledge::feed_specs(&rules).unwrap();
        let mut set = crate::feeds::FeedSet::new();
        let spec = specs.iter().find(|s| s.file == "ip-ranges.json").unwrap();
        set.apply(spec, AWS.as_bytes()).unwrap();
        let table = knowledge::build_table(&set, &specs);
        Engine::new(
            knowledge::classifier(table).unwrap(),
            EngineConfig {
                asn_lookups: asn,
                ..EngineConfig::default()
            },
        )
    }

    fn qtype(t: QueryType) -> RecordType {
        match t {
            QueryType::A => RecordType::A,
            QueryType::Aaaa => RecordType::AAAA,
            QueryType::Cname => RecordType::CNAME,
            QueryType::Ns => RecordType::NS,
            QueryType::Txt => RecordType::TXT,
        }
    }

    fn n(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    /// A wire answer to `q` (ID 0, as RFC 8484 asks).
    fn answer(q: &Query, rcode: ResponseCode, records: Vec<Record>) -> Vec<u8> {
        let mut msg = Message::new(0, MessageType::Response, OpCode::Query);
        msg.metadata.recursion_desired = true;
        msg.metadata.recursion_available = true;
        msg.metadata.response_code = rcode;
        msg.add_query(HQuery::query(n(&q.name), qtype(q.qtype)));
        for r in records {
            if matches!(r.data, HRData::SOA(_)) {
                msg.add_authority(r);
            } else {
                msg.add_answer(r);
            }
        }
        msg.to_vec().unwrap()
    }

    fn a(owner: &str, ttl: u32, ip: [u8; 4]) -> Record {
        Record::from_rdata(n(owner), ttl, HRData::A(A::new(ip[0], ip[1], ip[2], ip[3])))
    }

    fn cname(owner: &str, ttl: u32, target: &str) -> Record {
        Record::from_rdata(n(owner), ttl, HRData::CNAME(CNAME(n(target))))
    }

    fn ns(zone: &str, server: &str) -> Record {
        Record::from_rdata(n(zone), 300, HRData::NS(NS(n(server))))
    }

    fn txt(owner: &str, text: &str) -> Record {
        Record::from_rdata(n(owner), 300, HRData::TXT(TXT::new(vec![text.into()])))
    }

    fn soa(zone: &str, minimum: u32) -> Record {
        let data = SOA::new(
            n("ns1.example.net."),
            n("h.example.net."),
            1,
            7200,
            3600,
            1_209_600,
            minimum,
        );
        Record::from_rdata(n(zone), 900, HRData::SOA(data))
    }

    fn drain(e: &mut Engine) -> Vec<Query> {
        std::iter::from_fn(|| e.poll_query()).collect()
    }

    /// Answers every query from a small zone until the engine is quiet.
    fn serve(
        e: &mut Engine,
        now: Millis,
        zone: &dyn Fn(&Query) -> (ResponseCode, Vec<Record>),
    ) -> usize {
        let mut sent = 0;
        loop {
            let qs = drain(e);
            if qs.is_empty() {
                return sent;
            }
            for q in qs {
                sent += 1;
                let (rc, recs) = zone(&q);
                e.handle_response(q.id, AnswerFormat::Wire, &answer(&q, rc, recs), now);
            }
        }
    }

    fn example_zone(q: &Query) -> (ResponseCode, Vec<Record>) {
        match (q.name.to_ascii_lowercase().as_str(), q.qtype) {
            ("www.example.com", QueryType::A) => (
                ResponseCode::NoError,
                vec![a("www.example.com.", 60, [3, 5, 140, 2])],
            ),
            ("example.com", QueryType::Ns) => (
                ResponseCode::NoError,
                vec![ns("example.com.", "ns-1.awsdns-12.org.")],
            ),
            ("2.140.5.3.origin.asn.cymru.com", QueryType::Txt) => (
                ResponseCode::NoError,
                vec![txt(
                    "2.140.5.3.origin.asn.cymru.com.",
                    "16509 | 3.5.140.0/22 | KR | apnic | 2018-01-01",
                )],
            ),
            ("as16509.asn.cymru.com", QueryType::Txt) => (
                ResponseCode::NoError,
                vec![txt(
                    "as16509.asn.cymru.com.",
                    "16509 | US | arin | 2000-05-04 | AMAZON-02, US",
                )],
            ),
            _ => (ResponseCode::NoError, vec![soa(&q.name, 60)]),
        }
    }

    #[test]
    fn a_look_up_asks_addresses_ns_then_the_as_and_classifies() {
        let mut e = engine(true);
        let id = e
            .start("WWW.Example.com.", Hints::default(), 1_000)
            .unwrap();
        let first: Vec<(String, QueryType)> = drain(&mut e)
            .into_iter()
            .map(|q| (q.name, q.qtype))
            .collect();
        assert_eq!(
            first,
            vec![
                ("www.example.com".into(), QueryType::A),
                ("www.example.com".into(), QueryType::Aaaa),
                ("example.com".into(), QueryType::Ns)
            ]
        );
        // Re-issue them (drain consumed them) through a fresh engine so every answer is served.
        let mut e = engine(true);
        let id2 = e.start("www.example.com", Hints::default(), 1_000).unwrap();
        assert_eq!(id, id2);
        let sent = serve(&mut e, 1_000, &example_zone);
        assert_eq!(sent, 5, "A, AAAA, NS, origin TXT, AS TXT");
        let (done, p) = e.poll_profile().unwrap();
        assert_eq!(done, id2);
        assert_eq!(p.hosting.provider.as_deref(), Some("aws"));
        assert_eq!(p.hosting.region.as_deref(), Some("ap-northeast-2"));
        assert_eq!(p.hosting.asn, Some(16509));
        assert_eq!(p.hosting.asn_holder.as_deref(), Some("AMAZON-02, US"));
        assert_eq!(p.dns.provider.as_deref(), Some("aws"));
        assert_eq!(p.resolution, Resolution::Ok);
        assert_eq!(p.resolved_by, ResolvedBy::Doh);
        assert!(e.poll_profile().is_none());
        assert_eq!(e.pending(), 0);
    }

    #[test]
    fn zero_ttl_answers_are_used_but_never_cached() {
        let mut e = engine(false);
        let id = e.start("zero.example.com", Hints::default(), 0).unwrap();
        let sent = serve(&mut e, 0, &|q: &Query| match q.qtype {
            QueryType::A => (
                ResponseCode::NoError,
                vec![a("zero.example.com.", 0, [3, 5, 140, 2])],
            ),
            // A negative answer whose SOA says 0 as well.
            _ => (ResponseCode::NoError, vec![soa("example.com.", 0)]),
        });
        assert_eq!(sent, 3);
        let (done, p) = e.poll_profile().unwrap();
        assert_eq!(done, id);
        // The 0-TTL address was used…
        assert_eq!(p.hosting.provider.as_deref(), Some("aws"));
        // …but nothing was stored, and the same look-up at the same instant asks again.
        assert!(
            e.cache.is_empty(),
            "{:?}",
            e.cache.keys().collect::<Vec<_>>()
        );
        e.start("zero.example.com", Hints::default(), 0).unwrap();
        assert_eq!(drain(&mut e).len(), 3);
    }

    #[test]
    fn answers_are_cached_by_ttl_and_shared_by_concurrent_look_ups() {
        let mut e = engine(false);
        e.start("www.example.com", Hints::default(), 0).unwrap();
        e.start("www.example.com", Hints::default(), 0).unwrap();
        let sent = serve(&mut e, 0, &example_zone);
        assert_eq!(sent, 3, "one A, AAAA and NS for both look-ups");
        assert_eq!(std::iter::from_fn(|| e.poll_profile()).count(), 2);
        // Within the TTLs (A 60 s, NS 300 s; negative AAAA: SOA minimum 60 s): no query at all.
        e.start("www.example.com", Hints::default(), 59_000)
            .unwrap();
        assert!(drain(&mut e).is_empty());
        assert!(e.poll_profile().is_some());
        // After 60 s the A and AAAA answers expired, the NS one did not.
        e.start("www.example.com", Hints::default(), 61_000)
            .unwrap();
        let again: Vec<QueryType> = drain(&mut e).into_iter().map(|q| q.qtype).collect();
        assert_eq!(again, vec![QueryType::A, QueryType::Aaaa]);
    }

    #[test]
    fn rcodes_and_failures_are_distinct_outcomes() {
        for (rc, want) in [
            (ResponseCode::NXDomain, Resolution::NxDomain),
            (ResponseCode::ServFail, Resolution::ServFail),
            (ResponseCode::Refused, Resolution::Refused),
        ] {
            let mut e = engine(false);
            e.start("gone.example.com", Hints::default(), 0).unwrap();
            serve(&mut e, 0, &|q| (rc, vec![soa(&q.name, 30)]));
            assert_eq!(e.poll_profile().unwrap().1.resolution, want);
        }
        let mut e = engine(false);
        e.start("www.example.com", Hints::default(), 0).unwrap();
        for q in drain(&mut e) {
            e.handle_failure(q.id, "resolver unreachable: connection refused", 0);
        }
        let p = e.poll_profile().unwrap().1;
        assert_eq!(
            p.resolution,
            Resolution::ResolverError("resolver unreachable: connection refused".into())
        );
        assert_eq!(p.hosting.provider, None);
        // Failures are not cached: the next look-up asks again.
        e.start("www.example.com", Hints::default(), 1).unwrap();
        assert_eq!(drain(&mut e).len(), 3);
    }

    #[test]
    fn malformed_answers_fail_the_query_not_the_engine() {
        let mut e = engine(false);
        e.start("www.example.com", Hints::default(), 0).unwrap();
        for q in drain(&mut e) {
            e.handle_response(q.id, AnswerFormat::Wire, &[0xde, 0xad], 0);
        }
        let p = e.poll_profile().unwrap().1;
        assert!(
            matches!(p.resolution, Resolution::ResolverError(_)),
            "{:?}",
            p.resolution
        );
        // A late or unknown answer is ignored.
        e.handle_response(QueryId(999), AnswerFormat::Wire, &[], 0);
        assert!(e.poll_profile().is_none());
    }

    #[test]
    fn a_cname_answered_alone_is_followed_with_a_new_query() {
        let mut e = engine(false);
        e.start("www.shop.com", Hints::default(), 0).unwrap();
        serve(&mut e, 0, &|q| match (q.name.as_str(), q.qtype) {
            ("www.shop.com", QueryType::A | QueryType::Aaaa) => (
                ResponseCode::NoError,
                vec![cname("www.shop.com.", 60, "shop.cdn.cloudflare.net.")],
            ),
            ("shop.cdn.cloudflare.net", QueryType::A) => (
                ResponseCode::NoError,
                vec![a("shop.cdn.cloudflare.net.", 60, [104, 16, 1, 1])],
            ),
            (name, _) => (ResponseCode::NoError, vec![soa(name, 60)]),
        });
        let p = e.poll_profile().unwrap().1;
        assert_eq!(p.cname_chain, vec!["shop.cdn.cloudflare.net".to_owned()]);
        assert_eq!(p.addresses, vec!["104.16.1.1".parse::<IpAddr>().unwrap()]);
        assert_eq!(
            p.edge.provider.as_deref(),
            Some("cloudflare"),
            "the CNAME suffix names the CDN"
        );
    }

    #[test]
    fn a_cname_loop_across_answers_ends() {
        let mut e = engine(false);
        e.start("a.loop.com", Hints::default(), 0).unwrap();
        let sent = serve(&mut e, 0, &|q| {
            let next = if q.name.starts_with("a.") {
                "b.loop.com."
            } else {
                "a.loop.com."
            };
            (ResponseCode::NoError, vec![cname(&q.name, 60, next)])
        });
        assert!(sent < 10, "{sent} queries");
        let p = e.poll_profile().unwrap().1;
        assert_eq!(p.resolution, Resolution::NoAddress);
    }

    #[test]
    fn private_addresses_are_never_sent_to_team_cymru() {
        let mut e = engine(true);
        e.start("intranet.example.com", Hints::default(), 0)
            .unwrap();
        let mut asked = Vec::new();
        loop {
            let qs = drain(&mut e);
            if qs.is_empty() {
                break;
            }
            for q in qs {
                asked.push(q.name.clone());
                let recs = match q.qtype {
                    QueryType::A => vec![a("intranet.example.com.", 60, [10, 1, 2, 3])],
                    _ => vec![soa(&q.name, 60)],
                };
                e.handle_response(
                    q.id,
                    AnswerFormat::Wire,
                    &answer(&q, ResponseCode::NoError, recs),
                    0,
                );
            }
        }
        assert!(asked.iter().all(|n| !n.contains("cymru")), "{asked:?}");
        let p = e.poll_profile().unwrap().1;
        assert_eq!(p.hosting.provider, None);
    }

    #[test]
    fn addresses_from_the_browser_resolver_skip_the_address_queries() {
        let mut e = engine(false);
        let hints = Hints {
            resolved: Some(BrowserResolution {
                addresses: vec!["3.5.140.9".parse().unwrap()],
                canonical_name: Some("edge.example.net".into()),
            }),
            ..Hints::default()
        };
        e.start("www.example.com", hints, 0).unwrap();
        let qs = drain(&mut e);
        let asked: Vec<(&str, QueryType)> = qs.iter().map(|q| (q.name.as_str(), q.qtype)).collect();
        assert_eq!(
            asked,
            vec![
                ("example.net", QueryType::Ns),
                ("example.com", QueryType::Ns)
            ],
            "only the DNS providers (the site's, its CNAME target's) are asked over DoH"
        );
        for q in qs {
            e.handle_failure(q.id, "offline", 0);
        }
        let p = e.poll_profile().unwrap().1;
        assert_eq!(p.resolved_by, ResolvedBy::Browser);
        assert_eq!(p.hosting.provider.as_deref(), Some("aws"));
        assert_eq!(p.cname_chain, vec!["edge.example.net".to_owned()]);
        assert_eq!(p.resolution, Resolution::Ok);
    }

    #[test]
    fn the_zone_a_cname_chain_ends_in_is_asked_for_its_name_servers() {
        let mut e = engine(false);
        e.start("www.shop.com", Hints::default(), 0).unwrap();
        let mut asked = Vec::new();
        loop {
            let qs = drain(&mut e);
            if qs.is_empty() {
                break;
            }
            for q in qs {
                asked.push((q.name.clone(), q.qtype));
                let recs = match (q.name.as_str(), q.qtype) {
                    ("www.shop.com", QueryType::A) => {
                        vec![cname("www.shop.com.", 60, "shop.global.fastly.net.")]
                    }
                    ("shop.global.fastly.net", QueryType::A) => {
                        vec![a("shop.global.fastly.net.", 60, [151, 101, 1, 1])]
                    }
                    ("fastly.net", QueryType::Ns) => vec![ns("fastly.net.", "ns1.awsdns-01.org.")],
                    ("shop.com", QueryType::Ns) => vec![ns("shop.com.", "ns1.shop.com.")],
                    (name, _) => vec![soa(name, 60)],
                };
                e.handle_response(
                    q.id,
                    AnswerFormat::Wire,
                    &answer(&q, ResponseCode::NoError, recs),
                    0,
                );
            }
        }
        assert!(
            asked.contains(&("fastly.net".to_owned(), QueryType::Ns)),
            "{asked:?}"
        );
        let (_, ev) = e.poll_evidence().unwrap();
        assert_eq!(ev.nameservers, ["ns1.shop.com"]);
        assert_eq!(ev.cname_nameservers, ["ns1.awsdns-01.org"]);
        let p = e.classifier().classify(&ev);
        assert_eq!(p.edge.dns.as_deref(), Some("aws"), "the CDN's own DNS");
        assert!(p.dns.own, "the site runs its own name servers");
        assert_eq!(p.dns.provider, None);
    }

    #[test]
    fn ip_literals_need_no_dns_and_invalid_names_are_refused() {
        let mut e = engine(false);
        e.start("3.5.140.2", Hints::default(), 0).unwrap();
        assert!(drain(&mut e).is_empty());
        let p = e.poll_profile().unwrap().1;
        assert_eq!(p.resolved_by, ResolvedBy::Literal);
        assert_eq!(p.hosting.provider.as_deref(), Some("aws"));
        assert!(e.start("bad name", Hints::default(), 0).is_err());
        assert!(e.start(&"a".repeat(300), Hints::default(), 0).is_err());
    }
}
