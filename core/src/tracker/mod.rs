//! The extension's decisions, sans-IO: browser events and `now` in, effects out.
//!
//! Shaped like `quinn-proto`: the worker decodes a browser event, hands it to a [`Tracker`]
//! method with the current time, then drains [`Tracker::poll_effect`] and performs each
//! [`Effect`] (a storage write, a DoH query, a badge, a message to the open pages). The
//! tracker never awaits, reads a clock or touches the browser, so every flow — install, browse,
//! the feeds arriving, a worker stopped at any step — is tested natively with simulated time
//! (`tracker/tests/`).
//!
//! Lifecycle:
//! 1. [`Tracker::restore`] from what storage held (settings, sites, host evidence, pending
//!    look-ups, the table); it queues the look-ups a stop cut off and, when the table is
//!    missing, incomplete or from another source, a feed refresh.
//! 2. Browser events: [`Tracker::on_traffic`] (webRequest), [`Tracker::on_tab`],
//!    [`Tracker::tab_closed`], [`Tracker::open_tabs`] (the tabs open at start).
//! 3. Look-ups: [`Effect::Query`] out, [`Tracker::answer`] in; a finished look-up stores its
//!    [`HostEvidence`] — never a verdict.
//! 4. Knowledge: [`Tracker::refresh_finished`] (a new table) re-derives every stored host at once:
//!    badges of the open tabs and the open pages follow without a network request.
//! 5. Views ([`Tracker::tab_view`], [`Tracker::overview`]) are pure functions of the state.
//!
//! Invariant: verdicts are derived. What is stored is evidence ([`HostEvidence`] per looked-up
//! host, [`SiteRecord`] per site); what a host runs on is `Classifier::brief` of its evidence
//! under the current table and rules ([`Tracker::class_of`]), recomputed whenever the table
//! changes.

mod browse;
mod checks;
mod feeds;
mod first;
mod known;
mod lookup;
mod view;

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};

use litemap::LiteMap;
use serde::{Deserialize, Serialize};

use crate::classify::Classifier;
use crate::correlation::Correlation;
use crate::deps::{ClassOf, HostClass};
use crate::engine::{Engine, EngineConfig, Hints, LookupId, Query};
use crate::evidence::HostEvidence;
use crate::knowledge::FeedStatus;
use crate::settings::Settings;
use crate::site_record::SiteRecord;
use crate::sorted_map::NameSet;
use crate::status::ProviderStatus;
use crate::Millis;

pub use browse::{OpenTab, Traffic, TrafficResult};
pub use checks::{PlannedCheck, StatusPoll};
pub use feeds::RefreshPlan;
pub use first::{site_of_tab, table_for};
pub use view::{Badge, DEGRADED_COLOR, DOWN_COLOR, UNKNOWN_COLOR};

/// A browser tab's id.
pub type TabId = i32;

/// How long a host's evidence is trusted before the host is looked up again on its next use.
pub const EVIDENCE_MAX_AGE_MS: Millis = 6 * 3_600_000;

/// How long dependency traffic waits before it is written: a page loading 200 hosts then costs
/// a few writes of its site instead of hundreds. A worker stopped in between loses at most
/// this much of the counts; the next page load sees the same hosts again.
pub const SAVE_DELAY_MS: Millis = 250;

/// How long the open pages are left alone after a change before they are told to ask again,
/// so a page loading 200 hosts costs them one refresh, not 200.
pub const PAGES_DELAY_MS: Millis = 300;

/// At most this many sites recorded but never looked up are looked up again at start (the rest
/// on their next visit), so a damaged store never sends a burst of queries.
pub const RESUME_UNPROFILED: usize = 32;

/// What the browser offers beyond the common API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// A DNS API (Firefox `dns.resolve`), for "resolve with the browser".
    pub browser_dns: bool,
}

