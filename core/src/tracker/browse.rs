//! Browser events: the requests a tab's pages make and how they end, and the tabs themselves.

use std::net::IpAddr;

use crate::deps::{is_critical_type, ClassOf, DepOutcome};
use crate::engine::Hints;
use crate::health::errors::{Observation, Verdict};
use crate::settings::Settings;
use crate::site::{host_of_url, origin_of_url, SiteKey, SiteKeys};
use crate::site_record::SiteRecord;
use crate::Millis;

use super::{Badge, TabId, TabState, Tracker, EVIDENCE_MAX_AGE_MS, RESUME_UNPROFILED};

/// A request of a tab, as webRequest reported its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    /// The tab (negative: no tab, such as the worker's own fetches; never observed).
    pub tab: TabId,
    /// The request's URL (only its host and, for pages, its origin are kept).
    pub url: String,
    /// The webRequest resource type (`main_frame`, `script`, `image`…).
    pub kind: String,
    /// The URL (or origin) of the page that made the request, for sub-resources.
    pub page_url: Option<String>,
    /// Whether the tab is incognito.
    pub incognito: bool,
    /// The address the browser connected to.
    pub ip: Option<IpAddr>,
    /// How it ended.
    pub result: TrafficResult,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrafficResult {
    /// A response started.
    Response {
        /// Its HTTP status (none for some cached responses).
        status: Option<u16>,
        /// Its headers.
        headers: Vec<(String, String)>,
    },
    /// The request failed (`net::ERR_CONNECTION_REFUSED`…).
    Error(String),
}

/// A tab as the browser describes it: open when the worker started, or done loading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTab {
    /// The tab.
    pub tab: TabId,
    /// Its URL.
    pub url: String,
    /// Whether it is incognito.
    pub incognito: bool,
    /// Whether it is done loading.
    pub complete: bool,
}

/// How an observed request relates to the user's sites.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// The page itself (a main-frame request) of this site.
    Page(String),
    /// A request of this site's page to one of the site's own hosts (`api.`, `cdn.`…).
    Own(String),
    /// A request of this site's page to another site's host (whose site key is `dep_site`).
    ThirdParty {
        /// The site whose page made the request.
        site: String,
        /// The requested host's own site key.
        dep_site: String,
    },
}

/// [`Tracker::site_for`], before a tracker exists ([`site_of_tab`](super::site_of_tab)).
pub(super) fn site_for(keys: &SiteKeys, settings: &Settings, host: &str) -> Option<String> {
    match keys.site_key(host).ok()? {
        SiteKey::Domain(d) => Some(d),
        SiteKey::Ip(ip) if crate::dns::addr::is_public(ip) => Some(ip.to_string()),
        SiteKey::Local(d) if d.contains('.') && settings.resolver_is_loopback() => Some(d),
        _ => None,
    }
}

impl Tracker {
    /// The site key under which a host is recorded; `None` for what is not recorded (private
    /// addresses, `localhost`).
    ///
    /// Names without a public suffix (`printer.local`, `nas.home.arpa`, `shop.example.test`) are
    /// private to the user's network: they are recorded and looked up only when the resolver
    /// runs on this machine, so they never reach a third-party resolver.
    pub fn site_for(&self, host: &str) -> Option<String> {
        site_for(self.classifier().sites(), &self.settings, host)
    }

    /// Notes a main-frame request before anything else happens to it (the worker may have to ask
    /// the browser whether its tab is incognito first), so the recovery of cut-off visits at
    /// start leaves its page to it.
    pub fn main_frame_started(&mut self, url: &str) {
        if let Some(host) = host_of_url(url) {
            self.main_frames_seen.insert(host);
        }
    }

