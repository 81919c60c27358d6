//! Feed refreshes, as far as they are decisions: one at a time, once more when the source
//! changed meanwhile, and a new table makes every stored host's verdict follow at once.

use crate::feeds::FeedSpec;
use crate::knowledge;
use crate::knowledge::FeedStatus;
use crate::table::{FeedInfo, PrefixTable};
use crate::Millis;

use super::{Effect, Tracker};

/// What a refresh pass downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPlan {
    /// Every feed the rules declare.
    pub specs: Vec<FeedSpec>,
    /// The mirror to fetch the same file names from; `None` for the official URLs.
    pub base: Option<String>,
    /// The feeds in the table now (a download that shrank implausibly against them is refused).
    pub previous: Vec<FeedInfo>,
}

impl RefreshPlan {
    /// Where one feed is downloaded from.
    pub fn url(&self, spec: &FeedSpec) -> String {
        match &self.base {
            Some(b) => format!("{}/{}", b.trim_end_matches('/'), spec.file),
            None => spec.url.clone(),
        }
    }

    /// How many prefixes the feed had before, if it was in the table.
    pub fn before(&self, spec: &FeedSpec) -> Option<u32> {
        self.previous
            .iter()
            .find(|f| f.file == spec.file)
            .map(|f| f.records)
    }
}

impl Tracker {
    /// Starts a refresh pass; `None` when one runs already (it then runs once more when done,
    /// with the settings of that time).
    pub fn begin_refresh(&mut self) -> Option<RefreshPlan> {
        if self.feeds.refreshing {
            self.feeds.again = true;
            return None;
        }
        self.feeds.refreshing = true;
        Some(self.plan())
    }

    fn plan(&mut self) -> RefreshPlan {
        let base = self.settings.feed_base.clone();
        self.feeds.refreshing_from = Some(base.clone());
        let specs = knowledge::feed_specs(self.classifier().rules()).unwrap_or_default();
        RefreshPlan {
            specs,
            base,
            previous: self.feeds.status.feeds.clone(),
        }
    }

    /// True when the pass under way should stop where it is: another was asked for (a new
    /// mirror, say), and it starts over.
    pub fn refresh_superseded(&self) -> bool {
        self.feeds.again
    }

    /// The pass under way stopped because another was asked for ([`Tracker::refresh_superseded`]):
    /// the next pass, with the settings of now.
    pub fn refresh_abandoned(&mut self) -> Option<RefreshPlan> {
        self.feeds.again = false;
        Some(self.plan())
    }

    /// A pass ended with `table` rebuilt from every feed's last good data (`None`: nothing to
    /// rebuild) and the per-file `errors`. A table is taken unless it is empty while the one in
    /// use is not (a refresh never makes anything know less); then every stored host is
    /// re-derived, every open tab's badge set again and the open pages told. Returns whether the
    /// table was taken (to be stored), and the next pass when one was asked for meanwhile.
    pub fn refresh_finished(
        &mut self,
        table: Option<PrefixTable>,
        errors: Vec<String>,
        plan: &RefreshPlan,
        now: Millis,
    ) -> (bool, Option<RefreshPlan>) {
        let taken = match table {
            Some(t) if !t.is_empty() || self.classifier().table().is_empty() => {
                self.table_changed(t, now);
                true
            }
            _ => false,
        };
        self.feeds.from = Some(plan.base.clone());
        let t = self.classifier().table();
        self.feeds.status = FeedStatus {
            feeds: t.feeds().to_vec(),
            records: u32::try_from(t.len()).unwrap_or(u32::MAX),
            refreshed_at: Some(now),
            errors,
        };
        self.effects.push_back(Effect::SaveFeedStatus);
        self.pages_changed(now);
        let next = if std::mem::take(&mut self.feeds.again) {
            Some(self.plan())
        } else {
            self.feeds.refreshing = false;
            self.feeds.refreshing_from = None;
            None
        };
        (taken, next)
    }

    /// A new table is in use: every stored host's verdict is derived again, every open tab's
    /// badge follows, and the open pages are told. No network request is needed.
    pub fn table_changed(&mut self, table: PrefixTable, now: Millis) {
        self.engine.classifier_mut().set_table(table);
        let t = self.engine.classifier().table();
        let (feeds, records) = (t.feeds().to_vec(), t.len());
        self.feeds.status.feeds = feeds;
        self.feeds.status.records = u32::try_from(records).unwrap_or(u32::MAX);
        self.known.rederive(self.engine.classifier());
        let tabs: Vec<_> = self.tabs.keys().copied().collect();
        for tab in tabs {
            self.show_tab(tab);
        }
        self.pages_changed(now);
    }
}
