//! The words of a site's row: what it needs beyond its main host ("partly on AWS: …"), what it
//! only loads images from, why it fails, its DNS operators, an unknown origin. One home for
//! the worker (which sends them in each [`super::Row`]) and the popup (which says the same of
//! its tab from the full exposure).

use crate::deps::Blame;
use crate::exposure::{Exposed, ExposureLayer, Via};
use crate::rules::Rules;
use crate::summary::SiteSummary;

/// How providers are called: the worker reads the rules, a page its table baked from the same
/// file at build time.
pub trait Names {
    /// Display name (`Amazon Web Services`); an unknown id as it is.
    fn name<'a>(&'a self, id: &'a str) -> &'a str;
    /// Short label (`AWS`); an unknown id as it is.
    fn badge<'a>(&'a self, id: &'a str) -> &'a str;
    /// Its DNS product (`Route 53`), else its name.
    fn dns_name<'a>(&'a self, id: &'a str) -> &'a str;
}

impl Names for Rules {
    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, |p| p.name.as_str())
    }

    fn badge<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, |p| p.badge.as_str())
    }

    fn dns_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id)
            .map_or(id, |p| p.dns_name.as_deref().unwrap_or(p.name.as_str()))
    }
}

/// "s" unless one.
pub fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// "Route 53 + NS1", "Route 53 + own name servers", "own name servers", "NS1": the operators
/// of a site's DNS.
pub fn dns_set(
    names: &dyn Names,
    first: Option<&String>,
    also: &[String],
    own: bool,
    other: bool,
) -> String {
    let mut t = String::new();
    let mut add = |name: &str| {
        if !t.is_empty() {
            t.push_str(" + ");
        }
        t.push_str(name);
    };
    for d in first.into_iter().chain(also) {
        add(names.dns_name(d));
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

/// A site's DNS operators ([`dns_set`]); `None` when unknown.
pub fn dns_of(names: &dyn Names, s: &SiteSummary) -> Option<String> {
    (s.class.dns.is_some() || s.class.own_dns).then(|| {
        dns_set(
            names,
            s.class.dns.as_ref(),
            &s.class.dns_also,
            s.class.own_dns,
            s.class.dns_other,
        )
    })
}

/// The site's DNS in its line: "DNS on Route 53", "redundant DNS: Route 53 + NS1", "own DNS";
/// `None` when unknown.
pub fn dns_line(names: &dyn Names, s: &SiteSummary) -> Option<String> {
    let set = dns_of(names, s)?;
    Some(if s.class.redundant_dns() {
        format!("redundant DNS: {set}")
    } else if s.class.dns.is_none() {
        "own DNS".to_owned()
    } else {
        format!("DNS on {set}")
    })
}

/// "origin unknown behind Cloudflare" for a site seen only through its CDN.
pub fn origin_line(names: &dyn Names, s: &SiteSummary) -> Option<String> {
    let edge = s
        .class
        .edge
        .as_deref()
        .filter(|_| s.class.origin_unknown())?;
    Some(format!("origin unknown behind {}", names.name(edge)))
}

/// One host through which a site depends on `e`'s provider: the site's own by name with its
/// region, "api.example.com (us-east-1)" (and its host when that is not `e`'s provider, "(VCL
/// iad1)"); a third party as "<role> through <host> (<its host> <region>)", "login through
/// auth.example-idp.com (AWS us-west-2)".
pub fn via_text(names: &dyn Names, e: &Exposed, v: &Via) -> String {
    let mut out = String::new();
    if v.third_party {
        out.push_str(&v.role);
        out.push_str(" through ");
    }
    out.push_str(&v.host);
    let hosting = v.hosting.as_deref().unwrap_or(&e.provider);
    let badge = (v.third_party || hosting != e.provider).then(|| names.badge(hosting));
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
pub fn loads_via(_: &dyn Names, _: &Exposed, v: &Via) -> String {
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

/// How one host of an entry is said ([`via_text`] or [`loads_via`]).
pub type ViaWords = fn(&dyn Names, &Exposed, &Via) -> String;

/// The hosts named in `e`, each as `text` gives it, separated by `sep`, then "<sep>and N more
/// hosts" for those not named: "api.example.com (us-east-1); login through … (AWS us-west-2)".
pub fn host_list(names: &dyn Names, e: &Exposed, text: ViaWords, sep: &str) -> String {
    let mut out = String::new();
    for v in &e.via {
        if !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(&text(names, e, v));
    }
    if e.more > 0 {
        out.push_str(sep);
        out.push_str(&more_text(e.more));
    }
    out
}

/// What a site needs beyond its main host, one part per cloud, joined by " · ": "partly on
/// AWS: api.example.com (us-east-1); login through auth.example-idp.com (AWS us-west-2)" for a
/// cloud its main host is not on; "also on AWS: …" for the main host's own cloud when other
/// hosts there bring a third party or another hosting or region. `None` when there is nothing
/// to say.
pub fn partly_on(names: &dyn Names, s: &SiteSummary) -> Option<String> {
    let critical = &s.exposure.critical;
    let mut out = String::new();
    for e in clouds(critical)
        .filter(|e| !e.own)
        .chain(clouds(critical).filter(|e| e.own))
    {
        let same_place = e
            .via
            .iter()
            .all(|v| v.hosting == s.class.hosting && v.region == s.class.region);
        if e.own && !e.third_party && same_place {
            continue;
        }
        if !out.is_empty() {
            out.push_str(" · ");
        }
        out.push_str(if e.own { "also on " } else { "partly on " });
        out.push_str(names.badge(&e.provider));
        out.push_str(": ");
        out.push_str(&host_list(names, e, via_text, "; "));
    }
    (!out.is_empty()).then_some(out)
}

/// "Also loads images from img.example-cdn.com (Google Cloud) — not needed for the site to
/// work": the clouds a site loads only images, fonts, media or beacons from. `None` when there
/// are none.
pub fn also_loads(names: &dyn Names, s: &SiteSummary) -> Option<String> {
    let mut out = String::new();
    for e in clouds(&s.exposure.non_critical) {
        out.push_str(if out.is_empty() { "Also loads " } else { "; " });
        out.push_str(&host_list(names, e, loads_via, ", "));
        out.push_str(" (");
        out.push_str(names.name(&e.provider));
        out.push(')');
    }
    (!out.is_empty()).then(|| out + " — not needed for the site to work")
}

/// "fails because login through auth.example-idp.com (AWS us-west-2) does not answer:
/// net::ERR_CONNECTION_REFUSED": a failing site whose own hosts answer.
pub fn blame_text(names: &dyn Names, b: &Blame) -> String {
    let mut t = format!("fails because {} through {}", b.role, b.host);
    if let Some(c) = &b.class {
        let region = c.hosting.as_ref().and(c.region.as_deref());
        if let Some(p) = c.hosting.as_ref().or(c.cloud.as_ref()).or(c.edge.as_ref()) {
            t.push_str(" (");
            t.push_str(names.badge(p));
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
