//! Provider status feeds: is the provider itself reporting trouble now?
//!
//! Parses Atlassian Statuspage `summary.json`, Google Cloud `incidents.json`, the AWS Health
//! public current events and RSS 2.0 status feeds (Azure's) into one [`ProviderStatus`] holding
//! the open incidents only. A malformed
//! document is a typed [`StatusError`], never a panic, and the caller keeps the last good status.
//! [`next_poll`] says when to ask again.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::Millis;
use crate::protocol::ProviderIncident;
use crate::rules::StatusKind;

/// Largest status document accepted. Google's `incidents.json` carries its whole history and
/// grows over the years; anything past this is not a status page.
pub const MAX_STATUS_BYTES: usize = 10 * 1024 * 1024;

/// Poll interval while a failure is open.
pub const POLL_FAILING_MS: Millis = 5 * 60 * 1_000;

/// Poll interval otherwise.
pub const POLL_QUIET_MS: Millis = 60 * 60 * 1_000;

/// How long a provider's status stays shown after its page was last asked: two quiet poll
/// intervals. Older means the polling stopped (status pages turned off, no site left on that
/// provider) and the incidents may be long over.
pub const STATUS_SHOWN_MS: Millis = 2 * POLL_QUIET_MS;

/// A status document format core can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusFormat {
    /// Atlassian Statuspage `/api/v2/summary.json`.
    Statuspage,
    /// Google Cloud `incidents.json`.
    GoogleCloud,
    /// AWS Health public current events (unofficial JSON).
    AwsHealth,
    /// An RSS 2.0 feed listing current incidents, one item each (Azure status).
    Rss,
}

impl StatusFormat {
    /// The format of a rules-file status source, `None` for kinds core does not parse.
    pub fn from_kind(kind: StatusKind) -> Option<Self> {
        match kind {
            StatusKind::Statuspage => Some(Self::Statuspage),
            StatusKind::GoogleCloud => Some(Self::GoogleCloud),
            StatusKind::AwsHealth => Some(Self::AwsHealth),
            StatusKind::Rss => Some(Self::Rss),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Statuspage => "statuspage",
            Self::GoogleCloud => "google-cloud",
            Self::AwsHealth => "aws-health",
            Self::Rss => "rss",
        }
    }
}

/// How bad things are overall, as the provider says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    /// All clear.
    None,
    /// Minor trouble (or maintenance).
    Minor,
    /// Major trouble.
    Major,
    /// Critical trouble.
    Critical,
    /// The page said something this code does not know.
    #[default]
    Unknown,
}

impl Indicator {
    fn rank(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Unknown => 1,
            Self::Minor => 2,
            Self::Major => 3,
            Self::Critical => 4,
        }
    }

    /// The worse of two.
    fn worst(self, other: Self) -> Self {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One provider's status right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderStatus {
    /// Provider id.
    pub provider: String,
    /// The overall indicator.
    pub indicator: Indicator,
    /// The page's own summary ("Partially Degraded Service"), if it gives one.
    pub description: Option<String>,
    /// Open incidents (resolved ones and post-mortems left out).
    pub incidents: Vec<ProviderIncident>,
    /// Components not operational, as "name (status)" (Statuspage only).
    #[serde(default)]
    pub degraded_components: Vec<String>,
}

impl ProviderStatus {
    /// True when the provider reports trouble: an open incident or an indicator above none.
    pub fn is_failing(&self) -> bool {
        !self.incidents.is_empty()
            || matches!(
                self.indicator,
                Indicator::Minor | Indicator::Major | Indicator::Critical
            )
    }

    /// Makes relative incident links (Google's `uri`) absolute against the feed's URL.
    pub fn resolve_links(&mut self, feed_url: &str) {
        let Some((scheme, rest)) = feed_url.split_once("://") else {
            return;
        };
        let origin_len = scheme.len() + 3 + rest.find('/').unwrap_or(rest.len());
        let origin = &feed_url[..origin_len];
        for incident in &mut self.incidents {
            if let Some(url) = &incident.url {
                if url.contains("://") {
                    continue;
                }
                incident.url = Some(if url.starts_with('/') {
                    format!("{origin}{url}")
                } else {
                    format!("{origin}/{url}")
                });
            }
        }
    }
}

/// Why a status document was refused; the previous status stays in use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// Nothing but whitespace.
    #[error("{provider}: empty status document")]
    Empty {
        /// Provider id.
        provider: String,
    },
    /// Bigger than [`MAX_STATUS_BYTES`].
    #[error("{provider}: status document of {size} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// Provider id.
        provider: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not UTF-8, nor UTF-16 with a byte-order mark.
    #[error("{provider}: status document is not text: {reason}")]
    Encoding {
        /// Provider id.
        provider: String,
        /// What was wrong.
        reason: &'static str,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("{provider}: {format} status document: {message}")]
    Malformed {
        /// Provider id.
        provider: String,
        /// The expected format.
        format: &'static str,
        /// What was wrong.
        message: String,
    },
}

