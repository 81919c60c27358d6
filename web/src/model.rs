//! What the pages compute from the worker's rows: groups, the headline figure, what-if, sorting,
//! filtering, exports. Pure functions over [`SiteSummary`] so they are tested natively.
//!
//! Everything here treats the rows as external input: any string, any number, missing fields.

use std::cmp::Ordering;

use onebasket::deps::Blame;
use onebasket::exposure::reach::Counts;
pub use onebasket::exposure::reach::{
    group, headline, is_failing, percent, sort_indices, sort_with, what_if, what_if_choices, Group,
    GroupBy, GroupKey, Headline, Hit, Target, WhatIf, WhatIfChoices,
};
pub use onebasket::exposure::{Exposed, ExposureLayer, Path, Through, Via};
use onebasket::protocol::{FeedStatus, HealthState, SiteSummary};

use crate::providers;

/// Milliseconds in a day.
pub const DAY_MS: u64 = 86_400_000;

/// Display words of what the core computes: group labels, target labels, the headline and
/// what-if sentences. The figures themselves are `onebasket::exposure::reach`'s.
pub trait Label {
    /// The words a page shows for it.
    fn label(&self) -> String;
}

/// "Cloud", "Region", "DNS": the label of a grouping's toggle button.
pub fn group_by_label(by: GroupBy) -> &'static str {
    match by {
        GroupBy::Cloud => "Cloud",
        GroupBy::Region => "Region",
        GroupBy::Dns => "DNS",
    }
}

/// A DNS provider's product name: "Route 53" for AWS, else the provider's name.
pub fn dns_name(id: &str) -> &str {
    providers::dns_name(id)
}

impl Label for GroupKey {
    /// "Amazon Web Services", "AWS us-east-1", "AWS (region unknown)", "Route 53 + NS1
    /// (redundant)".
    fn label(&self) -> String {
        if self.is_redundant() {
            let mut t = dns_set(Some(&self.provider), &self.also, self.own, self.other);
            t.push_str(" (redundant)");
            return t;
        }
        match self.region.as_deref() {
            None => providers::name(&self.provider).to_owned(),
            Some("") => format!("{} (region unknown)", providers::badge(&self.provider)),
            Some(r) => format!("{} {r}", providers::badge(&self.provider)),
        }
    }
}

impl Label for Group {
    fn label(&self) -> String {
        self.key
            .as_ref()
            .map_or_else(|| "Unknown".to_owned(), Label::label)
    }
}

impl Label for Target {
    fn label(&self) -> String {
        match self {
            Target::Provider(p) => providers::name(p).to_owned(),
            Target::Region(h, r) => format!("{} {r}", providers::badge(h)),
            Target::Dns(p) => dns_name(p).to_owned(),
        }
    }
}

/// The colour of a group.
pub fn group_color(g: &Group) -> &'static str {
    g.key
        .as_ref()
        .map_or(providers::NEUTRAL, |k| providers::color(Some(&k.provider)))
}

/// "Route 53 + NS1", "Route 53 + own name servers", "own name servers", "NS1": the operators
/// of a site's DNS.
pub fn dns_set(first: Option<&String>, also: &[String], own: bool, other: bool) -> String {
    let mut t = String::new();
    let mut add = |name: &str| {
        if !t.is_empty() {
            t.push_str(" + ");
        }
        t.push_str(name);
    };
    for d in first.into_iter().chain(also) {
        add(dns_name(d));
    }
    if own {
        add("own name servers");
    }
    if other && (first.is_some() || own) {
        add("another provider");
    }
    if t.is_empty() {
        t.push_str("unknown");
    }
    t
}

/// The site's DNS in its line: "DNS on Route 53", "redundant DNS: Route 53 + NS1", "own DNS";
/// `None` when unknown.
pub fn dns_line(s: &SiteSummary) -> Option<String> {
    if s.dns.is_none() && !s.own_dns {
        return None;
    }
    if s.redundant_dns() {
        let mut t = "redundant DNS: ".to_owned();
        t.push_str(&dns_set(
            s.dns.as_ref(),
            &s.dns_also,
            s.own_dns,
            s.dns_other,
        ));
        return Some(t);
    }
    Some(match &s.dns {
        Some(d) => format!("DNS on {}", dns_name(d)),
        None => "own DNS".to_owned(),
    })
}

/// "origin unknown behind Cloudflare" for a site seen only through its CDN.
pub fn origin_line(s: &SiteSummary) -> Option<String> {
    let edge = s.edge.as_deref().filter(|_| s.origin_unknown())?;
    Some(format!("origin unknown behind {}", providers::name(edge)))
}

/// The cloud a site runs on: the ultimate cloud, else the host itself; behind a CDN with an
/// unknown origin, none.
pub fn cloud_of(s: &SiteSummary) -> Option<&str> {
    s.cloud.as_deref().or(s.hosting.as_deref())
}

/// How the sites depending on a provider do, beside running there: "DNS: 3; 1 through a third
/// party" for the headline (`short`), "3 through DNS, 1 through a third party" for a group;
/// `None` when they all run there.
pub fn through_text(c: &Counts, short: bool) -> Option<String> {
    let mut t = String::new();
    for (n, long, brief) in [
        (c.edge, "behind its CDN", "CDN: "),
        (c.dns, "through DNS", "DNS: "),
        (c.own_host, "through other hosts of theirs", "other hosts: "),
        (c.third_party, "through a third party", ""),
    ] {
        if n == 0 {
            continue;
        }
        if !t.is_empty() {
            t.push_str(if short { "; " } else { ", " });
        }
        let n = n.to_string();
        if short && !brief.is_empty() {
            t.push_str(brief);
            t.push_str(&n);
        } else {
            t.push_str(&n);
            t.push(' ');
            t.push_str(long);
        }
    }
    (!t.is_empty()).then_some(t)
}

