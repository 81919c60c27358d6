//! [`World`]: the worker and the browser around a tracker, in memory, with simulated time.

use std::collections::{BTreeMap, VecDeque};

use hickory_proto::op::{Message, MessageType, OpCode, Query as HQuery, ResponseCode};
use hickory_proto::rr::rdata::{A, CNAME, NS, SOA};
use hickory_proto::rr::{Name, RData as HRData, Record, RecordType};

use crate::dns::QueryType;
use crate::engine::Query;
use crate::evidence::HostEvidence;
use crate::feeds::FeedSet;
use crate::knowledge;
use crate::knowledge::FeedStatus;
use crate::settings::Settings;
use crate::site::SiteKeys;
use crate::site_record::SiteRecord;
use crate::table::PrefixTable;
use crate::tracker::{
    site_of_tab, table_for, Badge, Capabilities, Effect, OpenTab, ProviderStatusMemory, Stored,
    TabId, Tracker, Traffic, TrafficResult,
};
use crate::Millis;

/// Four sites on four providers (by their addresses alone).
pub(crate) const FOUR: [&str; 4] = [
    "www.shop-aws.com",
    "www.shop-gcp.com",
    "www.shop-cf.com",
    "www.shop-az.com",
];

/// The DNS the tests' resolver serves; every other name is NXDOMAIN.
const ZONE: &str = "
www.shop-aws.com. 60 IN A 3.5.140.2
shop-aws.com. 300 IN NS ns-1.awsdns-12.org.
www.shop-gcp.com. 60 IN A 34.80.0.9
www.shop-cf.com. 60 IN A 104.16.1.1
www.shop-az.com. 60 IN A 20.38.0.9
login.idp-aws.com. 60 IN A 3.5.140.3
www.moving.com. 60 IN A 3.5.140.4
www.old-shop.com. 60 IN A 3.5.140.5
";

/// The AWS feed with the Seoul range the tests' AWS sites use.
pub(crate) const AWS_FEED: &str = r#"{"syncToken": "1", "createDate": "2026-08-22-15-17-05", "prefixes": [{"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "EC2", "network_border_group": "ap-northeast-2"}, {"ip_prefix": "52.94.76.0/24", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}], "ipv6_prefixes": []}"#;

/// The same feed, a day later, without that range.
pub(crate) const AWS_FEED_WITHOUT_TOKYO: &str = r#"{"syncToken": "2", "createDate": "2026-08-23-15-17-05", "prefixes": [{"ip_prefix": "52.94.76.0/24", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}], "ipv6_prefixes": []}"#;

/// The feeds the mirror serves, file by file (`=== file` lines start each).
pub(crate) const FEEDS: &str = concat!(
    "=== ip-ranges.json\n",
    r#"{"syncToken": "1", "createDate": "2026-08-22-15-17-05", "prefixes": [{"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "EC2", "network_border_group": "ap-northeast-2"}, {"ip_prefix": "52.94.76.0/24", "region": "us-east-1", "service": "EC2", "network_border_group": "us-east-1"}], "ipv6_prefixes": []}"#,
    "\n=== cloud.json\n",
    r#"{"syncToken": "1", "creationTime": "2026-08-22T00:00:00.0", "prefixes": [{"ipv4Prefix": "34.80.0.0/15", "service": "Google Cloud", "scope": "asia-east1"}]}"#,
    "\n=== ips-v4\n104.16.0.0/13\n",
    "=== ServiceTags_Public.json\n",
    r#"{"changeNumber": 1, "cloud": "Public", "values": [{"name": "AzureCloud.eastus", "id": "AzureCloud.eastus", "properties": {"changeNumber": 1, "region": "eastus", "regionId": 32, "platform": "Azure", "systemService": "", "addressPrefixes": ["20.38.0.0/16"]}}]}"#,
    "\n"
);

/// What `chrome.storage.local` holds, values as JSON text.
#[derive(Debug, Clone, Default)]
pub(crate) struct Store {
    pub(crate) sites: BTreeMap<String, String>,
    pub(crate) hosts: BTreeMap<String, String>,
    pub(crate) pending: Vec<String>,
    pub(crate) feed_status: Option<String>,
    pub(crate) provider_status: Option<String>,
    pub(crate) table: Option<Vec<u8>>,
    pub(crate) feeds_from: Option<Option<String>>,
    pub(crate) refreshing: bool,
}

