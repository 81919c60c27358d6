//! OneBasket core: classifies a site's hosting (cloud, region, edge, DNS provider) from
//! DNS-over-HTTPS answers, the providers' published IP ranges and a reviewed rules file.
//!
//! The crate is sans-IO: it builds queries and parses answers but never touches the network,
//! the file system or a clock. Callers pass bytes and `now` in and take queries and results out,
//! so the same code runs natively (library and `onebasket` CLI) and in the browser (wasm32).

pub mod dns;
pub mod feeds;
pub mod record;
pub mod rules;
pub mod site;
pub mod table;

pub use record::PrefixRecord;