/// "71 % of the sites you visited this week run on AWS; 40 % in us-east-1", or "… run on AWS
/// or depend on it (DNS: 3); …" when some depend on it otherwise than by running there.
pub fn headline_text(h: &Headline) -> String {
    let scope = if h.this_week {
        "the sites you visited this week"
    } else {
        "your sites"
    };
    let Some((cloud, n)) = &h.cloud else {
        return format!(
            "No cloud identified yet for {scope} ({} site{}).",
            h.total,
            plural(h.total)
        );
    };
    let mut t = format!(
        "{} % of {scope} run on {}",
        percent(*n, h.total),
        providers::badge(cloud)
    );
    if let Some(how) = through_text(&h.by, true) {
        t.push_str(" or depend on it (");
        t.push_str(&how);
        t.push(')');
    }
    if let Some((region, rn)) = &h.region {
        t.push_str(&format!("; {} % in {region}", percent(*rn, h.total)));
    }
    t
}

/// "400 of 1000 sites (40 %) would go down with AWS us-east-1." when the sites hit depend on
/// it one way (running there, or all through DNS); otherwise "If AWS us-west-2 fails, 3 of your
/// 4 sites break: 1 hosted there, 2 through a third party." ("directly" for a provider, which
/// may be a site's CDN rather than its host).
pub fn what_if_text(w: &WhatIf<'_>, target: &Target) -> String {
    let n = w.hits.len();
    let c = w.counts();
    let served = c.dns + c.edge;
    if c.third_party == 0 && (served == 0 || served == n) {
        return format!(
            "{n} of {} sites ({} %) would go down with {}.",
            w.total,
            percent(n, w.total),
            target.label()
        );
    }
    let direct = match target {
        Target::Region(..) => "hosted there",
        _ => "directly",
    };
    let mut parts = vec![format!("{} {direct}", c.hosted + c.own_host)];
    if c.edge > 0 {
        parts.push(format!("{} behind its CDN", c.edge));
    }
    if c.dns > 0 {
        parts.push(format!("{} through DNS", c.dns));
    }
    if c.third_party > 0 {
        parts.push(format!("{} through a third party", c.third_party));
    }
    format!(
        "If {} fails, {n} of your {} site{} break{}: {}.",
        target.label(),
        w.total,
        plural(w.total),
        if n == 1 { "s" } else { "" },
        parts.join(", ")
    )
}

/// "s" unless one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Indices of failing sites: down first, then degraded, most recently seen first.
pub fn failing(sites: &[SiteSummary]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..sites.len())
        .filter(|&i| is_failing(&sites[i]))
        .collect();
    sort_indices(&mut idx, &|a, b| {
        status_rank(sites[a].status)
            .cmp(&status_rank(sites[b].status))
            .then_with(|| sites[b].last_seen.cmp(&sites[a].last_seen))
    });
    idx
}

/// Sort rank of a status: the worst first.
pub fn status_rank(s: HealthState) -> u8 {
    match s {
        HealthState::Down => 0,
        HealthState::Degraded => 1,
        HealthState::Unknown => 2,
        HealthState::Up => 3,
    }
}

/// Display word of a status.
pub fn status_label(s: HealthState) -> &'static str {
    match s {
        HealthState::Up => "up",
        HealthState::Degraded => "degraded",
        HealthState::Down => "down",
        HealthState::Unknown => "unknown",
    }
}

/// True when the filter text matches the site, its host, a provider (id or name) or region,
/// its own or that of a host it needs.
/// `needle` must already be trimmed and lowercase.
pub fn matches(s: &SiteSummary, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    // ASCII folding: hostnames are punycode and provider names ASCII, and Unicode case tables
    // would cost wasm for nothing.
    let has = |v: &str| v.to_ascii_lowercase().contains(needle);
    let provider = |p: &str| has(p) || has(providers::name(p)) || has(providers::badge(p));
    has(&s.site)
        || has(&s.main_host)
        || s.region.as_deref().is_some_and(has)
        || [&s.cloud, &s.hosting, &s.edge, &s.dns]
            .into_iter()
            .flatten()
            .any(|p| provider(p))
        || s.exposure.critical.iter().any(|e| {
            provider(&e.provider)
                || e.region.as_deref().is_some_and(has)
                || e.via.iter().any(|v| has(&v.host))
        })
}

/// One host through which a site depends on `e`'s provider: the site's own by name with its
/// region, "api.example.com (us-east-1)" (and its host when that is not `e`'s provider, "(VCL
/// iad1)"); a third party as "<role> through <host> (<its host> <region>)", "login through
/// auth.example-idp.com (AWS us-west-2)".
pub fn via_text(e: &Exposed, v: &Via) -> String {
    let mut out = String::new();
    if v.third_party {
        out.push_str(&v.role);
        out.push_str(" through ");
    }
    out.push_str(&v.host);
    let hosting = v.hosting.as_deref().unwrap_or(&e.provider);
    let badge = (v.third_party || hosting != e.provider).then(|| providers::badge(hosting));
    let mut sep = " (";
    for part in [badge, v.region.as_deref()].into_iter().flatten() {
        out.push_str(sep);
        out.push_str(part);
        sep = " ";
    }
    if sep == " " {
        out.push(')');
    }
    out
}

/// "images from img.example-cdn.com": a host a site loads only what it can do without from.
pub fn loads_text(v: &Via) -> String {
    format!("{} from {}", v.role, v.host)
}

/// "and 3 more hosts": the hosts of an exposure entry past those named.
pub fn more_text(more: u32) -> String {
    format!("and {more} more host{}", plural(more as usize))
}

