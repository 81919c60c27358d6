//! Reading a [`Request`] in one pass, without buffering it.
//!
//! `Request` is written `{"type": "getTab", "url": …}`: the tag sits among the fields, in any
//! order. serde's derive for such an enum first copies the whole message into its generic
//! `Content` tree and then reads that again as the variant's fields, which instantiates a
//! second reader of every type a request carries (the settings, both queries): 71 KB of the
//! worker's wasm. Here the message is read once as [`Wire`], every request's fields side by
//! side, and the `type` then says which of them the request takes. The wire form is the
//! derive's own (`Request` still derives `Serialize`); a test round-trips every variant.

use serde::{Deserialize, Deserializer};

use super::Request;
use crate::panel::{Column, DashboardQuery, ExportFormat, PopupQuery};
use crate::reach::{GroupBy, GroupKey, Target};
use crate::settings::Settings;

/// A request's `type`, as [`Request`]'s variants are named on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Kind {
    GetOverview,
    GetSite,
    GetTab,
    GetTabPanel,
    GetSettings,
    SetSettings,
    ClearData,
    RefreshFeeds,
    CheckNow,
    GetStats,
    GetPopup,
    GetDashboard,
    GetExport,
    GetOptions,
    MeasureLookups,
}

/// Every request's fields; which of them a request takes, its `type` says.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(default)]
    site: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    packed: bool,
    #[serde(default)]
    settings: Option<Settings>,
    #[serde(default)]
    query: Query,
    #[serde(default)]
    format: Option<ExportFormat>,
    #[serde(default)]
    count: Option<u32>,
}

/// The `query` of `getPopup` ([`PopupQuery`]) and of `getDashboard` ([`DashboardQuery`]): both
/// queries' fields, read before the `type` says which query it is. An absent field takes the
/// query's default, as each query's own `#[serde(default)]` does.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Query {
    group_by: Option<GroupBy>,
    filter: Option<String>,
    open: Option<Vec<Option<GroupKey>>>,
    sort: Option<Column>,
    descending: Option<bool>,
    /// `null` (no limit) is not an absent limit (the default page).
    #[serde(deserialize_with = "present")]
    limit: Option<Option<usize>>,
    what_if: Option<Target>,
}

/// The field a request of this `type` must carry.
fn need<T, E: serde::de::Error>(field: Option<T>, name: &'static str) -> Result<T, E> {
    field.ok_or_else(|| E::missing_field(name))
}

/// A field that is present, even as `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl Query {
    fn popup(self) -> PopupQuery {
        let d = PopupQuery::default();
        PopupQuery {
            group_by: self.group_by.unwrap_or(d.group_by),
            filter: self.filter.unwrap_or(d.filter),
            open: self.open.unwrap_or(d.open),
        }
    }

    fn dashboard(self) -> DashboardQuery {
        let d = DashboardQuery::default();
        DashboardQuery {
            sort: self.sort.unwrap_or(d.sort),
            descending: self.descending.unwrap_or(d.descending),
            filter: self.filter.unwrap_or(d.filter),
            limit: self.limit.unwrap_or(d.limit),
            what_if: self.what_if.or(d.what_if),
        }
    }
}

impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(match w.kind {
            Kind::GetOverview => Request::GetOverview,
            Kind::GetSite => Request::GetSite {
                site: need(w.site, "site")?,
            },
            Kind::GetTab => Request::GetTab {
                url: need(w.url, "url")?,
            },
            Kind::GetTabPanel => Request::GetTabPanel {
                url: need(w.url, "url")?,
                packed: w.packed,
            },
            Kind::GetSettings => Request::GetSettings,
            Kind::SetSettings => Request::SetSettings {
                settings: need(w.settings, "settings")?,
            },
            Kind::ClearData => Request::ClearData,
            Kind::RefreshFeeds => Request::RefreshFeeds,
            Kind::CheckNow => Request::CheckNow,
            Kind::GetStats => Request::GetStats,
            Kind::GetPopup => Request::GetPopup {
                query: w.query.popup(),
                packed: w.packed,
            },
            Kind::GetDashboard => Request::GetDashboard {
                query: w.query.dashboard(),
            },
            Kind::GetExport => Request::GetExport {
                format: need(w.format, "format")?,
            },
            Kind::GetOptions => Request::GetOptions,
            Kind::MeasureLookups => Request::MeasureLookups {
                count: need(w.count, "count")?,
            },
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    /// One request of every variant, each field away from its default. The match fails to
    /// compile when a variant is added, and the struct literals when a query gains a field:
    /// either way this list, and so [`Wire`], must follow.
    fn every_request() -> Vec<Request> {
        let popup = PopupQuery {
            group_by: GroupBy::Dns,
            filter: "shop".into(),
            open: vec![None, Some(GroupKey::provider("aws"))],
        };
        let dashboard = DashboardQuery {
            sort: Column::Site,
            descending: false,
            filter: "bank".into(),
            limit: None,
            what_if: Some(Target::Region("aws".into(), "us-east-1".into())),
        };
        let settings = Settings {
            record_incognito: true,
            ..Settings::default()
        };
        let all = vec![
            Request::GetOverview,
            Request::GetSite {
                site: "example.com".into(),
            },
            Request::GetTab {
                url: "https://a.example/".into(),
            },
            Request::GetTabPanel {
                url: "https://a.example/".into(),
                packed: true,
            },
            Request::GetSettings,
            Request::SetSettings { settings },
            Request::ClearData,
            Request::RefreshFeeds,
            Request::CheckNow,
            Request::GetStats,
            Request::GetPopup {
                query: popup,
                packed: true,
            },
            Request::GetDashboard { query: dashboard },
            Request::GetExport {
                format: ExportFormat::Json,
            },
            Request::GetOptions,
            Request::MeasureLookups { count: 7 },
        ];
        for r in &all {
            match r {
                Request::GetOverview
                | Request::GetSite { .. }
                | Request::GetTab { .. }
                | Request::GetTabPanel { .. }
                | Request::GetSettings
                | Request::SetSettings { .. }
                | Request::ClearData
                | Request::RefreshFeeds
                | Request::CheckNow
                | Request::GetStats
                | Request::GetPopup { .. }
                | Request::GetDashboard { .. }
                | Request::GetExport { .. }
                | Request::GetOptions
                | Request::MeasureLookups { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_request_reads_back_as_the_derive_writes_it() {
        for r in every_request() {
            let v = serde_json::to_value(&r).unwrap();
            assert_eq!(
                serde_json::from_value::<Request>(v.clone()).unwrap(),
                r,
                "{v}"
            );
        }
        // Each query's defaults for what a page leaves out, `null` meaning no limit.
        let read = |v| serde_json::from_value::<Request>(v).unwrap();
        assert_eq!(
            read(json!({"type": "getDashboard"})),
            Request::GetDashboard {
                query: DashboardQuery::default()
            }
        );
        assert_eq!(
            read(json!({"query": {"limit": null}, "type": "getDashboard"})),
            Request::GetDashboard {
                query: DashboardQuery {
                    limit: None,
                    ..DashboardQuery::default()
                }
            }
        );
        assert_eq!(
            read(json!({"type": "getPopup", "query": {"filter": "x"}})),
            Request::GetPopup {
                query: PopupQuery {
                    filter: "x".into(),
                    ..PopupQuery::default()
                },
                packed: false
            }
        );
    }

    #[test]
    fn a_request_without_its_fields_or_type_is_refused() {
        for (v, why) in [
            (json!({"type": "getTab"}), "missing field `url`"),
            (
                json!({"type": "getSite", "url": "x"}),
                "missing field `site`",
            ),
            (json!({"type": "setSettings"}), "missing field `settings`"),
            (json!({"type": "getExport"}), "missing field `format`"),
            (json!({"type": "measureLookups"}), "missing field `count`"),
            (json!({"url": "x"}), "missing field `type`"),
            (
                json!({"type": "getEverything"}),
                "unknown variant `getEverything`",
            ),
            (json!({"type": "getTab", "url": 3}), "invalid type"),
            (json!("getTab"), "invalid type"),
        ] {
            let e = serde_json::from_value::<Request>(v.clone()).unwrap_err();
            assert!(e.to_string().contains(why), "{v}: {e}");
        }
    }
}