/// Something the caller must do for the tracker.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send `query` to the DoH `resolver` and hand the answer to [`Tracker::answer`].
    Query {
        /// The resolver URL at the time the query was made.
        resolver: String,
        /// The query.
        query: Query,
    },
    /// Ask the browser's own resolver about `host`, then call [`Tracker::browser_resolved`].
    BrowserResolve {
        /// The hostname.
        host: String,
        /// The hints the look-up starts with.
        hints: Hints,
    },
    /// Write this site's record ([`Tracker::site`]).
    SaveSite(String),
    /// Write this host's evidence ([`Tracker::host_evidence`]).
    SaveHost(String),
    /// Write the set of look-ups under way ([`Tracker::pending`]).
    SavePending,
    /// Delete these sites' records.
    RemoveSites(Vec<String>),
    /// Delete these hosts' evidence.
    RemoveHosts(Vec<String>),
    /// Write the feed status ([`Tracker::feed_status`]).
    SaveFeedStatus,
    /// Write the provider status memory ([`Tracker::provider_status`]).
    SaveProviderStatus,
    /// Delete the provider status memory.
    RemoveProviderStatus,
    /// Show this badge on this tab.
    Badge {
        /// The tab.
        tab: TabId,
        /// What to show.
        badge: Badge,
    },
    /// What the open pages show changed: tell them to ask again.
    PagesChanged,
    /// Download the feeds ([`Tracker::begin_refresh`]).
    RefreshFeeds,
    /// Show a notification: failures concentrate on one provider.
    Notify(Correlation),
    /// Something for the log.
    Log {
        /// A warning (something was lost or refused) rather than information.
        warn: bool,
        /// The line.
        message: String,
    },
}

/// What the status polls leave: the incidents and when each page was asked. Stored, so a
/// stopped worker neither forgets the incidents nor asks every page again on waking.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatusMemory {
    /// When each provider's status page was last asked (ms since the epoch).
    #[serde(default, with = "crate::sorted_map")]
    pub polled: LiteMap<String, Millis>,
    /// Each provider's last good status.
    #[serde(default, with = "crate::sorted_map")]
    pub providers: LiteMap<String, ProviderStatus>,
}

/// What storage held at start, already read leniently (see the worker's `migrate`).
#[derive(Debug, Clone, Default)]
pub struct Stored {
    /// The settings.
    pub settings: Settings,
    /// Every readable site record.
    pub sites: Vec<SiteRecord>,
    /// Every readable host's evidence.
    pub hosts: Vec<HostEvidence>,
    /// Hosts whose look-up was under way when the last worker stopped.
    pub pending: Vec<String>,
    /// The last feed status.
    pub feed_status: FeedStatus,
    /// The feed source of the last completed refresh (`None`: unknown).
    pub feeds_from: Option<Option<String>>,
    /// The provider status memory.
    pub provider_status: ProviderStatusMemory,
    /// A feed refresh was under way when the last worker stopped.
    pub refresh_interrupted: bool,
    /// False when the table is not known to hold every feed stored (a per-feed snapshot was
    /// discarded).
    pub table_complete: bool,
}

/// An open tab the tracker knows the page of.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TabState {
    /// The page's host.
    host: String,
    /// What its badge was last set to; `None` when it must be set again.
    shown: Option<Badge>,
}

impl TabState {
    /// A tab showing a page of `host`, its badge still to be set.
    fn showing(host: &str) -> Self {
        Self {
            host: host.to_owned(),
            shown: None,
        }
    }
}

/// The state of the feed refreshes.
#[derive(Debug, Clone, Default)]
struct FeedsState {
    status: FeedStatus,
    refreshing: bool,
    again: bool,
    /// The feed source the last completed refresh used; `None` when unknown.
    from: Option<Option<String>>,
    /// The feed source of the refresh under way.
    refreshing_from: Option<Option<String>>,
}