/// The cloud entries of an exposure that name a host.
pub fn clouds(list: &[Exposed]) -> impl Iterator<Item = &Exposed> {
    list.iter()
        .filter(|e| e.layer == ExposureLayer::Cloud && !e.via.is_empty())
}

/// The hosts named in `e`, each as `text` gives it, separated by `sep`, then "<sep>and N more
/// hosts" for those not named: "api.example.com (us-east-1); login through … (AWS us-west-2)".
pub fn host_list(e: &Exposed, text: &dyn Fn(&Exposed, &Via) -> String, sep: &str) -> String {
    let mut out = String::new();
    for v in &e.via {
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(&text(e, v));
    }
    if e.more > 0 {
        out.push_str(sep);
        out.push_str(&more_text(e.more));
    }
    out
}

/// [`loads_text`] in the shape [`host_list`] takes.
pub fn loads_via(_: &Exposed, v: &Via) -> String {
    loads_text(v)
}

/// What a site needs beyond its main host, one part per cloud, joined by " · ": "partly on
/// AWS: api.example.com (us-east-1); login through auth.example-idp.com (AWS us-west-2)" for a
/// cloud its main host is not on; "also on AWS: …" for the main host's own cloud when other
/// hosts there bring a third party or another hosting or region. `None` when there is nothing
/// to say.
pub fn partly_on(s: &SiteSummary) -> Option<String> {
    let critical = &s.exposure.critical;
    let mut out = String::new();
    for e in clouds(critical)
        .filter(|e| !e.own)
        .chain(clouds(critical).filter(|e| e.own))
    {
        let same_place = e
            .via
            .iter()
            .all(|v| v.hosting == s.hosting && v.region == s.region);
        if e.own && !e.third_party && same_place {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" · ");
        }
        out.push_str(if e.own { "also on " } else { "partly on " });
        out.push_str(providers::badge(&e.provider));
        out.push_str(": ");
        out.push_str(&host_list(e, &via_text, "; "));
    }
    (!out.is_empty()).then_some(out)
}

/// "Also loads images from img.example-cdn.com (Google Cloud) — not needed for the site to
/// work": the clouds a site loads only images, fonts, media or beacons from. `None` when there
/// are none.
pub fn also_loads(s: &SiteSummary) -> Option<String> {
    let mut out = String::new();
    for e in clouds(&s.exposure.non_critical) {
        out.push_str(if out.is_empty() { "Also loads " } else { "; " });
        out.push_str(&host_list(e, &loads_via, ", "));
        out.push_str(" (");
        out.push_str(providers::name(&e.provider));
        out.push(')');
    }
    (!out.is_empty()).then(|| out + " — not needed for the site to work")
}

/// "fails because login through auth.example-idp.com (AWS us-west-2) does not answer:
/// net::ERR_CONNECTION_REFUSED": a failing site whose own hosts answer.
pub fn blame_text(b: &Blame) -> String {
    let mut t = format!("fails because {} through {}", b.role, b.host);
    if let Some(c) = &b.class {
        let region = c.hosting.as_ref().and(c.region.as_deref());
        if let Some(p) = c.hosting.as_ref().or(c.cloud.as_ref()).or(c.edge.as_ref()) {
            t.push_str(" (");
            t.push_str(providers::badge(p));
            if let Some(r) = region {
                t.push(' ');
                t.push_str(r);
            }
            t.push(')');
        }
    }
    t.push_str(" does not answer");
    if let Some(e) = b.error.as_deref().filter(|e| !e.is_empty()) {
        t.push_str(": ");
        t.push_str(e);
    }
    t
}

/// Columns of the dashboard's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// Site key.
    Site,
    /// Ultimate cloud.
    Cloud,
    /// Hosting region.
    Region,
    /// Edge / CDN.
    Edge,
    /// DNS provider.
    Dns,
    /// Health.
    Status,
    /// Last visit.
    LastSeen,
    /// Visits.
    Visits,
}

impl Column {
    /// Every column, in table order.
    pub const ALL: [Column; 8] = [
        Column::Site,
        Column::Cloud,
        Column::Region,
        Column::Edge,
        Column::Dns,
        Column::Status,
        Column::LastSeen,
        Column::Visits,
    ];

    /// Header text.
    pub fn label(self) -> &'static str {
        match self {
            Column::Site => "Site",
            Column::Cloud => "Cloud",
            Column::Region => "Region",
            Column::Edge => "Edge",
            Column::Dns => "DNS",
            Column::Status => "Status",
            Column::LastSeen => "Last seen",
            Column::Visits => "Visits",
        }
    }

    /// The natural first direction: newest, most visited and worst first; names A→Z.
    pub fn descending_first(self) -> bool {
        matches!(self, Column::LastSeen | Column::Visits)
    }
}

fn opt_name(v: Option<&str>) -> String {
    v.map(|p| providers::name(p).to_ascii_lowercase())
        .unwrap_or_default()
}

/// Orders two rows by a column (unknown values after known ones when ascending), then by site.
pub fn compare(a: &SiteSummary, b: &SiteSummary, col: Column) -> Ordering {
    let by_opt = |x: String, y: String| match (x.is_empty(), y.is_empty()) {
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => x.cmp(&y),
    };
    let primary = match col {
        Column::Site => a.site.cmp(&b.site),
        Column::Cloud => by_opt(opt_name(cloud_of(a)), opt_name(cloud_of(b))),
        Column::Region => by_opt(
            a.region.clone().unwrap_or_default(),
            b.region.clone().unwrap_or_default(),
        ),
        Column::Edge => by_opt(opt_name(a.edge.as_deref()), opt_name(b.edge.as_deref())),
        Column::Dns => by_opt(opt_name(a.dns.as_deref()), opt_name(b.dns.as_deref())),
        Column::Status => status_rank(a.status).cmp(&status_rank(b.status)),
        Column::LastSeen => a.last_seen.cmp(&b.last_seen),
        Column::Visits => a.visits.cmp(&b.visits),
    };
    primary.then_with(|| a.site.cmp(&b.site))
}

