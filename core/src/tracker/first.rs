//! The first answer of a worker woken by a page asking about one tab (the popup opening).
//!
//! A stopped worker restores every site and every host's evidence before it handles an event:
//! about a fifth of a start at 50 sites, most of it at 1,000. The popup's view of a tab reads
//! the settings, one site's record, the evidence of the hosts that record uses
//! ([`SiteRecord::hosts_used`](crate::site_record::SiteRecord::hosts_used)) and the look-ups a
//! stop cut off ([`Stored::pending`](super::Stored::pending)), so a shell can answer it first
//! from a tracker restored from those alone — the same function of the same evidence, tables
//! and rules, hence the same view — and restore everything after.

use crate::settings::Settings;
use crate::site::{host_of_url, SiteKeys};

/// The site key of the record a view of the tab showing `url` reads; `None` when it reads none
/// (not a web page, or a host that is not recorded).
pub fn site_of_tab(url: &str, keys: &SiteKeys, settings: &Settings) -> Option<String> {
    super::browse::site_for(keys, settings, &host_of_url(url)?)
}