    /// A tab's request ended: a visit (main frame), traffic of the site's own hosts, or of a
    /// third party its page needs. Failures feed the failure detector; the user's own doing
    /// (navigating away, an ad blocker) is ignored.
    pub fn on_traffic(&mut self, t: Traffic, now: Millis) {
        if t.tab < 0 || (t.incognito && !self.settings.record_incognito) {
            return;
        }
        let Some(host) = host_of_url(&t.url) else {
            return;
        };
        if t.kind == "main_frame" {
            self.main_frames_seen.insert(host.clone());
        }
        let Some(seen) = self.observed_site(&t, &host) else {
            return;
        };
        match (&t.result, seen) {
            (TrafficResult::Response { status, headers }, Seen::Page(site) | Seen::Own(site)) => {
                self.own_response(&t, &host, &site, *status, headers, now);
            }
            (TrafficResult::Response { status, headers }, Seen::ThirdParty { site, dep_site }) => {
                let outcome = status.map_or(DepOutcome::Unknown, DepOutcome::Status);
                let failure = status.filter(|s| *s >= 500).map(|status| {
                    (
                        Observation::Response { at: now, status },
                        format!("HTTP {status}"),
                    )
                });
                self.third_party(&t, &host, &site, &dep_site, outcome, failure, now);
                if self.needs_lookup(&host, now) {
                    let hints = self.hints(t.ip, headers);
                    self.lookup(&host, hints, now);
                }
            }
            (TrafficResult::Error(error), seen) => self.request_failed(&t, &host, seen, error, now),
        }
    }

    /// Which site an observed request belongs to, and how; `None` when it belongs to no
    /// recorded site (a frame of an unvisited page, a private address).
    fn observed_site(&self, t: &Traffic, host: &str) -> Option<Seen> {
        let site = self.site_for(host)?;
        if t.kind == "main_frame" {
            return Some(Seen::Page(site));
        }
        let page_site = t
            .page_url
            .as_deref()
            .and_then(host_of_url)
            .and_then(|h| self.site_for(&h))?;
        if !self.sites.contains_key(&page_site) {
            return None;
        }
        Some(if page_site == site {
            Seen::Own(site)
        } else {
            Seen::ThirdParty {
                site: page_site,
                dep_site: site,
            }
        })
    }

    /// What a look-up of a host the browser just reached starts with: the address it used
    /// (only when public: loopback or LAN is never evidence) and the response headers.
    fn hints(&self, ip: Option<IpAddr>, headers: &[(String, String)]) -> Hints {
        Hints {
            connected_ip: ip.filter(|ip| crate::dns::addr::is_public(*ip)),
            headers: headers.to_vec(),
            resolved: None,
        }
    }

    /// True when `host` should be looked up: none under way, and no fresh conclusive evidence
    /// (or, for a host a version that stored verdicts looked up, no fresh verdict of it).
    pub(super) fn needs_lookup(&self, host: &str, now: Millis) -> bool {
        if self.pending.contains(host) {
            return false;
        }
        match self.known.evidence(host) {
            Some(ev) => ev.inconclusive() || ev.age(now) > EVIDENCE_MAX_AGE_MS,
            None => !self
                .known
                .class_of(host)
                .is_some_and(|c| c.resolved && now.saturating_sub(c.at) <= EVIDENCE_MAX_AGE_MS),
        }
    }

    /// A response of a site's own host: the page itself, or one of its same-site requests.
    fn own_response(
        &mut self,
        t: &Traffic,
        host: &str,
        site: &str,
        status: Option<u16>,
        headers: &[(String, String)],
        now: Millis,
    ) {
        let main_frame = t.kind == "main_frame";
        let cfg = self.settings.health_config();
        let record = self
            .sites
            .entry(site.to_owned())
            .or_insert_with(|| SiteRecord::new(site, host, now));
        record.observe(host, t.ip, status, main_frame, now);
        if !main_frame {
            let outcome = status.map_or(DepOutcome::Unknown, DepOutcome::Status);
            record.depend(host, site, false, &t.kind, t.ip, outcome, now);
        }
        let is_main = host == record.main_host;
        if main_frame && is_main {
            record.origin = origin_of_url(&t.url);
        }
        let before = record.status;
        if let Some(status) = status {
            record.status =
                record
                    .health
                    .record(&Observation::Response { at: now, status }, now, &cfg);
        }
        let changed = before != record.status;
        // Firefox omits `ip` for responses served from its cache: the host's last seen address
        // stands in.
        let ip =
            t.ip.or_else(|| record.hosts.get(host).and_then(|h| h.last_ip));
        self.save_site(site);
        // A visit looks up the site's main host; the site's other hosts are dependencies.
        let lookup = (is_main || !main_frame) && self.needs_lookup(host, now);
        if main_frame {
            self.tabs.insert(t.tab, TabState::showing(host));
        }
        if lookup {
            let hints = self.hints(ip, headers);
            self.lookup(host, hints, now);
        }
        if main_frame {
            self.show_tab(t.tab);
        } else if changed {
            self.show_site(site);
        }
        self.pages_changed(now);
    }