/// Indices of the rows sorted by a column.
pub fn sorted(sites: &[SiteSummary], idx: &mut [usize], col: Column, descending: bool) {
    sort_indices(idx, &|a, b| {
        let o = compare(&sites[a], &sites[b], col);
        if descending {
            o.reverse()
        } else {
            o
        }
    });
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

/// The critical exposures a site has beyond its main host: (`aws us-west-2`, the hosts
/// through which), for the exports.
fn depends_on(s: &SiteSummary) -> Vec<(String, Vec<&str>)> {
    s.exposure
        .critical
        .iter()
        .filter(|e| !e.via.is_empty())
        .map(|e| {
            let key = match (&e.layer, &e.region) {
                (ExposureLayer::Dns, _) => format!("{} dns", e.provider),
                (ExposureLayer::Edge, _) => format!("{} edge", e.provider),
                (_, Some(r)) => format!("{} {r}", e.provider),
                (_, None) => e.provider.clone(),
            };
            (key, e.via.iter().map(|v| v.host.as_str()).collect())
        })
        .collect()
}

/// Every row as CSV with a header line (CRLF line ends, RFC 4180).
pub fn to_csv(sites: &[SiteSummary]) -> String {
    let mut out = String::from(
        "site,main_host,cloud,hosting,region,edge,dns,status,last_seen,visits,failures,depends_on\r\n",
    );
    for s in sites {
        let text = [
            s.site.as_str(),
            s.main_host.as_str(),
            s.cloud.as_deref().unwrap_or(""),
            s.hosting.as_deref().unwrap_or(""),
            s.region.as_deref().unwrap_or(""),
            s.edge.as_deref().unwrap_or(""),
            s.dns.as_deref().unwrap_or(""),
            status_label(s.status),
        ];
        let fields: Vec<String> = text
            .iter()
            .map(|v| csv_field(v))
            .chain([
                csv_field(&iso_time(s.last_seen)),
                s.visits.to_string(),
                s.failures.to_string(),
                // "aws us-west-2 via auth.idp.example; gcp via a.example b.example"
                csv_field(
                    &depends_on(s)
                        .iter()
                        .map(|(k, hosts)| format!("{k} via {}", hosts.join(" ")))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            ])
            .collect();
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A JSON string literal (quotes, backslashes and control characters escaped).
fn json_str(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Every row as a JSON array of objects with the protocol's field names (`SiteSummary` on the
/// wire), one object per line. Written by hand so the page does not link a JSON serializer.
pub fn to_json(sites: &[SiteSummary]) -> String {
    let mut out = String::from("[");
    for (n, s) in sites.iter().enumerate() {
        out.push_str(if n == 0 { "\n  {" } else { ",\n  {" });
        let text = [
            ("site", Some(s.site.as_str())),
            ("mainHost", Some(s.main_host.as_str())),
            ("badge", s.badge.as_deref()),
            ("cloud", s.cloud.as_deref()),
            ("hosting", s.hosting.as_deref()),
            ("region", s.region.as_deref()),
            ("edge", s.edge.as_deref()),
            ("dns", s.dns.as_deref()),
            ("status", Some(status_label(s.status))),
        ];
        for (key, v) in text {
            json_str(&mut out, key);
            out.push(':');
            match v {
                Some(v) => json_str(&mut out, v),
                None => out.push_str("null"),
            }
            out.push(',');
        }
        out.push_str(&format!(
            "\"lastSeen\":{},\"visits\":{},\"failures\":{},\"dependsOn\":[",
            s.last_seen, s.visits, s.failures
        ));
        for (i, (key, hosts)) in depends_on(s).iter().enumerate() {
            out.push_str(if i == 0 { "{" } else { ",{" });
            json_str(&mut out, "on");
            out.push(':');
            json_str(&mut out, key);
            out.push_str(",\"via\":[");
            for (j, h) in hosts.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                json_str(&mut out, h);
            }
            out.push_str("]}");
        }
        out.push_str("]}");
    }
    out.push_str(if sites.is_empty() { "]\n" } else { "\n]\n" });
    out
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Milliseconds since the epoch as `2026-11-22T18:41:00Z` (UTC).
pub fn iso_time(ms: u64) -> String {
    let secs = ms / 1000;
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Whole days between a feed's `YYYY-MM-DD…` date and `now`; `None` if it is not such a date.
pub fn days_old(date: &str, now: u64) -> Option<u64> {
    let mut parts = date.get(..10)?.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let then = days_from_civil(y, m, d);
    let today = i64::try_from(now / DAY_MS).ok()?;
    u64::try_from(today - then).ok()
}

/// "just now", "5 min ago", "3 h ago", "2 days ago".
pub fn ago(now: u64, then: u64) -> String {
    let d = now.saturating_sub(then) / 1000;
    match d {
        0..=59 => "just now".to_owned(),
        60..=3599 => format!("{} min ago", d / 60),
        3600..=86_399 => format!("{} h ago", d / 3600),
        _ => {
            let days = d / 86_400;
            format!("{days} day{} ago", plural(days as usize))
        }
    }
}

/// The age of the IP-range data behind a provider: its feed's date (the oldest if several),
/// else the oldest feed overall. `None` when no feed has a date.
pub fn data_age(feeds: &FeedStatus, provider: Option<&str>, now: u64) -> Option<String> {
    let describe = |date: &str, whose: &str| match days_old(date, now) {
        Some(0) => format!("{whose} IP ranges of {date} (today)"),
        Some(n) => format!(
            "{whose} IP ranges of {date} ({n} day{} old)",
            plural(n as usize)
        ),
        None => format!("{whose} IP ranges of {date}"),
    };
    let oldest = |pred: &dyn Fn(&str) -> bool| {
        feeds
            .feeds
            .iter()
            .filter(|f| pred(&f.provider))
            .filter_map(|f| f.date.as_deref())
            .filter(|d| days_old(d, now).is_some())
            .min()
    };
    if let Some(p) = provider {
        if let Some(d) = oldest(&|fp| fp == p) {
            return Some(describe(d, providers::badge(p)));
        }
    }
    oldest(&|_| true).map(|d| describe(d, "Oldest"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use onebasket::deps::{stored_classes, Classes, DepOutcome, HostClass};
    use onebasket::profile::{
        Confidence, DnsLayer, EdgeLayer, Hosting, Resolution, ResolvedBy, SiteProfile,
    };
    use onebasket::protocol::SiteRecord;
    use onebasket::rules::Rules;
    use onebasket::table::FeedInfo;

    fn rules() -> Rules {
        Rules::builtin().unwrap()
    }

    /// A record's row, its hosts' layers as the record itself holds them.
    fn summary(r: &SiteRecord) -> SiteSummary {
        SiteSummary::of(r, &stored_classes([r]), &rules(), 0, 0)
    }

    /// The row of `site`, whose main host runs as `class` says, seen on day 10, up.
    pub fn row_with(site: &str, class: Option<HostClass>) -> SiteSummary {
        let mut r = SiteRecord::new(site, &format!("www.{site}"), 10 * DAY_MS);
        r.status = HealthState::Up;
        r.visits = 1;
        let mut c = Classes::new();
        if let Some(class) = class {
            c.insert(r.main_host.clone(), class);
        }
        SiteSummary::of(&r, &c, &rules(), 0, 0)
    }

    /// The row of `site` on `cloud` (its own host), in `region`.
    pub fn row(site: &str, cloud: Option<&str>, region: Option<&str>) -> SiteSummary {
        row_with(
            site,
            cloud.map(|c| HostClass {
                region: region.map(str::to_owned),
                ..class(c, c, None)
            }),
        )
    }

    #[test]
    fn groups_headline_and_unknown_last() {
        let mut sites = vec![
            row("a.com", Some("aws"), Some("us-east-1")),
            row("b.com", Some("aws"), Some("us-east-1")),
            row("c.com", Some("aws"), Some("eu-west-1")),
            row("d.com", Some("gcp"), None),
            row("e.com", None, None),
            row("f.com", None, None),
            row("g.com", None, None),
        ];
        sites[3].status = HealthState::Down;
        let idx: Vec<usize> = (0..sites.len()).collect();
        let g = group(&sites, &idx, GroupBy::Cloud);
        assert_eq!(g[0].label(), "Amazon Web Services");
        assert_eq!(g[0].sites.len(), 3);
        assert_eq!(g[1].failing, 1);
        assert_eq!(
            g.last().unwrap().key,
            None,
            "unknown last even when largest"
        );
        let r = group(&sites, &idx, GroupBy::Region);
        assert_eq!(r[0].label(), "AWS us-east-1");
        assert!(r.iter().any(|g| g.label() == "GCP (region unknown)"));
        let h = headline(&sites, 11 * DAY_MS).unwrap();
        assert_eq!(
            headline_text(&h),
            "43 % of the sites you visited this week run on AWS; 29 % in us-east-1"
        );
        let h = headline(&sites, 30 * DAY_MS).unwrap();
        assert!(!h.this_week);
        assert!(headline_text(&h).contains("of your sites"));
        assert_eq!(headline(&[], 0), None);
        let none = headline(&sites[4..], 11 * DAY_MS).unwrap();
        assert!(headline_text(&none).starts_with("No cloud identified"));
        assert_eq!(failing(&sites), vec![3]);
    }

    #[test]
    fn what_if_counts_every_layer() {
        let sites = vec![
            row("a.com", Some("aws"), Some("us-east-1")),
            row_with("b.com", Some(class("aws", "vercel", None))),
            row_with(
                "c.com",
                Some(HostClass {
                    edge: Some("cloudflare".into()),
                    dns: Some("aws".into()),
                    ..class("gcp", "gcp", None)
                }),
            ),
        ];
        let aws = Target::Provider("aws".into());
        assert_eq!(sites.iter().filter(|s| aws.hit(s).is_some()).count(), 3);
        let region = Target::Region("aws".into(), "us-east-1".into());
        assert_eq!(sites.iter().filter(|s| region.hit(s).is_some()).count(), 1);
        let c = what_if_choices(&sites);
        assert_eq!(c.hosts[0], (aws.clone(), 3));
        assert_eq!(c.edges, vec![(Target::Provider("cloudflare".into()), 1)]);
        assert_eq!(c.regions, vec![(region.clone(), 1)]);
        assert_eq!(c.dns, vec![(Target::Dns("aws".into()), 1)]);
        assert_eq!(Target::Dns("aws".into()).label(), "Route 53");
        for t in [aws, region, Target::Dns("aws".into())] {
            assert_eq!(Target::decode(&t.encode()), Some(t));
        }
        assert_eq!(Target::decode("x"), None);
    }

    /// A host's brief: cloud, hosting, region.
    fn class(cloud: &str, hosting: &str, region: Option<&str>) -> HostClass {
        HostClass {
            cloud: Some(cloud.to_owned()),
            hosting: Some(hosting.to_owned()),
            region: region.map(str::to_owned),
            resolved: true,
            at: 1,
            ..HostClass::default()
        }
    }

    /// A stored record of `site` whose main host `www.<site>` runs on `main` (cloud = hosting,
    /// region) and whose pages load `deps`: (host, its site key, resource type, what it runs on).
    fn record(
        site: &str,
        main: (&str, Option<&str>),
        deps: &[(&str, &str, &str, Option<HostClass>)],
    ) -> SiteRecord {
        let now = 10 * DAY_MS;
        let mut r = SiteRecord::new(site, &format!("www.{site}"), now);
        r.profile = Some(SiteProfile {
            name: r.main_host.clone(),
            site: Some(site.to_owned()),
            addresses: Vec::new(),
            cname_chain: Vec::new(),
            dns: DnsLayer::default(),
            edge: EdgeLayer::default(),
            hosting: Hosting {
                provider: Some(main.0.to_owned()),
                region: main.1.map(str::to_owned),
                ..Hosting::default()
            },
            cloud: Some(main.0.to_owned()),
            confidence: Confidence::High,
            resolution: Resolution::Ok,
            resolved_by: ResolvedBy::Doh,
            ranges_missing: false,
            evidence: Vec::new(),
        });
        for (host, dep_site, kind, class) in deps {
            r.depend(
                host,
                dep_site,
                *dep_site != site,
                kind,
                None,
                DepOutcome::Status(200),
                now,
            );
            r.deps.get_mut(*host).unwrap().class = class.clone();
        }
        r
    }

    /// A shop on Google Cloud whose own API runs on AWS us-east-1, with a login script on AWS
    /// us-west-2 (a third party), its stylesheets beside it on Google Cloud, images from Fastly
    /// and a beacon not looked up yet.
    fn shop() -> SiteRecord {
        record(
            "shop.example",
            ("gcp", Some("europe-west1")),
            &[
                (
                    "api.shop.example",
                    "shop.example",
                    "xmlhttprequest",
                    Some(class("aws", "aws", Some("us-east-1"))),
                ),
                (
                    "auth.idp.example",
                    "idp.example",
                    "script",
                    Some(class("aws", "aws", Some("us-west-2"))),
                ),
                (
                    "static.shop.example",
                    "shop.example",
                    "stylesheet",
                    Some(class("gcp", "gcp", Some("europe-west1"))),
                ),
                (
                    "p.pics.example",
                    "pics.example",
                    "image",
                    Some(class("fastly", "fastly", None)),
                ),
                ("beacon.tracker.example", "tracker.example", "ping", None),
            ],
        )
    }

    /// A blog on AWS us-east-1 with the same login script (AWS us-west-2).
    fn blog() -> SiteRecord {
        record(
            "blog.example",
            ("aws", Some("us-east-1")),
            &[(
                "auth.idp.example",
                "idp.example",
                "script",
                Some(class("aws", "aws", Some("us-west-2"))),
            )],
        )
    }

    #[test]
    fn partly_on_names_other_hosts_and_third_parties() {
        let shop = summary(&shop());
        assert_eq!(
            partly_on(&shop).unwrap(),
            "partly on AWS: api.shop.example (us-east-1); \
             login through auth.idp.example (AWS us-west-2)"
        );
        assert_eq!(
            also_loads(&shop).unwrap(),
            "Also loads images from p.pics.example (Fastly) — not needed for the site to work"
        );
        // The main host's own cloud, through a third party in another region.
        let blog = summary(&blog());
        assert_eq!(
            partly_on(&blog).unwrap(),
            "also on AWS: login through auth.idp.example (AWS us-west-2)"
        );
        assert_eq!(also_loads(&blog), None);
        // Own hosts beside the main one add nothing to say.
        let same = record(
            "same.example",
            ("aws", Some("us-east-1")),
            &[(
                "api.same.example",
                "same.example",
                "fetch",
                Some(class("aws", "aws", Some("us-east-1"))),
            )],
        );
        assert_eq!(partly_on(&summary(&same)), None);
        // Nothing known: nothing said.
        assert_eq!(partly_on(&row("a.com", Some("aws"), None)), None);
        assert_eq!(also_loads(&row("a.com", Some("aws"), None)), None);
        // A platform on a cloud is named; hosts past the list are counted.
        let ads = ["a", "b", "c", "d", "e"].map(|l| format!("{l}.ads.example"));
        let mut deps = vec![(
            "w.vendor.example",
            "vendor.example",
            "script",
            Some(class("aws", "vercel", Some("iad1"))),
        )];
        deps.extend(ads.iter().map(|h| {
            (
                h.as_str(),
                "ads.example",
                "script",
                Some(class("aws", "aws", None)),
            )
        }));
        deps.extend([
            (
                "i.photos.example",
                "photos.example",
                "image",
                Some(class("gcp", "gcp", None)),
            ),
            (
                "f.typeface.example",
                "typeface.example",
                "font",
                Some(class("gcp", "gcp", None)),
            ),
        ]);
        let news = record("news.example", ("cloudflare", None), &deps);
        let news = summary(&news);
        assert_eq!(
            partly_on(&news).unwrap(),
            "partly on AWS: scripts through a.ads.example (AWS); \
             scripts through b.ads.example (AWS); scripts through c.ads.example (AWS); \
             scripts through d.ads.example (AWS); and 2 more hosts"
        );
        assert_eq!(
            also_loads(&news).unwrap(),
            "Also loads fonts from f.typeface.example, images from i.photos.example \
             (Google Cloud) — not needed for the site to work"
        );
        let vercel = record(
            "v.example",
            ("gcp", None),
            &[(
                "w.vendor.example",
                "vendor.example",
                "script",
                Some(class("aws", "vercel", Some("iad1"))),
            )],
        );
        assert_eq!(
            partly_on(&summary(&vercel)).unwrap(),
            "partly on AWS: scripts through w.vendor.example (VCL iad1)"
        );
    }

    #[test]
    fn groups_and_headline_count_sites_through_other_hosts() {
        let mut news = row("news.example", Some("aws"), Some("us-west-2"));
        news.last_seen = 10 * DAY_MS;
        let sites = vec![
            summary(&shop()),
            summary(&blog()),
            news,
            row("plain.example", Some("gcp"), None),
        ];
        let idx: Vec<usize> = (0..sites.len()).collect();
        let g = group(&sites, &idx, GroupBy::Cloud);
        assert_eq!(g[0].label(), "Amazon Web Services");
        assert_eq!(g[0].sites, vec![0, 1, 2]);
        assert_eq!((g[0].by.indirect(), g[0].by.third_party), (1, 0));
        assert_eq!(g[1].label(), "Google Cloud");
        assert_eq!(g[1].sites, vec![0, 3]);
        let r = group(&sites, &idx, GroupBy::Region);
        let labels: Vec<(String, usize, usize)> = r
            .iter()
            .map(|g| (g.label(), g.sites.len(), g.by.third_party))
            .collect();
        assert_eq!(
            labels,
            vec![
                ("AWS us-west-2".to_owned(), 3, 2),
                ("AWS us-east-1".to_owned(), 2, 0),
                ("GCP (region unknown)".to_owned(), 1, 0),
                ("GCP europe-west1".to_owned(), 1, 0),
            ]
        );
        let h = headline(&sites, 11 * DAY_MS).unwrap();
        assert_eq!(
            headline_text(&h),
            "75 % of the sites you visited this week run on AWS or depend on it \
             (other hosts: 1); 75 % in us-west-2"
        );
        // Without dependencies, the same words as before.
        let plain: Vec<SiteSummary> = [shop(), blog()]
            .into_iter()
            .map(|mut r| {
                r.deps.clear();
                summary(&r)
            })
            .chain(sites[2..].iter().cloned())
            .collect();
        assert_eq!(
            headline_text(&headline(&plain, 11 * DAY_MS).unwrap()),
            "50 % of the sites you visited this week run on AWS; 25 % in us-east-1"
        );
        // The filter finds a site by a host it needs and by that host's provider.
        assert!(matches(&sites[0], "auth.idp"));
        assert!(matches(&sites[0], "us-west-2"));
        assert!(!matches(&sites[3], "us-west-2"));
    }

    #[test]
    fn what_if_splits_hosted_and_third_party() {
        let mut news = row("news.example", Some("aws"), Some("us-west-2"));
        news.last_seen = 10 * DAY_MS;
        let sites = vec![
            summary(&shop()),
            summary(&blog()),
            news,
            row("plain.example", Some("gcp"), None),
        ];
        let west = Target::Region("aws".into(), "us-west-2".into());
        let w = what_if(&sites, &west);
        assert_eq!(
            w.hits,
            vec![
                (
                    0,
                    Hit {
                        through: Through::ThirdParty,
                        host: Some("auth.idp.example")
                    }
                ),
                (
                    1,
                    Hit {
                        through: Through::ThirdParty,
                        host: Some("auth.idp.example")
                    }
                ),
                (
                    2,
                    Hit {
                        through: Through::Main(Path::Hosting),
                        host: None
                    }
                ),
            ]
        );
        assert_eq!(
            what_if_text(&w, &west),
            "If AWS us-west-2 fails, 3 of your 4 sites break: 1 hosted there, 2 through a third party."
        );
        // Through the site's own API host only: the old words.
        let east = Target::Region("aws".into(), "us-east-1".into());
        let e = what_if(&sites, &east);
        assert_eq!(e.hits[0].1.through, Through::OwnHost);
        assert_eq!(
            what_if_text(&e, &east),
            "2 of 4 sites (50 %) would go down with AWS us-east-1."
        );
        let aws = Target::Provider("aws".into());
        assert_eq!(
            what_if_text(&what_if(&sites, &aws), &aws),
            "3 of 4 sites (75 %) would go down with Amazon Web Services."
        );
        let one = what_if(&sites[..1], &west);
        assert_eq!(
            what_if_text(&one, &west),
            "If AWS us-west-2 fails, 1 of your 1 site breaks: 0 hosted there, 1 through a third party."
        );
        let gcp = Target::Provider("gcp".into());
        let only_idp = [summary(&blog()), row("x.example", Some("gcp"), None)];
        assert_eq!(
            what_if_text(&what_if(&only_idp, &aws), &aws),
            "1 of 2 sites (50 %) would go down with Amazon Web Services."
        );
        assert_eq!(what_if(&only_idp, &gcp).counts().third_party, 0);
        // A provider only behind images takes nothing down and is not offered.
        let fastly = Target::Provider("fastly".into());
        assert!(what_if(&sites, &fastly).hits.is_empty());
        let c = what_if_choices(&sites);
        assert!(c.hosts.iter().all(|(t, _)| *t != fastly));
        assert_eq!(c.hosts[0], (aws, 3));
        assert!(c.regions.contains(&(west, 3)));
        assert!(c.regions.contains(&(east, 2)));
    }

    #[test]
    fn blame_and_the_depends_on_list() {
        let now = 10 * DAY_MS;
        let mut r = shop();
        r.status = HealthState::Down;
        r.depend(
            "auth.idp.example",
            "idp.example",
            true,
            "script",
            None,
            DepOutcome::Failed("net::ERR_CONNECTION_REFUSED"),
            now + 1,
        );
        let s = SiteSummary::of(&r, &stored_classes([&r]), &rules(), now + 2, 60_000);
        assert_eq!(
            blame_text(s.blame.as_ref().unwrap()),
            "fails because login through auth.idp.example (AWS us-west-2) does not answer: \
             net::ERR_CONNECTION_REFUSED"
        );
        let bare = Blame {
            host: "pay.psp.example".into(),
            role: "payments".into(),
            class: None,
            error: None,
        };
        assert_eq!(
            blame_text(&bare),
            "fails because payments through pay.psp.example does not answer"
        );
        // The popup's "Depends on": the hosts of each cloud, needed or not.
        let shown = |list: &[Exposed], text: &dyn Fn(&Exposed, &Via) -> String, sep: &str| {
            clouds(list)
                .map(|e| (e.provider.clone(), host_list(e, text, sep)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown(&s.exposure.critical, &via_text, "; "),
            vec![
                (
                    "aws".to_owned(),
                    "api.shop.example (us-east-1); login through auth.idp.example (AWS us-west-2)"
                        .to_owned()
                ),
                (
                    "gcp".to_owned(),
                    "static.shop.example (europe-west1)".to_owned()
                ),
            ]
        );
        assert_eq!(
            shown(&s.exposure.non_critical, &loads_via, ", "),
            vec![("fastly".to_owned(), "images from p.pics.example".to_owned())]
        );
        assert_eq!(more_text(1), "and 1 more host");
    }

    #[test]
    fn csv_is_quoted_and_neutralized() {
        assert_eq!(csv_field("a\"b,c"), "\"a\"\"b,c\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        for bad in ["+1", "-1", "@x", "\tx"] {
            assert!(csv_field(bad).starts_with("\"'"), "{bad}");
        }
        let mut r = row("=cmd.com", Some("aws"), Some("us-east-1"));
        r.main_host = "a\nb".into();
        let csv = to_csv(&[r]);
        let mut lines = csv.split("\r\n");
        assert!(lines.next().unwrap().starts_with("site,main_host"));
        assert!(lines
            .next()
            .unwrap()
            .starts_with("\"'=cmd.com\",\"a\nb\",\"aws\""));
        assert!(csv.contains("\"1970-01-11T00:00:00Z\",1,0"));
    }

    #[test]
    fn exports_carry_what_a_site_depends_on_beyond_its_main_host() {
        let s = summary(&shop());
        let csv = to_csv(std::slice::from_ref(&s));
        let mut lines = csv.split("\r\n");
        assert!(lines.next().unwrap().ends_with(",failures,depends_on"));
        let line = lines.next().unwrap();
        assert!(
            line.ends_with(",\"aws via api.shop.example auth.idp.example; gcp via static.shop.example; aws us-east-1 via api.shop.example; aws us-west-2 via auth.idp.example; gcp europe-west1 via static.shop.example\""),
            "{line}"
        );
        let json = to_json(&[s]);
        assert!(
            json.contains(
                r#""dependsOn":[{"on":"aws","via":["api.shop.example","auth.idp.example"]},"#
            ),
            "{json}"
        );
    }

    #[test]
    fn json_export_escapes() {
        let mut r = row("a\"b\\c\u{1}.com", Some("aws"), None);
        r.edge = None;
        let json = to_json(&[r]);
        assert!(json.contains(r#""site":"a\"b\\c\u0001.com""#), "{json}");
        assert!(json.contains(r#""edge":null"#));
        assert!(json.contains(
            r#""status":"up","lastSeen":864000000,"visits":1,"failures":0,"dependsOn":[]}"#
        ));
        assert_eq!(to_json(&[]), "[]\n");
    }

    #[test]
    fn filter_matches_names_providers_and_regions() {
        let sites = [
            row("example.com", None, None),
            row("shop.example.com", None, None),
        ];
        assert!(matches(&sites[0], "example"));
        assert!(!matches(&sites[0], "amazon"));
        let aws = row("x.com", Some("aws"), Some("us-east-1"));
        assert!(matches(&aws, "amazon") && matches(&aws, "us-east") && matches(&aws, ""));
    }

    #[test]
    fn dates_and_ages() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(1_795_372_860_000), "2026-11-22T18:41:00Z");
        let now = 1_795_372_860_000;
        assert_eq!(days_old("2026-11-20", now), Some(2));
        assert_eq!(days_old("2026-11-20T10:00:00Z", now), Some(2));
        assert_eq!(days_old("1234567", now), None);
        assert_eq!(days_old("2026-13-01", now), None);
        assert_eq!(
            days_old("2027-01-01", now),
            None,
            "future dates are not ages"
        );
        assert_eq!(ago(now, now - 5_000), "just now");
        assert_eq!(ago(now, now - 3 * 3_600_000), "3 h ago");
        assert_eq!(ago(now, now - DAY_MS), "1 day ago");
        let feed = |p: &str, d: Option<&str>| FeedInfo {
            file: format!("{p}.json"),
            provider: p.into(),
            date: d.map(str::to_owned),
            version: None,
            records: 1,
        };
        let fs = FeedStatus {
            feeds: vec![
                feed("aws", Some("2026-11-20")),
                feed("gcp", Some("2026-10-23")),
                feed("azure", None),
            ],
            ..FeedStatus::default()
        };
        assert_eq!(
            data_age(&fs, Some("aws"), now).unwrap(),
            "AWS IP ranges of 2026-11-20 (2 days old)"
        );
        assert!(data_age(&fs, Some("azure"), now)
            .unwrap()
            .starts_with("Oldest IP ranges of 2026-10-23"));
        assert_eq!(data_age(&FeedStatus::default(), None, now), None);
    }

    #[test]
    fn sorting_puts_unknown_last() {
        let sites = vec![
            row("b.com", None, None),
            row("a.com", Some("gcp"), None),
            row("c.com", Some("aws"), None),
        ];
        let mut idx = vec![0, 1, 2];
        sorted(&sites, &mut idx, Column::Cloud, false);
        assert_eq!(idx, vec![2, 1, 0]);
        sorted(&sites, &mut idx, Column::Site, true);
        assert_eq!(idx, vec![2, 0, 1]);
    }
}
