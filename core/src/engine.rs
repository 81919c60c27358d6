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

use crate::classify::{Classifier, Observation};
use crate::dns::{self, DnsRecord, QueryType, RData, Rcode};
use crate::profile::{Resolution, SiteProfile};
use crate::site::{HostKind, SiteKey};

/// Milliseconds since the Unix epoch, supplied by the caller.
pub type Millis = u64;

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
    done: VecDeque<(LookupId, SiteProfile)>,
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
            },
        );
        self.advance(id, now);
        Ok(id)
    }

    /// The next query to send, if any.
    pub fn poll_query(&mut self) -> Option<Query> {
        self.outbox.pop_front()
    }

    /// The next finished profile, if any.
    pub fn poll_profile(&mut self) -> Option<(LookupId, SiteProfile)> {
        self.done.pop_front()
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
        if let Some(ttl) = ttl {
            let expires = now.saturating_add(u64::from(ttl.min(self.config.max_ttl_secs)) * 1000);
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
        if literal.is_none() {
            for qtype in [QueryType::A, QueryType::Aaaa] {
                ready &= self.require_chain(id, &name, qtype, now);
            }
        }
        if let Some(zone) = ns_zone {
            ready &= self.require(id, (zone, QueryType::Ns), now);
        }
        if ready && self.config.asn_lookups {
            if let Some(ip) = self.primary_address(id) {
                if let Some(origin_name) = dns::cymru_origin_name(ip) {
                    let key = (origin_name, QueryType::Txt);
                    if self.require(id, key.clone(), now) {
                        if let Some(asn) = self
                            .origin_of(id, &key)
                            .and_then(|o| o.asns.first().copied())
                        {
                            ready &=
                                self.require(id, (dns::cymru_as_name(asn), QueryType::Txt), now);
                        }
                    } else {
                        ready = false;
                    }
                }
            }
        }
        if ready {
            if let Some(state) = self.lookups.remove(&id) {
                let profile = self.finish(&state);
                self.done.push_back((id, profile));
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

    fn origin_of(&self, id: LookupId, key: &Key) -> Option<dns::CymruOrigin> {
        let state = self.lookups.get(&id)?;
        txt_of(state.results.get(key)?).find_map(|t| dns::parse_cymru_origin(t).ok())
    }

    /// The address whose AS is asked: the one the browser used, else the first resolved.
    fn primary_address(&self, id: LookupId) -> Option<IpAddr> {
        let state = self.lookups.get(&id)?;
        let resolved = [QueryType::A, QueryType::Aaaa]
            .into_iter()
            .flat_map(|t| walk(&state.results, &state.name, t).addresses);
        state
            .hints
            .connected_ip
            .into_iter()
            .chain(state.literal)
            .chain(resolved)
            .find(|ip| dns::is_public(*ip))
    }

    fn finish(&self, state: &LookupState) -> SiteProfile {
        let mut obs = Observation {
            name: state.name.clone(),
            site: state.site.as_ref().map(ToString::to_string),
            connected_ip: state.hints.connected_ip,
            headers: state.hints.headers.clone(),
            ..Observation::default()
        };
        obs.addresses.extend(state.literal);
        let mut failures = Vec::new();
        let mut rcodes = Vec::new();
        let mut truncated = false;
        for qtype in [QueryType::A, QueryType::Aaaa] {
            let w = walk(&state.results, &state.name, qtype);
            if obs.cname_chain.len() < w.chain.len() {
                obs.cname_chain = w.chain;
            }
            obs.addresses.extend(w.addresses);
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
                    obs.nameservers = records
                        .iter()
                        .filter_map(|r| match &r.data {
                            RData::Ns(n) => Some(n.clone()),
                            _ => None,
                        })
                        .collect();
                    obs.nameservers.sort();
                }
                (QueryType::Txt, o) => {
                    for t in txt_of(o) {
                        if let Ok(origin) = dns::parse_cymru_origin(t) {
                            obs.origin = Some(origin);
                        } else if let Ok(info) = dns::parse_cymru_as(t) {
                            obs.as_info = Some(info);
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
        self.classifier.classify(&obs)
    }
}

/// What the results say about one name and type, CNAME chain followed across answers.
struct Walk {
    chain: Vec<String>,
    addresses: Vec<IpAddr>,
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
                w.addresses
                    .extend(records.iter().filter_map(|r| match r.data {
                        RData::A(a) => Some(IpAddr::V4(a)),
                        RData::Aaaa(a) => Some(IpAddr::V6(a)),
                        _ => None,
                    }));
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