/// The worker and the browser around a tracker.
pub(crate) struct World {
    pub(crate) t: Tracker,
    pub(crate) store: Store,
    pub(crate) now: Millis,
    settings: Settings,
    /// Queries sent and not answered yet.
    queries: VecDeque<Query>,
    pub(crate) queries_sent: usize,
    pub(crate) site_writes: usize,
    pub(crate) pages_told: usize,
    pub(crate) effects_performed: usize,
    badges: BTreeMap<TabId, Badge>,
    /// The tabs open, with their URLs.
    open: BTreeMap<TabId, String>,
    /// The feeds the mirror serves now (`None`: it has not answered yet).
    mirror: Option<String>,
    refresh_asked: bool,
    /// Stop the worker before performing this effect (counted from install).
    pub(crate) stop_after: Option<usize>,
    pub(crate) stopped: bool,
}

fn settings() -> Settings {
    Settings {
        resolver: "https://127.0.0.1:8443/dns-query".into(),
        // No AS answers in the zone: the addresses alone place the hosts.
        asn_lookups: false,
        ..Settings::default()
    }
}

fn tracker(store: &Store, settings: &Settings, now: Millis) -> Tracker {
    let table = store
        .table
        .as_deref()
        // As the worker wakes: the index is built after the first events (`index_table`).
        .map(|b| PrefixTable::from_snapshot_unindexed(b).unwrap())
        .unwrap_or_else(|| PrefixTable::build(&[], Vec::new()));
    tracker_with(store, settings, now, table)
}

/// The tracker restored from `store` with `table` in its classifier.
fn tracker_with(store: &Store, settings: &Settings, now: Millis, table: PrefixTable) -> Tracker {
    let stored = Stored {
        settings: settings.clone(),
        sites: store
            .sites
            .values()
            .map(|v| serde_json::from_str::<SiteRecord>(v).unwrap())
            .collect(),
        hosts: store
            .hosts
            .values()
            .map(|v| serde_json::from_str::<HostEvidence>(v).unwrap())
            .collect(),
        pending: store.pending.clone(),
        feed_status: store
            .feed_status
            .as_deref()
            .map(|v| serde_json::from_str::<FeedStatus>(v).unwrap())
            .unwrap_or_default(),
        feeds_from: store.feeds_from.clone(),
        provider_status: store
            .provider_status
            .as_deref()
            .map(|v| serde_json::from_str::<ProviderStatusMemory>(v).unwrap())
            .unwrap_or_default(),
        refresh_interrupted: store.refreshing,
        table_complete: true,
    };
    Tracker::restore(
        stored,
        knowledge::classifier(table).unwrap(),
        Capabilities::default(),
        now,
    )
}

impl World {
    /// A fresh install: empty storage, no table, the mirror not answering yet.
    pub(crate) fn install() -> Self {
        let now = 1_800_000_000_000;
        let store = Store::default();
        let settings = settings();
        let mut w = Self {
            t: tracker(&store, &settings, now),
            store,
            now,
            settings,
            queries: VecDeque::new(),
            queries_sent: 0,
            site_writes: 0,
            pages_told: 0,
            effects_performed: 0,
            badges: BTreeMap::new(),
            open: BTreeMap::new(),
            mirror: None,
            refresh_asked: false,
            stop_after: None,
            stopped: false,
        };
        w.perform();
        w
    }

    /// Performs every effect the tracker queued, unless the worker is stopped on the way.
    pub(crate) fn perform(&mut self) {
        while !self.stopped {
            let Some(effect) = self.t.poll_effect() else {
                break;
            };
            if self.stop_after == Some(self.effects_performed) {
                self.stop();
                return;
            }
            self.effects_performed += 1;
            self.apply(effect);
        }
        if !self.stopped && self.refresh_asked && self.mirror.is_some() {
            self.refresh_asked = false;
            self.refresh();
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::Query { query, .. } => {
                self.queries_sent += 1;
                self.queries.push_back(query);
            }
            Effect::BrowserResolve { .. } => panic!("no browser DNS here"),
            Effect::SaveSite(s) => {
                if let Some(r) = self.t.site(&s) {
                    self.store.sites.insert(s, json(r));
                    self.site_writes += 1;
                }
            }
            Effect::SaveHost(h) => {
                if let Some(e) = self.t.host_evidence(&h) {
                    self.store.hosts.insert(h, json(e));
                }
            }
            Effect::SavePending => self.store.pending = self.t.pending(),
            Effect::RemoveSites(list) => {
                for s in list {
                    self.store.sites.remove(&s);
                }
            }
            Effect::RemoveHosts(list) => {
                for h in list {
                    self.store.hosts.remove(&h);
                }
            }
            Effect::SaveFeedStatus => {
                self.store.feed_status = Some(json(self.t.feed_status()));
            }
            Effect::SaveProviderStatus => {
                self.store.provider_status = Some(json(self.t.provider_status()));
            }
            Effect::RemoveProviderStatus => self.store.provider_status = None,
            Effect::Badge { tab, badge } => {
                self.badges.insert(tab, badge);
            }
            Effect::PagesChanged => self.pages_told += 1,
            Effect::RefreshFeeds => self.refresh_asked = true,
            Effect::Notify(_) | Effect::Log { .. } => {}
        }
    }

