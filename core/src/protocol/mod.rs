//! The one typed message protocol between the extension's background worker and its pages
//! (popup, dashboard, options), and the user's settings both sides speak of.
//!
//! The worker owns every value here; pages send a [`Request`] and render the [`Response`].
//! Field names are camelCase on the wire because the same JSON lives in `chrome.storage`.

use serde::{Deserialize, Serialize};

use crate::knowledge::FeedStatus;
use crate::settings::Settings;
use crate::site_record::SiteRecord;
use views::{Overview, TabView, WorkerStats};

pub mod packed;
mod request;
pub mod views;

/// The `type` of the message the worker sends its open pages (popup, dashboard) when what
/// they show changed (a look-up finished, the IP ranges arrived, a site failed): they ask again.
pub const CHANGED: &str = "changed";

/// A request from a page to the worker. Read by hand ([`request`]: one pass, no buffering), in
/// the form this derive writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    /// The overview of all sites.
    GetOverview,
    /// One site's full record.
    GetSite {
        /// The site key.
        site: String,
    },
    /// The popup's whole view of the tab showing `url` (site key, row, profile with its
    /// evidence, dependencies), derived now.
    GetTab {
        /// The tab's URL (only its host is used).
        url: String,
    },
    /// The popup's view of the tab showing `url`, in words ([`crate::panel::TabPanel`]): what
    /// the popup renders, where [`Request::GetTab`] gives the data behind it.
    GetTabPanel {
        /// The tab's URL (only its host is used).
        url: String,
        /// Answer with [`Response::Packed`] instead of [`Response::TabPanel`].
        #[serde(default)]
        packed: bool,
    },
    /// The current settings.
    GetSettings,
    /// Replace the settings (validated; a new feed mirror triggers a refresh).
    SetSettings {
        /// The new settings.
        settings: Settings,
    },
    /// Forget every site (settings and IP-range data stay).
    ClearData,
    /// Download the feeds now.
    RefreshFeeds,
    /// Check every recently visited site now (answered when the round is over).
    CheckNow,
    /// The worker's own figures (sizes, timings), for diagnostics and benchmarks.
    GetStats,
    /// The popup's view of the user's sites: banners, headline, failing sites, groups (the
    /// members of the opened ones only).
    GetPopup {
        /// Grouping, filter, opened groups.
        #[serde(default)]
        query: crate::panel::PopupQuery,
        /// Answer with [`Response::Packed`] instead of [`Response::Popup`].
        #[serde(default)]
        packed: bool,
    },
    /// The dashboard's view: a page of rows sorted and filtered, the what-if picker and the
    /// chosen scenario.
    GetDashboard {
        /// Sort, filter, rows wanted, scenario.
        #[serde(default)]
        query: crate::panel::DashboardQuery,
    },
    /// Every site as a file to download.
    GetExport {
        /// CSV or JSON.
        format: crate::panel::ExportFormat,
    },
    /// What the options page shows beside the form: settings, sites, feeds, stale feeds.
    GetOptions,
    /// Times `count` look-ups in the worker's table (addresses inside its IPv4 ranges): the
    /// look-up figure of BENCHMARKS.md, measured in the browser's wasm.
    MeasureLookups {
        /// How many addresses to look up (10 M at the most: `table::probe::MAX_COUNT`).
        count: u32,
    },
}

impl Request {
    /// The URL of the tab whose view alone this request asks for ([`Request::GetTab`],
    /// [`Request::GetTabPanel`]): answered from that tab's site alone
    /// ([`site_of_tab`](crate::tracker::site_of_tab)).
    pub fn tab_url(&self) -> Option<&str> {
        match self {
            Request::GetTab { url } | Request::GetTabPanel { url, .. } => Some(url),
            _ => None,
        }
    }
}