/// Parses a status document of `provider` in `format`; `now` decides which Google incidents are
/// still open.
pub fn parse_status(
    format: StatusFormat,
    provider: &str,
    bytes: &[u8],
    now: Millis,
) -> Result<ProviderStatus, StatusError> {
    if bytes.len() > MAX_STATUS_BYTES {
        return Err(StatusError::TooLarge {
            provider: provider.to_owned(),
            size: bytes.len(),
            limit: MAX_STATUS_BYTES,
        });
    }
    let text = decode_text(bytes).map_err(|reason| StatusError::Encoding {
        provider: provider.to_owned(),
        reason,
    })?;
    if text.trim().is_empty() {
        return Err(StatusError::Empty {
            provider: provider.to_owned(),
        });
    }
    let malformed = |message: String| StatusError::Malformed {
        provider: provider.to_owned(),
        format: format.name(),
        message,
    };
    match format {
        StatusFormat::Statuspage => parse_statuspage(provider, &text),
        StatusFormat::GoogleCloud => parse_google(provider, &text, now),
        StatusFormat::AwsHealth => parse_aws(provider, &text),
        StatusFormat::Rss => parse_rss(provider, &text),
    }
    .map_err(malformed)
}

/// When to poll the status feeds next: [`POLL_FAILING_MS`] after the last poll while a failure
/// is open, [`POLL_QUIET_MS`] otherwise, `now` when never polled, `None` when turned off. A time
/// at or before `now` means "poll now".
pub fn next_poll(
    now: Millis,
    any_failure_open: bool,
    enabled: bool,
    last_poll: Option<Millis>,
) -> Option<Millis> {
    if !enabled {
        return None;
    }
    let interval = if any_failure_open {
        POLL_FAILING_MS
    } else {
        POLL_QUIET_MS
    };
    Some(last_poll.map_or(now, |t| t.saturating_add(interval)))
}

/// UTF-8 (with or without BOM) or UTF-16 LE/BE: with a BOM, or detected from the zero bytes an
/// ASCII first character leaves (every JSON document starts with one), as RFC 4627 did.
fn decode_text(bytes: &[u8]) -> Result<String, &'static str> {
    let utf16 = |body: &[u8], le: bool| -> Result<String, &'static str> {
        if body.len() % 2 != 0 {
            return Err("UTF-16 with an odd number of bytes");
        }
        let units = body.chunks_exact(2).map(|c| {
            let pair = [c[0], c[1]];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map_err(|_| "UTF-16 with an unpaired surrogate")
    };
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::str::from_utf8(rest)
            .map(str::to_owned)
            .map_err(|_| "invalid UTF-8"),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, true),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, false),
        [a, 0, ..] if *a != 0 => utf16(bytes, true),
        [0, b, ..] if *b != 0 => utf16(bytes, false),
        _ => std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| "invalid UTF-8"),
    }
}

fn json<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| e.to_string())
}

// ---- Atlassian Statuspage ----

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

