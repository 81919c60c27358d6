//! What the worker answers with besides the page views: the overview, the popup's tab and the
//! worker's own figures.

use serde::{Deserialize, Serialize};

use crate::correlation::Correlation;
use crate::knowledge::FeedStatus;
use crate::profile::SiteProfile;
use crate::settings::Settings;
use crate::status::ProviderIncident;
use crate::summary::SiteSummary;

/// What the popup shows first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Every site, most recently seen first.
    pub sites: Vec<SiteSummary>,
    /// The IP-range data in use.
    pub feeds: FeedStatus,
    /// The settings in force.
    pub settings: Settings,
    /// Failures concentrating on one provider / region / edge / DNS provider, strongest first.
    #[serde(default)]
    pub correlations: Vec<Correlation>,
    /// Every check failed, the resolver's included: the user is offline, not the world.
    #[serde(default)]
    pub offline: bool,
    /// Open incidents on the status pages of the providers the user's sites use.
    #[serde(default)]
    pub incidents: Vec<ProviderIncident>,
}

/// Everything the popup shows about its tab: one answer to [`Request::GetTab`](super::Request::GetTab).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TabView {
    /// The tab's host; `None` when the tab is not a web page.
    pub host: Option<String>,
    /// The site key it is recorded under (Public Suffix List); `None` for pages the extension
    /// does not record (not a web page, a private name while the resolver is not on this
    /// machine, a private address).
    pub site: Option<String>,
    /// The site's row (layers, status, what it depends on, blame); `None` when not recorded yet.
    pub summary: Option<SiteSummary>,
    /// Its main host's profile, derived now from the stored evidence, with the reasons behind
    /// each layer; `None` while it was never looked up.
    pub profile: Option<SiteProfile>,
    /// A look-up of its main host is under way.
    pub looking_up: bool,
}

/// The worker's own figures: what it holds and when it last did what.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkerStats {
    /// Sites recorded.
    pub sites: u32,
    /// Dependencies recorded, over all sites.
    pub deps: u32,
    /// Dependencies whose host is classified.
    pub deps_classified: u32,
    /// Distinct hostnames with a shared class.
    pub classes: u32,
    /// Look-ups under way.
    pub pending: u32,
    /// When the last DoH answer arrived (ms since the epoch; 0: none yet).
    pub last_answer_at: u64,
    /// When the last finished look-up was applied (ms since the epoch; 0: none yet).
    pub last_profile_at: u64,
    /// Bytes of the worker's WebAssembly memory (everything the worker's Rust side holds).
    pub wasm_memory_bytes: u64,
}