/// The worker's answer.
// One message is built per request and serialized at once: boxing the big variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Response {
    /// Answer to [`Request::GetOverview`].
    Overview {
        /// The overview.
        overview: Overview,
    },
    /// Answer to [`Request::GetSite`]; `null` when the site is unknown.
    Site {
        /// The record.
        site: Option<SiteRecord>,
    },
    /// Answer to [`Request::GetTab`].
    Tab {
        /// The view.
        tab: TabView,
    },
    /// Answer to [`Request::GetTabPanel`].
    TabPanel {
        /// The view.
        panel: crate::panel::TabPanel,
    },
    /// Answer to [`Request::GetSettings`] and [`Request::SetSettings`].
    Settings {
        /// The settings now in force.
        settings: Settings,
    },
    /// Answer to [`Request::RefreshFeeds`].
    Feeds {
        /// The feed state after the refresh.
        feeds: FeedStatus,
    },
    /// Answer to [`Request::GetStats`].
    Stats {
        /// The figures.
        stats: WorkerStats,
    },
    /// Answer to [`Request::GetPopup`].
    Popup {
        /// The view.
        popup: crate::panel::PopupView,
    },
    /// Answer to [`Request::GetDashboard`].
    Dashboard {
        /// The view.
        dashboard: crate::panel::DashboardView,
    },
    /// Answer to [`Request::GetExport`].
    Export {
        /// The format asked for.
        format: crate::panel::ExportFormat,
        /// The file's text.
        text: String,
    },
    /// Answer to [`Request::GetOptions`].
    Options {
        /// The view.
        options: crate::panel::OptionsView,
    },
    /// Answer to [`Request::MeasureLookups`].
    Lookups {
        /// Addresses looked up.
        count: u32,
        /// How many matched a range (all of them, unless the table is empty).
        matched: u32,
        /// Milliseconds the look-ups took (`performance.now()`; the addresses are made before).
        ms: f64,
    },
    /// Answer to a request that asked for its view `packed`: the view in
    /// [`packed`]'s form (the asker knows which view it asked for).
    Packed {
        /// [`packed::pack`]'s text.
        data: String,
    },
    /// The request was carried out.
    Done,
    /// The request failed; nothing changed.
    Error {
        /// Why.
        message: String,
    },
}

impl Response {
    /// The answer carrying `view`: [`Response::Packed`] when the request asked for it packed,
    /// else the view's own JSON answer, `json(view)`.
    pub fn view<T: Serialize>(
        view: T,
        packed: bool,
        json: impl FnOnce(T) -> Response,
    ) -> Result<Response, packed::PackError> {
        Ok(if packed {
            Response::Packed {
                data: packed::pack(&view)?,
            }
        } else {
            json(view)
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_with_tags() {
        let r = Request::GetSite {
            site: "example.com".into(),
        };
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "getSite", "site": "example.com"})
        );
        assert_eq!(serde_json::from_value::<Request>(v).unwrap(), r);
        // A page that does not ask for its view packed gets JSON, as before `packed` existed.
        let v = serde_json::json!({"type": "getTabPanel", "url": "https://a.example/"});
        assert_eq!(
            serde_json::from_value::<Request>(v).unwrap(),
            Request::GetTabPanel {
                url: "https://a.example/".into(),
                packed: false
            }
        );
        // The same view either way: packed when asked, else its JSON answer.
        let panel = crate::panel::TabPanel {
            note: Some("This tab is not a website.".into()),
            site: None,
        };
        let json = |panel| Response::TabPanel { panel };
        assert_eq!(
            Response::view(panel.clone(), false, json).unwrap(),
            Response::TabPanel {
                panel: panel.clone()
            }
        );
        let Response::Packed { data } = Response::view(panel.clone(), true, json).unwrap() else {
            panic!("not packed")
        };
        assert_eq!(
            packed::unpack::<crate::panel::TabPanel>(&data).unwrap(),
            panel
        );
        let v = serde_json::json!({"type": "getOverview"});
        assert_eq!(
            serde_json::from_value::<Request>(v).unwrap(),
            Request::GetOverview
        );
    }
}