fn parse_statuspage(provider: &str, text: &str) -> Result<ProviderStatus, String> {
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

// ---- Google Cloud ----

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

fn parse_google(provider: &str, text: &str, now: Millis) -> Result<ProviderStatus, String> {
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
    Ok(ProviderStatus {
        provider: provider.to_owned(),
        indicator,
        description: None,
        incidents,
        degraded_components: Vec::new(),
    })
}

// ---- AWS Health current events ----

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

/// Most items an RSS status feed may list: a status feed lists current incidents, and a
/// document with thousands of items is not one.
pub const MAX_RSS_ITEMS: usize = 200;

/// Deepest element nesting accepted in an RSS document (items sit at depth 3).
const MAX_RSS_DEPTH: usize = 32;

/// One `<item>` being read.
#[derive(Default)]
struct RssItem {
    title: String,
    link: String,
    pub_date: String,
    categories: Vec<String>,
}

/// RSS 2.0 (Azure status): every `<item>` of the `<channel>` is an incident the provider lists
/// now (the feed drops an incident once it is over), so any item means failing. Titles marked
/// resolved (`[RESOLVED] …`, `Resolved: …`) are left out, as in the AWS parser. Character and
/// the five XML entity references are resolved; no DTD is read, so no entity can expand.
fn parse_rss(provider: &str, text: &str) -> Result<ProviderStatus, String> {
    use quick_xml::events::Event;
    use quick_xml::reader::Reader;
    use quick_xml::XmlVersion;

    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut saw_rss = false;
    let mut saw_channel = false;
    let mut item: Option<RssItem> = None;
    let mut items: Vec<RssItem> = Vec::new();
    // The text of the element being read inside an item, across text, CDATA and references.
    let mut field = String::new();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| format!("not well-formed XML at byte {at}: {e}"))?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_ascii_lowercase();
                if path.len() >= MAX_RSS_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_RSS_DEPTH}"));
                }
                let parent = path.last().map(String::as_str);
                match (parent, name.as_str()) {
                    (None, "rss") => saw_rss = true,
                    (None, root) => {
                        return Err(format!("root element <{root}>, expected <rss>"));
                    }
                    (Some("rss"), "channel") => saw_channel = true,
                    (Some("channel"), "item") => {
                        if items.len() >= MAX_RSS_ITEMS {
                            return Err(format!("more than {MAX_RSS_ITEMS} items"));
                        }
                        item = Some(RssItem::default());
                    }
                    _ => {}
                }
                field.clear();
                path.push(name);
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let in_item = path.last().is_some_and(|p| p == "item");
                if let (true, Some(it)) = (in_item, item.as_mut()) {
                    let value = field.split_whitespace().collect::<Vec<_>>().join(" ");
                    match name.as_str() {
                        "title" => it.title = value,
                        "link" => it.link = value,
                        "pubdate" => it.pub_date = value,
                        "category" if !value.is_empty() => it.categories.push(value),
                        _ => {}
                    }
                } else if name == "item" {
                    items.extend(item.take());
                }
                field.clear();
            }
            Event::Text(t) => field.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::CData(t) => field.push_str(&t.xml_content(XmlVersion::Implicit1_0)),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => field.push(c),
                Ok(None) => match quick_xml::escape::resolve_xml_entity(&r) {
                    Some(v) => field.push_str(v),
                    // An entity only a DTD could define: kept as written.
                    None => {
                        field.push('&');
                        field.push_str(&r);
                        field.push(';');
                    }
                },
                Err(e) => return Err(format!("bad character reference &{}; ({e})", &*r)),
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(format!("document ends inside <{}>", path.join("><")));
    }
    if !saw_rss {
        return Err("no <rss> element: not an RSS document".to_owned());
    }
    if !saw_channel {
        return Err("no <channel> in <rss>".to_owned());
    }
    let incidents: Vec<ProviderIncident> = items
        .into_iter()
        .filter(|it| {
            let t = it.title.to_ascii_lowercase();
            !(t.starts_with("[resolved]")
                || t.starts_with("resolved:")
                || t.starts_with("resolved -"))
        })
        .map(|it| ProviderIncident {
            provider: provider.to_owned(),
            title: if it.title.is_empty() {
                "(no title)".to_owned()
            } else {
                it.title
            },
            // The feed gives no severity; listed at all means the provider calls it an
            // incident.
            severity: "incident".to_owned(),
            url: (!it.link.is_empty()).then_some(it.link),
            started: (!it.pub_date.is_empty()).then_some(it.pub_date),
            affected: it.categories,
        })
        .collect();
    Ok(ProviderStatus {
        provider: provider.to_owned(),
        indicator: if incidents.is_empty() {
            Indicator::None
        } else {
            Indicator::Major
        },
        description: None,
        incidents,
        degraded_components: Vec::new(),
    })
}

fn parse_aws(provider: &str, text: &str) -> Result<ProviderStatus, String> {
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
    Ok(ProviderStatus {
        provider: provider.to_owned(),
        indicator,
        description: None,
        incidents,
        degraded_components: Vec::new(),
    })
}

// ---- dates ----

use crate::date::{civil_from_days, days_from_civil};

/// `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` → milliseconds since the epoch (`None` if malformed
/// or before 1970).
fn parse_rfc3339(s: &str) -> Option<Millis> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, sec) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if b.get(4) != Some(&b'-')
        || b.get(7) != Some(&b'-')
        || !matches!(b.get(10), Some(b'T' | b't' | b' '))
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
        || !(1..=12).contains(&mo)
        || !(1..=31).contains(&d)
        || h > 23
        || mi > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    let mut millis = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 3 {
                millis = millis * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..3 {
            millis *= 10;
        }
    }
    let offset_min = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if i + 6 == b.len() && b.get(i + 3) == Some(&b':') => {
            let (oh, om) = (num(i + 1, 2)?, num(i + 4, 2)?);
            let total = oh * 60 + om;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3_600 + mi * 60 + sec - offset_min * 60;
    let ms = secs.checked_mul(1_000)?.checked_add(millis)?;
    Millis::try_from(ms).ok()
}

/// Epoch seconds as text ("1714557600", "1714557600.5") → `2024-05-01T10:00:00Z`.
fn epoch_text_to_rfc3339(text: &str) -> Option<String> {
    let secs: f64 = text.trim().parse().ok()?;
    if !secs.is_finite() || !(0.0..1e11).contains(&secs) {
        return None;
    }
    // In range above: the cast cannot truncate meaningfully.
    #[allow(clippy::cast_possible_truncation)]
    let secs = secs as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    ))
}

#[cfg(test)]
mod tests;