    /// Records a request of `site`'s page to a third party's `host`; a failure of a host the
    /// page needs also counts against the site (its users see it broken), and is put down to
    /// that host while the site's own hosts answer.
    #[allow(clippy::too_many_arguments)]
    fn third_party(
        &mut self,
        t: &Traffic,
        host: &str,
        site: &str,
        dep_site: &str,
        outcome: DepOutcome<'_>,
        failure: Option<(Observation, String)>,
        now: Millis,
    ) {
        let cfg = self.settings.health_config();
        let Some(record) = self.sites.get_mut(site) else {
            return;
        };
        record.depend(host, dep_site, true, &t.kind, t.ip, outcome, now);
        let mut changed = false;
        if let Some((obs, error)) = failure.filter(|_| is_critical_type(&t.kind)) {
            record.fail(host, &error, now);
            let before = record.status;
            record.status = record.health.record(&obs, now, &cfg);
            changed = before != record.status;
        }
        self.save_later(site, now);
        if changed {
            self.show_site(site);
            self.after_health_change(now);
        }
        self.pages_changed(now);
    }

    /// A request failed.
    fn request_failed(&mut self, t: &Traffic, host: &str, seen: Seen, error: &str, now: Millis) {
        let obs = Observation::from_error(now, error);
        if obs.verdict() == Verdict::Ignore {
            return;
        }
        let fail = obs.verdict() == Verdict::Fail;
        let (site, main_frame) = match seen {
            Seen::Page(site) => (site, true),
            Seen::Own(site) => (site, false),
            Seen::ThirdParty { site, dep_site } => {
                let outcome = if fail {
                    DepOutcome::Failed(error)
                } else {
                    DepOutcome::Unknown
                };
                let failure = fail.then(|| (obs.clone(), error.to_owned()));
                self.third_party(t, host, &site, &dep_site, outcome, failure, now);
                return;
            }
        };
        let cfg = self.settings.health_config();
        let record = self
            .sites
            .entry(site.clone())
            .or_insert_with(|| SiteRecord::new(&site, host, now));
        record.observe(host, None, None, main_frame, now);
        if main_frame && host == record.main_host {
            record.origin = origin_of_url(&t.url);
        }
        if fail {
            record.fail(host, error, now);
            if !main_frame {
                record.depend(
                    host,
                    &site,
                    false,
                    &t.kind,
                    None,
                    DepOutcome::Failed(error),
                    now,
                );
            }
        }
        record.status = record.health.record(&obs, now, &cfg);
        self.save_site(&site);
        if main_frame {
            self.tabs.insert(t.tab, TabState::showing(host));
        }
        self.show_site(&site);
        self.after_health_change(now);
        self.pages_changed(now);
    }

    /// A tab showed a new URL or finished loading (a navigation resets its badge: set it
    /// again).
    pub fn on_tab(&mut self, tab: TabId, url: &str) {
        let Some(host) = host_of_url(url) else {
            self.tabs.remove(&tab);
            return;
        };
        self.tabs.insert(tab, TabState::showing(&host));
        self.show_tab(tab);
    }

    /// A tab was closed.
    pub fn tab_closed(&mut self, tab: TabId) {
        self.tabs.remove(&tab);
        self.incognito.remove(&tab);
    }

