//! The first answer of a worker woken by a page asking about one tab (the popup opening).
//!
//! A stopped worker restores every site and every host's evidence before it handles an event:
//! about a fifth of a start at 50 sites, most of it at 1,000. The popup's view of a tab reads
//! the settings, one site's record, the evidence of the hosts that record uses
//! ([`SiteRecord::hosts_used`](crate::site_record::SiteRecord::hosts_used)) and the look-ups a
//! stop cut off ([`Stored::pending`](super::Stored::pending)), so a shell can answer it first
//! from a tracker restored from those alone — the same function of the same evidence, tables
//! and rules, hence the same view — and restore everything after. Its look-ups are of the
//! addresses those hosts are judged by, so the table it reads can be the snapshot's records
//! around them ([`table_for`]), which skips most of a table's load.

use std::net::IpAddr;

use crate::classify::addresses_of;
use crate::evidence::HostEvidence;
use crate::settings::Settings;
use crate::site::{host_of_url, SiteKeys};
use crate::table::{PrefixTable, SnapshotError};

/// The site key of the record a view of the tab showing `url` reads; `None` when it reads none
/// (not a web page, or a host that is not recorded).
pub fn site_of_tab(url: &str, keys: &SiteKeys, settings: &Settings) -> Option<String> {
    super::browse::site_for(keys, settings, &host_of_url(url)?)
}

/// The table a first answer from `hosts` (the evidence [`site_of_tab`]'s record uses) reads:
/// the records of `snapshot` around the addresses those hosts are judged by
/// ([`PrefixTable::from_snapshot_around`]).
pub fn table_for(snapshot: &[u8], hosts: &[HostEvidence]) -> Result<PrefixTable, SnapshotError> {
    let mut addresses: Vec<IpAddr> = Vec::new();
    for h in hosts {
        addresses.extend(addresses_of(h));
    }
    PrefixTable::from_snapshot_around(snapshot, &addresses)
}
