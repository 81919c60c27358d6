//! OneBasket core: classifies a site's hosting (cloud, region, edge, DNS provider) from
//! DNS-over-HTTPS answers, the providers' published IP ranges and a reviewed rules file.
//!
//! The crate is sans-IO: it builds queries and parses answers but never touches the network,
//! the file system or a clock. Callers pass bytes and `now` in and take queries and results out,
//! so the same code runs natively (library and `onebasket` CLI) and in the browser (wasm32).
//!
//! Layers, bottom up: [`feeds`] parse the official range files into [`PrefixRecord`]s,
//! [`table`] answers longest-prefix matches over all of them, [`rules`] holds the reviewed
//! provider knowledge, [`dns`] and [`site`] build and read DoH messages and site keys,
//! [`engine`] drives look-ups, [`classify`] turns evidence into a [`profile::SiteProfile`], and
//! [`protocol`] is what the extension's worker and pages exchange.

// Everything `pub` is reachable from the crate root, so the public API is what it says; the
// workspace cannot turn this on yet (the extension has not been through it).

pub mod classify;
pub mod correlation;
pub mod date;
pub mod deps;
pub mod dns;
pub mod engine;
pub mod evidence;
pub mod exposure;
pub mod feeds;
pub mod health;
pub mod knowledge;
pub mod panel;
pub mod profile;
pub mod protocol;
pub mod reach;
pub mod record;
pub mod rules;
pub mod settings;
pub mod site;
pub mod site_record;
pub mod sort;
pub mod sorted_map;
pub mod status;
pub mod summary;
pub mod table;
pub mod tracker;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use record::PrefixRecord;

/// Milliseconds since the Unix epoch, always supplied by the caller (the core reads no clock).
pub type Millis = u64;