    /// Brings everything up to date after a start, given the tabs open now.
    ///
    /// A main-frame response is the event that records a visit, and one delivered to a worker
    /// stopped before it stored the site (browsers stop idle workers at any moment) is gone: the
    /// site of a tab still showing the page is recorded ([`Self::tab_loaded`]) and looked up.
    /// Every open tab gets its badge again. Only tabs done loading count here; one still
    /// loading is looked at again when it is done. Then the sites recorded but never looked up
    /// (a stop between storing the site and storing `pending`) are looked up, the most recently
    /// seen first.
    pub fn open_tabs(&mut self, tabs: &[OpenTab], now: Millis) {
        for open in tabs.iter().filter(|t| t.complete) {
            self.tab_loaded(open, now);
        }
        let mut never: Vec<&SiteRecord> = self
            .sites
            .values()
            .filter(|r| r.profile.is_none() && self.known.evidence(&r.main_host).is_none())
            // A page of it loading now looks it up with its hints.
            .filter(|r| !self.main_frames_seen.contains(&r.main_host))
            .filter(|r| !self.pending.contains(&r.main_host))
            .collect();
        crate::sort::sort_by_key(&mut never, |r| std::cmp::Reverse(r.last_seen));
        let hosts: Vec<String> = never
            .into_iter()
            .take(RESUME_UNPROFILED)
            .map(|r| r.main_host.clone())
            .collect();
        for host in hosts {
            self.lookup(&host, Hints::default(), now);
        }
    }

    /// A tab is done loading (`tabs.onUpdated`), or was found done at a start
    /// ([`Self::open_tabs`]). If this tracker never saw its page's main-frame response, the
    /// event was cut off by a stop (a tab loading when the open tabs were listed had its
    /// response delivered to the stopped worker): its site, if not recorded yet, is recorded
    /// (no visit counted, since an event still on its way would count it twice) and looked up,
    /// and the tab gets its badge. Incognito tabs only when the user records them.
    pub fn tab_loaded(&mut self, open: &OpenTab, now: Millis) {
        let Some(host) = host_of_url(&open.url) else {
            return;
        };
        if (open.incognito && !self.settings.record_incognito)
            || self.main_frames_seen.contains(&host)
        {
            return;
        }
        let Some(site) = self.site_for(&host) else {
            return;
        };
        self.tabs.insert(open.tab, TabState::showing(&host));
        if !self.sites.contains_key(&site) {
            let mut record = SiteRecord::new(&site, &host, now);
            record.observe(&host, None, None, false, now);
            record.origin = origin_of_url(&open.url);
            self.sites.insert(site.clone(), record);
            self.log(
                false,
                format!("OneBasket: {site} recorded from an open tab (its visit was cut off)"),
            );
            self.save_site(&site);
            if self.needs_lookup(&host, now) {
                self.lookup(&host, Hints::default(), now);
            }
            self.pages_changed(now);
        }
        self.show_tab(open.tab);
    }

    /// Sets the badge of every open tab showing `site`.
    pub(super) fn show_site(&mut self, site: &str) {
        let tabs: Vec<TabId> = self
            .tabs
            .iter()
            .filter(|(_, s)| self.site_for(&s.host).as_deref() == Some(site))
            .map(|(t, _)| *t)
            .collect();
        for tab in tabs {
            self.show_tab(tab);
        }
    }

    /// Sets a tab's badge from its site, when the site is recorded.
    pub(super) fn show_tab(&mut self, tab: TabId) {
        let Some(host) = self.tabs.get(&tab).map(|s| s.host.clone()) else {
            return;
        };
        let Some(badge) = self.site_for(&host).and_then(|s| self.badge(&s)) else {
            return;
        };
        self.set_badge(tab, badge);
    }

    /// Shows `badge` on `tab` unless it shows it already.
    pub(super) fn set_badge(&mut self, tab: TabId, badge: Badge) {
        if let Some(state) = self.tabs.get_mut(&tab) {
            if state.shown.as_ref() == Some(&badge) {
                return;
            }
            state.shown = Some(badge.clone());
        }
        self.effects.push_back(super::Effect::Badge { tab, badge });
    }
}
