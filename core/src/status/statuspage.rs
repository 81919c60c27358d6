//! Atlassian Statuspage `/api/v2/summary.json` (most providers' status pages).

use serde::Deserialize;

use super::{json, Indicator, ProviderIncident, ProviderStatus};

#[derive(Deserialize)]
struct SpSummary {
    status: SpStatus,
    #[serde(default)]
    components: Option<Vec<SpComponent>>,
    #[serde(default)]
    incidents: Option<Vec<SpIncident>>,
}

#[derive(Deserialize)]
struct SpStatus {
    indicator: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct SpComponent {
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    group: Option<bool>,
}

#[derive(Deserialize)]
struct SpIncident {
    name: String,
    status: String,
    #[serde(default)]
    impact: Option<String>,
    #[serde(default)]
    shortlink: Option<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    components: Option<Vec<SpComponent>>,
}

pub(super) fn parse_statuspage(provider: &str, text: &str) -> Result<ProviderStatus, String> {
    let s: SpSummary = json(text)?;
    let indicator = match s.status.indicator.as_str() {
        "none" => Indicator::None,
        "minor" => Indicator::Minor,
        "major" => Indicator::Major,
        "critical" => Indicator::Critical,
        // Planned work still changes how the provider behaves: shown, but as the mildest level.
        "maintenance" => Indicator::Minor,
        _ => Indicator::Unknown,
    };
    let degraded_components = s
        .components
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.group != Some(true))
        .filter_map(|c| {
            let status = c.status?;
            (status != "operational").then(|| format!("{} ({status})", c.name))
        })
        .collect();
    let incidents = s
        .incidents
        .unwrap_or_default()
        .into_iter()
        .filter(|i| !matches!(i.status.as_str(), "resolved" | "postmortem" | "completed"))
        .map(|i| ProviderIncident {
            provider: provider.to_owned(),
            title: i.name,
            severity: i.impact.unwrap_or_else(|| "unknown".to_owned()),
            url: i.shortlink.filter(|u| !u.is_empty()),
            started: i.started_at.or(i.created_at),
            affected: i
                .components
                .unwrap_or_default()
                .into_iter()
                .map(|c| c.name)
                .collect(),
        })
        .collect();
    Ok(ProviderStatus {
        provider: provider.to_owned(),
        indicator,
        description: s.status.description.filter(|d| !d.is_empty()),
        incidents,
        degraded_components,
    })
}