    /// The worker is stopped: its memory and the queries in flight are gone.
    pub(crate) fn stop(&mut self) {
        self.stopped = true;
        self.stop_after = None;
        self.queries.clear();
    }

    /// If stopped, the next event wakes a new worker: it restores from storage, and 50 ms later
    /// lists the open tabs.
    pub(crate) fn restart_if_stopped(&mut self) {
        if !self.stopped {
            return;
        }
        self.stopped = false;
        self.refresh_asked = false;
        self.t = tracker(&self.store, &self.settings, self.now);
        self.perform();
        self.advance(50);
        let tabs: Vec<OpenTab> = self
            .open
            .iter()
            .map(|(tab, url)| OpenTab {
                tab: *tab,
                url: url.clone(),
                incognito: false,
                complete: true,
            })
            .collect();
        self.t.open_tabs(&tabs, self.now);
        self.perform();
    }

    /// Moves the clock on, doing whatever fell due.
    pub(crate) fn advance(&mut self, ms: Millis) {
        self.now += ms;
        if self.t.poll_timeout().is_some_and(|at| at <= self.now) {
            self.t.handle_timeout(self.now);
            self.perform();
        }
    }

    /// Long enough for every delayed write and page notice.
    pub(crate) fn settle(&mut self) {
        self.advance(1_000);
    }

    /// The user opens `host` in `tab`; the page answers 200.
    pub(crate) fn visit(&mut self, tab: TabId, host: &str, ip: Option<&str>) {
        self.visit_with(tab, host, ip, false);
    }

    /// As [`World::visit`], in an incognito tab or not.
    pub(crate) fn visit_with(&mut self, tab: TabId, host: &str, ip: Option<&str>, incognito: bool) {
        self.restart_if_stopped();
        self.now += 10;
        let url = format!("https://{host}/");
        self.open.insert(tab, url.clone());
        self.t.main_frame_started(&url);
        self.t.on_traffic(
            Traffic {
                tab,
                url,
                kind: "main_frame".into(),
                page_url: None,
                incognito,
                ip: ip.map(|s| s.parse().unwrap()),
                result: TrafficResult::Response {
                    status: Some(200),
                    headers: Vec::new(),
                },
            },
            self.now,
        );
        self.perform();
    }

    /// The page of `page` in `tab` loads a resource of type `kind` from `host`.
    pub(crate) fn load(&mut self, tab: TabId, page: &str, host: &str, kind: &str) {
        self.restart_if_stopped();
        self.now += 1;
        self.t.on_traffic(
            Traffic {
                tab,
                url: format!("https://{host}/r.js?user=secret"),
                kind: kind.into(),
                page_url: Some(format!("https://{page}/")),
                incognito: false,
                ip: None,
                result: TrafficResult::Response {
                    status: Some(200),
                    headers: Vec::new(),
                },
            },
            self.now,
        );
        self.perform();
    }

    /// Answers every query from the zone, and those they lead to, until none is left (or the
    /// worker is stopped).
    pub(crate) fn serve_dns(&mut self) {
        while !self.stopped {
            let Some(q) = self.queries.pop_front() else {
                return;
            };
            self.now += 1;
            let body = answer(&q);
            self.t.answer(q.id, Ok(body), self.now);
            self.perform();
        }
    }

    /// Every query in flight fails with `reason`.
    pub(crate) fn fail_dns(&mut self, reason: &str) {
        while let Some(q) = self.queries.pop_front() {
            self.t.answer(q.id, Err(reason.to_owned()), self.now);
            self.perform();
        }
    }

    /// The mirror starts serving `feeds` and a refresh (asked for at install, or now) runs:
    /// each feed is stored, then the combined table, then the tracker takes it.
    pub(crate) fn feeds_arrive(&mut self, feeds: &str) {
        self.restart_if_stopped();
        self.mirror = Some(feeds.to_owned());
        self.refresh();
    }

    fn refresh(&mut self) {
        let Some(feeds) = self.mirror.clone() else {
            return;
        };
        let Some(plan) = self.t.begin_refresh() else {
            return;
        };
        self.store.refreshing = true;
        self.now += 100;
        let mut set = FeedSet::new();
        for section in feeds.split("=== ").filter(|s| !s.is_empty()) {
            let (file, body) = section.split_once('\n').unwrap();
            let spec = plan.specs.iter().find(|s| s.file == file).unwrap();
            set.apply(spec, body.as_bytes()).unwrap();
        }
        let table = knowledge::build_table(&set, &plan.specs);
        self.store.table = Some(table.to_snapshot());
        let (_, next) = self
            .t
            .refresh_finished(Some(table), Vec::new(), &plan, self.now);
        assert!(next.is_none());
        self.perform();
        if !self.stopped {
            self.store.feeds_from = Some(plan.base.clone());
            self.store.refreshing = false;
        }
    }