/// The state of "failing now".
#[derive(Debug, Clone, Default)]
struct HealthMemory {
    /// The last check round reached nothing, the resolver included.
    offline: bool,
    /// A check round is under way.
    checking: bool,
    /// The correlations last notified, so one outage notifies once.
    notified: NameSet,
    /// The status pages' last readings and poll times.
    status: ProviderStatusMemory,
}

/// The extension's state and decisions; see the module docs.
#[derive(Debug)]
pub struct Tracker {
    settings: Settings,
    caps: Capabilities,
    engine: Engine,
    sites: HashMap<String, SiteRecord>,
    /// The evidence of every looked-up host (main hosts and dependencies alike) and what it
    /// runs on, derived under the current knowledge.
    known: known::Known,
    lookups: HashMap<LookupId, String>,
    pending: NameSet,
    /// The open tabs, in id order: a sorted vector (a few dozen tabs; a `BTreeMap` of its own
    /// key and value types was 11 KB of the worker's wasm).
    tabs: LiteMap<TabId, TabState>,
    incognito: HashMap<TabId, bool>,
    /// Hosts of the main-frame responses this tracker has handled (see [`Tracker::open_tabs`]).
    main_frames_seen: NameSet,
    /// Sites changed by dependency traffic and not yet written.
    dirty: NameSet,
    flush_at: Option<Millis>,
    pages_at: Option<Millis>,
    feeds: FeedsState,
    health: HealthMemory,
    effects: VecDeque<Effect>,
    last_answer_at: Millis,
    last_evidence_at: Millis,
}

impl Tracker {
    /// A tracker resuming from `stored`, classifying with `classifier` (its table is the one
    /// storage held, possibly empty). Queues the look-ups a stop cut off and, when needed, a
    /// feed refresh.
    pub fn restore(
        stored: Stored,
        classifier: Classifier,
        caps: Capabilities,
        now: Millis,
    ) -> Self {
        let Stored {
            settings,
            sites,
            hosts,
            pending,
            feed_status,
            feeds_from,
            provider_status,
            refresh_interrupted,
            table_complete,
        } = stored;
        let table = classifier.table();
        // What the overview reports is the table actually in use (the stored status may be from
        // before a stop, or describe a table that was discarded).
        let status = FeedStatus {
            feeds: table.feeds().to_vec(),
            records: u32::try_from(table.len()).unwrap_or(u32::MAX),
            ..feed_status
        };
        let empty_table = table.is_empty();
        let config = engine_config(&settings);
        let known = known::Known::restore(hosts, &sites, &classifier);
        let mut t = Self {
            settings,
            caps,
            engine: Engine::new(classifier, config),
            sites: sites.into_iter().map(|r| (r.site.clone(), r)).collect(),
            known,
            lookups: HashMap::new(),
            pending: NameSet::new(),
            tabs: LiteMap::new(),
            incognito: HashMap::new(),
            main_frames_seen: NameSet::new(),
            dirty: NameSet::new(),
            flush_at: None,
            pages_at: None,
            feeds: FeedsState {
                status,
                from: feeds_from,
                ..FeedsState::default()
            },
            health: HealthMemory {
                status: provider_status,
                ..HealthMemory::default()
            },
            effects: VecDeque::new(),
            last_answer_at: 0,
            last_evidence_at: 0,
        };
        t.drop_orphan_hosts();
        for host in pending {
            t.lookup(&host, Hints::default(), now);
        }
        // The feed source was changed while no worker ran: the table must come from it.
        let source_moved = t
            .feeds
            .from
            .as_ref()
            .is_some_and(|from| *from != t.settings.feed_base);
        if refresh_interrupted || empty_table || !table_complete || source_moved {
            t.effects.push_back(Effect::RefreshFeeds);
        }
        t
    }

    /// The next thing to do, if any.
    pub fn poll_effect(&mut self) -> Option<Effect> {
        self.effects.pop_front()
    }

