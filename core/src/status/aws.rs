//! AWS Health public current events (unofficial JSON, in several historic shapes).

use serde_json::Value;

use super::dates::epoch_text_to_rfc3339;
use super::{json, Indicator, ProviderIncident, ProviderStatus};

/// The first present, non-null field of `names`.
fn field<'a>(event: &'a serde_json::Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| event.get(*n).filter(|v| !v.is_null()))
}

/// A string or number field as text.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn parse_aws(provider: &str, text: &str) -> Result<ProviderStatus, String> {
    let doc: Value = json(text)?;
    // The old dashboard's data.json wrapped the list as {"current": [...], "archive": [...]}.
    let events = match &doc {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("current") {
            Some(Value::Array(a)) => a,
            _ => return Err("expected an array of events".to_owned()),
        },
        _ => return Err("expected an array of events".to_owned()),
    };
    let mut indicator = Indicator::None;
    let mut incidents = Vec::new();
    for (ix, event) in events.iter().enumerate() {
        let Value::Object(e) = event else {
            return Err(format!("event {ix} is not an object"));
        };
        let summary = field(e, &["summary", "title", "description"]).and_then(text_of);
        let status = field(e, &["status", "status_code", "statusCode"]).and_then(text_of);
        let ended = field(e, &["endTime", "end_time", "end"]).and_then(text_of);
        // Status numbers as the dashboard uses them: 0 resolved, 1 informational,
        // 2 degraded, 3 disrupted. Words are accepted too.
        let (open, level, severity) =
            match status.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("0" | "resolved" | "closed") => (false, Indicator::None, "resolved"),
                Some("1" | "informational" | "info") => (true, Indicator::Minor, "informational"),
                Some("2" | "degraded" | "degradation" | "performance") => {
                    (true, Indicator::Major, "degraded")
                }
                Some("3" | "disrupted" | "disruption" | "outage") => {
                    (true, Indicator::Critical, "disrupted")
                }
                _ => (true, Indicator::Unknown, "unknown"),
            };
        let resolved_title = summary
            .as_deref()
            .is_some_and(|s| s.to_ascii_uppercase().starts_with("[RESOLVED]"));
        if !open || ended.is_some() || resolved_title {
            continue;
        }
        indicator = indicator.worst(level);
        let service = field(e, &["service_name", "serviceName", "service"]).and_then(text_of);
        let region = field(e, &["region_name", "regionName", "region"]).and_then(text_of);
        let started = field(e, &["date", "startTime", "start_time"])
            .and_then(text_of)
            .map(|d| epoch_text_to_rfc3339(&d).unwrap_or(d));
        incidents.push(ProviderIncident {
            provider: provider.to_owned(),
            title: summary
                .or_else(|| service.clone())
                .unwrap_or_else(|| "(no summary)".to_owned()),
            severity: severity.to_owned(),
            url: field(e, &["url", "link"]).and_then(text_of),
            started,
            affected: service.into_iter().chain(region).collect(),
        });
    }
    Ok(ProviderStatus::of_incidents(provider, indicator, incidents))
}
