//! The dashboard's downloads: every site as CSV (RFC 4180, neutralized against formula
//! injection) or JSON, built in the worker so a page never holds every site's exposure.

use serde::{Deserialize, Serialize};

use crate::date::iso_time;
use crate::exposure::ExposureLayer;
use crate::summary::SiteSummary;

/// A download's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values, one line per site.
    Csv,
    /// A JSON array, one object per site.
    Json,
}

impl ExportFormat {
    /// The file name a download suggests.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Csv => "onebasket-sites.csv",
            ExportFormat::Json => "onebasket-sites.json",
        }
    }

    /// The MIME type of the download.
    pub fn mime(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv;charset=utf-8",
            ExportFormat::Json => "application/json",
        }
    }
}

/// One CSV field: neutralized against formula injection (a leading `=`, `+`, `-`, `@`, tab or
/// carriage return gets a `'`, as OWASP recommends), then always quoted with `"` doubled.
pub fn csv_field(v: &str) -> String {
    let mut out = String::with_capacity(v.len() + 3);
    out.push('"');
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    out.push_str(&v.replace('"', "\"\""));
    out.push('"');
    out
}

/// One critical dependency a site has beyond its main host, for the exports.
#[derive(Debug, Serialize)]
struct DependsOn<'a> {
    /// `aws`, `aws us-west-2`, `cloudflare dns`, `fastly edge`.
    on: String,
    /// The hosts through which.
    via: Vec<&'a str>,
}

fn depends_on(s: &SiteSummary) -> Vec<DependsOn<'_>> {
    s.exposure
        .critical
        .iter()
        .filter(|e| !e.via.is_empty())
        .map(|e| DependsOn {
            on: match (&e.layer, &e.region) {
                (ExposureLayer::Dns, _) => format!("{} dns", e.provider),
                (ExposureLayer::Edge, _) => format!("{} edge", e.provider),
                (_, Some(r)) => format!("{} {r}", e.provider),
                (_, None) => e.provider.clone(),
            },
            via: e.via.iter().map(|v| v.host.as_str()).collect(),
        })
        .collect()
}

/// Every row as CSV with a header line (CRLF line ends).
pub fn to_csv(sites: &[SiteSummary]) -> String {
    let mut out = String::from(
        "site,main_host,cloud,hosting,region,edge,dns,status,last_seen,visits,failures,depends_on\r\n",
    );
    for s in sites {
        let text = [
            s.site.as_str(),
            s.main_host.as_str(),
            s.class.cloud.as_deref().unwrap_or(""),
            s.class.hosting.as_deref().unwrap_or(""),
            s.class.region.as_deref().unwrap_or(""),
            s.class.edge.as_deref().unwrap_or(""),
            s.class.dns.as_deref().unwrap_or(""),
            s.status.word(),
            &iso_time(s.last_seen),
        ];
        for v in text {
            out.push_str(&csv_field(v));
            out.push(',');
        }
        // "aws us-west-2 via auth.idp.example; gcp via a.example b.example"
        let deps: Vec<String> = depends_on(s)
            .iter()
            .map(|d| format!("{} via {}", d.on, d.via.join(" ")))
            .collect();
        out.push_str(&format!(
            "{},{},{}\r\n",
            s.visits,
            s.failures,
            csv_field(&deps.join("; "))
        ));
    }
    out
}

/// One site in the JSON export: the protocol's field names for its row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonRow<'a> {
    site: &'a str,
    main_host: &'a str,
    badge: Option<&'a str>,
    cloud: Option<&'a str>,
    hosting: Option<&'a str>,
    region: Option<&'a str>,
    edge: Option<&'a str>,
    dns: Option<&'a str>,
    status: &'static str,
    last_seen: u64,
    visits: u32,
    failures: u32,
    depends_on: Vec<DependsOn<'a>>,
}

/// Every row as a JSON array, one object per line.
pub fn to_json(sites: &[SiteSummary]) -> String {
    let mut out = String::from("[");
    for (n, s) in sites.iter().enumerate() {
        out.push_str(if n == 0 { "\n  " } else { ",\n  " });
        let row = JsonRow {
            site: &s.site,
            main_host: &s.main_host,
            badge: s.class.badge_provider(),
            cloud: s.class.cloud.as_deref(),
            hosting: s.class.hosting.as_deref(),
            region: s.class.region.as_deref(),
            edge: s.class.edge.as_deref(),
            dns: s.class.dns.as_deref(),
            status: s.status.word(),
            last_seen: s.last_seen,
            visits: s.visits,
            failures: s.failures,
            depends_on: depends_on(s),
        };
        // Serializing strings and numbers cannot fail; `null` would stand in if it ever did.
        out.push_str(&serde_json::to_string(&row).unwrap_or_else(|_| "null".to_owned()));
    }
    out.push_str(if sites.is_empty() { "]\n" } else { "\n]\n" });
    out
}