    /// When [`Tracker::handle_timeout`] wants to be called next, if at all.
    pub fn poll_timeout(&self) -> Option<Millis> {
        match (self.flush_at, self.pages_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Does what was due by `now`: writes the sites dependency traffic changed, and tells the
    /// open pages about changes.
    pub fn handle_timeout(&mut self, now: Millis) {
        if self.flush_at.is_some_and(|at| at <= now) {
            self.flush_at = None;
            for site in std::mem::take(&mut self.dirty) {
                self.effects.push_back(Effect::SaveSite(site));
            }
        }
        if self.pages_at.is_some_and(|at| at <= now) {
            self.pages_at = None;
            self.effects.push_back(Effect::PagesChanged);
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Applies new settings (already validated). A new feed source starts a refresh.
    pub fn settings_changed(&mut self, settings: Settings, now: Millis) {
        // Compared with the source the table comes from (or is being fetched from), not with
        // the settings in memory: a worker woken by this very change has loaded the new
        // settings at start already.
        let source = if self.feeds.refreshing {
            self.feeds.refreshing_from.clone()
        } else {
            self.feeds.from.clone()
        };
        let moved = match source {
            Some(from) => from != settings.feed_base,
            None => self.settings.feed_base != settings.feed_base,
        };
        self.engine.set_config(engine_config(&settings));
        self.settings = settings;
        self.log(
            false,
            format!("OneBasket: settings applied (feed source changed: {moved})"),
        );
        if moved {
            self.effects.push_back(Effect::RefreshFeeds);
        }
        self.pages_changed(now);
    }

    /// Builds the prefix table's look-up index if the table came without one
    /// ([`PrefixTable::from_snapshot_unindexed`](crate::table::PrefixTable::from_snapshot_unindexed)):
    /// a waking worker restores with such a table, answers the events that woke it, then calls
    /// this. Nothing any view shows changes; look-ups get faster.
    pub fn index_table(&mut self) {
        self.engine.classifier_mut().index_table();
    }

    /// The classifier (table, rules, site keys) in use.
    pub fn classifier(&self) -> &Classifier {
        self.engine.classifier()
    }

    /// The classifier, taken back from a tracker that is no longer needed (the one a waking
    /// worker restores for its first answer alone: [`site_of_tab`]).
    pub fn into_classifier(self) -> Classifier {
        self.engine.into_classifier()
    }

    /// A site's record.
    pub fn site(&self, site: &str) -> Option<&SiteRecord> {
        self.sites.get(site)
    }

    /// Every site's record.
    pub fn sites(&self) -> impl Iterator<Item = &SiteRecord> {
        self.sites.values()
    }

    /// A host's evidence.
    pub fn host_evidence(&self, host: &str) -> Option<&HostEvidence> {
        self.known.evidence(host)
    }

    /// What a host runs on, as derived now (or as a version that stored verdicts left it).
    pub fn class_of(&self, host: &str) -> Option<&HostClass> {
        self.known.class_of(host)
    }

    /// The hosts whose look-up is under way, as stored under `pending`.
    pub fn pending(&self) -> Vec<String> {
        self.pending.iter().cloned().collect()
    }

    /// The state of the IP-range data.
    pub fn feed_status(&self) -> &FeedStatus {
        &self.feeds.status
    }

    /// The status pages' last readings and poll times (what `SaveProviderStatus` writes).
    pub fn provider_status(&self) -> &ProviderStatusMemory {
        &self.health.status
    }

    /// Whether tab `tab` is known to be incognito (`None`: not known; ask the browser and
    /// tell [`Tracker::set_incognito`]).
    pub fn incognito_of(&self, tab: TabId) -> Option<bool> {
        self.incognito.get(&tab).copied()
    }

    /// Records whether a tab is incognito.
    pub fn set_incognito(&mut self, tab: TabId, incognito: bool) {
        self.incognito.insert(tab, incognito);
    }

    /// Drops every cached DNS answer past its TTL (bounds memory).
    pub fn expire(&mut self, now: Millis) {
        self.engine.expire(now);
    }

    /// Forgets every site, every host's evidence and what the status pages said (settings and
    /// IP-range data stay), and clears every badge.
    pub fn clear(&mut self, now: Millis) {
        let sites: Vec<String> = self.sites.keys().cloned().collect();
        let hosts: Vec<String> = self.known.hosts().map(str::to_owned).collect();
        self.sites.clear();
        // What third-party hosts run on, and the answers about them, are browsing history too.
        self.known.clear();
        self.engine.clear_cache();
        self.dirty.clear();
        // Which providers' status pages were asked says where the user's sites ran.
        self.health.status = ProviderStatusMemory::default();
        self.health.notified.clear();
        self.effects.push_back(Effect::RemoveSites(sites));
        self.effects.push_back(Effect::RemoveHosts(hosts));
        self.effects.push_back(Effect::RemoveProviderStatus);
        self.effects.push_back(Effect::SavePending);
        let tabs: Vec<TabId> = self.tabs.keys().copied().collect();
        for tab in tabs {
            self.set_badge(tab, Badge::empty());
        }
        self.pages_changed(now);
    }

    /// Forgets the sites not seen within the retention period, and the evidence of hosts no
    /// remaining site uses.
    pub fn prune(&mut self, now: Millis) {
        let days = self.settings.retention_days;
        let gone: Vec<String> = self
            .sites
            .values()
            .filter(|r| r.expired(now, days))
            .map(|r| r.site.clone())
            .collect();
        if gone.is_empty() {
            return;
        }
        for s in &gone {
            self.sites.remove(s);
            self.dirty.remove(s);
        }
        self.effects.push_back(Effect::RemoveSites(gone));
        self.drop_orphan_hosts();
        self.pages_changed(now);
    }

    /// Removes the evidence of hosts no site uses (as its main host or a dependency).
    fn drop_orphan_hosts(&mut self) {
        let mut used: Vec<&str> = Vec::new();
        for r in self.sites.values() {
            used.extend(r.hosts_used());
        }
        // A sorted list searched by halves: the same sort of `&str`s as the table's string
        // tables, where a set of `&str` was a `BTreeSet` instance of its own.
        used.sort_unstable();
        used.dedup();
        let is_used = |h: &str| used.binary_search(&h).is_ok();
        let orphans: Vec<String> = self
            .known
            .hosts()
            .filter(|h| !is_used(h) && !self.pending.contains(h))
            .map(str::to_owned)
            .collect();
        self.known.retain_legacy(|h| is_used(h));
        if orphans.is_empty() {
            return;
        }
        for h in &orphans {
            self.known.remove(h);
        }
        self.effects.push_back(Effect::RemoveHosts(orphans));
    }

    /// Marks what the open pages show as changed; they are told after [`PAGES_DELAY_MS`].
    fn pages_changed(&mut self, now: Millis) {
        if self.pages_at.is_none() {
            self.pages_at = Some(now.saturating_add(PAGES_DELAY_MS));
        }
    }

    /// Marks a site changed by dependency traffic; it is written after [`SAVE_DELAY_MS`].
    fn save_later(&mut self, site: &str, now: Millis) {
        self.dirty.insert(site.to_owned());
        if self.flush_at.is_none() {
            self.flush_at = Some(now.saturating_add(SAVE_DELAY_MS));
        }
    }

    /// Writes a site now (and takes it off the delayed writes).
    fn save_site(&mut self, site: &str) {
        self.dirty.remove(site);
        self.effects.push_back(Effect::SaveSite(site.to_owned()));
    }

    fn log(&mut self, warn: bool, message: String) {
        self.effects.push_back(Effect::Log { warn, message });
    }
}

fn engine_config(settings: &Settings) -> EngineConfig {
    EngineConfig {
        asn_lookups: settings.asn_lookups,
        ..EngineConfig::default()
    }
}
