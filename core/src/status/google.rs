//! Google Cloud `incidents.json`: the whole incident history, open ones told by their end time.

use serde::Deserialize;

use super::dates::parse_rfc3339;
use super::{json, Indicator, ProviderIncident, ProviderStatus};
use crate::Millis;

#[derive(Deserialize)]
struct GcIncident {
    #[serde(default)]
    begin: Option<String>,
    #[serde(default)]
    end: Option<String>,
    #[serde(default)]
    external_desc: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    currently_affected_locations: Option<Vec<GcLocation>>,
    #[serde(default)]
    uri: Option<String>,
}

#[derive(Deserialize)]
struct GcLocation {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

pub(super) fn parse_google(
    provider: &str,
    text: &str,
    now: Millis,
) -> Result<ProviderStatus, String> {
    let all: Vec<GcIncident> = json(text)?;
    let mut indicator = Indicator::None;
    let mut incidents = Vec::new();
    for i in all {
        // Open: no end yet, or an end still ahead. An end that cannot be read was still set,
        // so the incident counts as closed rather than raising a stale alarm.
        let open = match i.end.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(end) => parse_rfc3339(end).is_some_and(|t| t > now),
        };
        if !open {
            continue;
        }
        let severity = i.severity.unwrap_or_else(|| "unknown".to_owned());
        indicator = indicator.worst(match severity.as_str() {
            "high" => Indicator::Critical,
            "medium" => Indicator::Major,
            _ => Indicator::Minor,
        });
        let mut affected: Vec<String> = i.service_name.into_iter().collect();
        affected.extend(
            i.currently_affected_locations
                .unwrap_or_default()
                .into_iter()
                .filter_map(|l| l.title.or(l.id)),
        );
        incidents.push(ProviderIncident {
            provider: provider.to_owned(),
            title: i
                .external_desc
                .map(|d| d.trim().to_owned())
                .unwrap_or_else(|| "(no description)".to_owned()),
            severity,
            url: i.uri.filter(|u| !u.is_empty()),
            started: i.begin,
            affected,
        });
    }
    Ok(ProviderStatus::of_incidents(provider, indicator, incidents))
}
