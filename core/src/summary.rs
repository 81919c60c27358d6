//! A site's row: its stack in brief and its exposure, derived from its record and what its
//! hosts run on now. The groups, the headline, what-if, correlation and every page read it.

use serde::{Deserialize, Serialize};

use crate::correlation::SiteFacts;
use crate::deps::HostClass;
use crate::health::HealthState;
use crate::site_record::SiteRecord;
use crate::Millis;

/// One row of the overview: a site, what its main host runs on, and its exposure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteSummary {
    /// The site key.
    pub site: String,
    /// Its main hostname.
    pub main_host: String,
    /// What its main host runs on, as derived now (nothing known while it was never looked
    /// up): the layers, the badge's provider, redundant DNS, an origin unknown behind a CDN.
    #[serde(default)]
    pub class: HostClass,
    /// Last visit.
    pub last_seen: Millis,
    /// Visits.
    pub visits: u32,
    /// Failures seen in the history.
    pub failures: u32,
    /// Whether it works right now.
    #[serde(default)]
    pub status: HealthState,
    /// The providers whose failure would break it (through its own hosts or a critical third
    /// party), and those it only loads images and the like from.
    #[serde(default)]
    pub exposure: crate::exposure::Exposure,
    /// When it fails while its own hosts answer: the critical third party that does not.
    #[serde(default)]
    pub blame: Option<crate::deps::Blame>,
}

impl SiteSummary {
    /// The summary of a record at `now`, its hosts' layers read from `classes` (what each
    /// looked-up host runs on, as derived now; `rules` say which providers are clouds), with
    /// the third party to blame for a failure seen within `window_ms`, naming at most `named`
    /// hosts per exposure entry ([`crate::exposure::exposure_naming`]; the pages' views count
    /// from summaries naming one, everything else names [`crate::exposure::MAX_VIA`]).
    pub fn of(
        r: &SiteRecord,
        classes: &dyn crate::deps::ClassOf,
        rules: &crate::rules::Rules,
        now: Millis,
        window_ms: Millis,
        named: usize,
    ) -> Self {
        let c = classes.class_of(&r.main_host);
        Self {
            site: r.site.clone(),
            main_host: r.main_host.clone(),
            class: c.cloned().unwrap_or_default(),
            last_seen: r.last_seen,
            visits: r.visits,
            failures: u32::try_from(r.failures.len()).unwrap_or(u32::MAX),
            status: r.status,
            exposure: crate::exposure::exposure_naming(r, classes, rules, named),
            blame: r.blame(classes, now, window_ms),
        }
    }

    /// What correlation needs of this row, with the hosts its failure is put down to.
    pub fn facts(&self, blamed: Vec<String>) -> SiteFacts {
        SiteFacts {
            site: self.site.clone(),
            state: self.status,
            exposure: self.exposure.critical.clone(),
            blamed,
        }
    }
}