    /// The badge of `tab`.
    pub(crate) fn badge(&self, tab: TabId) -> Badge {
        self.badges
            .get(&tab)
            .cloned()
            .unwrap_or_else(|| panic!("tab {tab} has no badge; badges: {:?}", self.badges))
    }

    /// The tracker a worker restores from everything stored now.
    pub(crate) fn restored(&self) -> Tracker {
        tracker(&self.store, &self.settings, self.now)
    }

    /// The tracker a worker woken by a page asking about the tab at `url` restores for its
    /// first answer ([`site_of_tab`]): the settings, that tab's site record, the evidence of the
    /// hosts it uses and the look-ups a stop cut off, and the table's records around those
    /// hosts' addresses ([`table_for`]); nothing else.
    pub(crate) fn restored_for_tab(&self, url: &str) -> Tracker {
        let site = site_of_tab(url, &SiteKeys::builtin(), &self.settings);
        let mut store = Store {
            sites: self.store.sites.clone(),
            hosts: self.store.hosts.clone(),
            pending: self.store.pending.clone(),
            ..Store::default()
        };
        store.sites.retain(|k, _| Some(k) == site.as_ref());
        let used: Vec<String> = store
            .sites
            .values()
            .map(|v| serde_json::from_str::<SiteRecord>(v).unwrap())
            .flat_map(|r| r.hosts_used().map(str::to_owned).collect::<Vec<_>>())
            .collect();
        store.hosts.retain(|h, _| used.contains(h));
        let hosts: Vec<HostEvidence> = store
            .hosts
            .values()
            .map(|v| serde_json::from_str(v).unwrap())
            .collect();
        let snapshot = self.store.table.as_deref().unwrap();
        tracker_with(
            &store,
            &self.settings,
            self.now,
            table_for(snapshot, &hosts).unwrap(),
        )
    }

    /// A site's stored record, as JSON.
    pub(crate) fn stored_site(&self, site: &str) -> serde_json::Value {
        serde_json::from_str(&self.store.sites[site]).unwrap()
    }

    /// A host's stored evidence.
    pub(crate) fn stored_host(&self, host: &str) -> HostEvidence {
        serde_json::from_str(&self.store.hosts[host]).unwrap()
    }
}

/// A stored value's JSON text, as `chrome.storage` keeps it.
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

/// The zone's answer to `q` in RFC 8484 wire format: its records (CNAMEs followed, as a
/// recursive resolver does), NODATA with an SOA for a name without that type, NXDOMAIN for
/// names not in the zone.
fn answer(q: &Query) -> Vec<u8> {
    let lines: Vec<Vec<&str>> = ZONE
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|l| l.len() == 5)
        .collect();
    let owner = |l: &Vec<&str>| l[0].trim_end_matches('.').to_owned();
    let mut msg = Message::new(0, MessageType::Response, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.metadata.recursion_available = true;
    let rtype = match q.qtype {
        QueryType::A => RecordType::A,
        QueryType::Aaaa => RecordType::AAAA,
        QueryType::Cname => RecordType::CNAME,
        QueryType::Ns => RecordType::NS,
        QueryType::Txt => RecordType::TXT,
    };
    msg.add_query(HQuery::query(n(&q.name), rtype));
    let mut name = q.name.clone();
    let mut found = false;
    for _ in 0..8 {
        let here: Vec<&Vec<&str>> = lines.iter().filter(|l| owner(l) == name).collect();
        let mut next = None;
        for l in here {
            let ttl: u32 = l[1].parse().unwrap();
            let data = match (l[3], q.qtype) {
                ("A", QueryType::A) => HRData::A(A(l[4].parse().unwrap())),
                ("NS", QueryType::Ns) => HRData::NS(NS(n(l[4]))),
                ("CNAME", _) => {
                    next = Some(l[4].trim_end_matches('.').to_owned());
                    HRData::CNAME(CNAME(n(l[4])))
                }
                _ => continue,
            };
            found = true;
            msg.add_answer(Record::from_rdata(n(l[0]), ttl, data));
        }
        match next {
            Some(target) => name = target,
            None => break,
        }
    }
    let exists = lines.iter().any(|l| owner(l) == q.name);
    if !found {
        msg.metadata.response_code = if exists {
            ResponseCode::NoError
        } else {
            ResponseCode::NXDomain
        };
        let soa = SOA::new(n("ns.zone."), n("h.zone."), 1, 7200, 3600, 1_209_600, 60);
        msg.add_authority(Record::from_rdata(n("zone."), 60, HRData::SOA(soa)));
    }
    msg.to_vec().unwrap()
}
