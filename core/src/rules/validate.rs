//! Validation of a parsed rules file and the building of its indexes: every id, reference,
//! pattern, colour, ASN and feed entry checked, so the rest of the crate can trust the rules.

use litemap::LiteMap;

use super::headers::{prepare_header, PreparedHeader};
use super::ns::{parse_ns_pattern, NsPattern};
use super::schema::{Overlay, Provider};
use super::{Rules, RulesError};
use crate::feeds::{rented_service, FeedFormat, FeedSpec};

/// Minimum contrast ratio of a badge colour against white text (WCAG AA for normal text).
pub(super) const MIN_CONTRAST: f64 = 4.5;

impl Rules {
    /// Validates the parsed entries and builds the indexes.
    pub(super) fn build(
        providers: Vec<Provider>,
        feeds: Vec<FeedSpec>,
    ) -> Result<Rules, RulesError> {
        // Sorted vectors: a few hundred entries each, built once; each `BTreeMap` of its own
        // key and value types was 4-6 KB of the worker's wasm.
        let mut by_id: LiteMap<String, usize> = LiteMap::new();
        let mut by_suffix: LiteMap<String, usize> = LiteMap::new();
        let mut by_asn: LiteMap<u32, usize> = LiteMap::new();
        let mut ns_seen: LiteMap<String, usize> = LiteMap::new();
        let mut ns = Vec::new();
        let mut headers = Vec::new();

        for (i, p) in providers.iter().enumerate() {
            let err = |key: &'static str, reason: String| RulesError::Provider {
                id: p.id.clone(),
                key,
                reason,
            };
            if !is_id(&p.id) {
                return Err(err("id", "must be lowercase a-z, 0-9 and '-'".into()));
            }
            if by_id.insert(p.id.clone(), i).is_some() {
                return Err(err("id", "is used by two providers".into()));
            }
            if p.name.trim().is_empty() {
                return Err(err("name", "is empty".into()));
            }
            let badge_len = p.badge.chars().count();
            if !(1..=4).contains(&badge_len) || p.badge.chars().any(char::is_whitespace) {
                return Err(err(
                    "badge",
                    format!("{:?} must be 1 to 4 characters without spaces", p.badge),
                ));
            }
            check_color(&p.color).map_err(|r| err("color", r))?;

            for &asn in &p.asns {
                if asn == 0 {
                    return Err(err("asns", "contains AS0".into()));
                }
                if let Some(other) = by_asn.insert(asn, i) {
                    return Err(err(
                        "asns",
                        format!("AS{asn} is also claimed by `{}`", providers[other].id),
                    ));
                }
            }
            for suffix in &p.cname_suffixes {
                if !is_hostname(suffix) {
                    return Err(err(
                        "cname_suffixes",
                        format!(
                            "{suffix:?} must be a lowercase name without leading or trailing dot"
                        ),
                    ));
                }
                if let Some(other) = by_suffix.insert(suffix.clone(), i) {
                    return Err(err(
                        "cname_suffixes",
                        format!("{suffix:?} is also claimed by `{}`", providers[other].id),
                    ));
                }
            }
            for (k, text) in p.ns_patterns.iter().enumerate() {
                let labels_rev = parse_ns_pattern(text).map_err(|r| err("ns_patterns", r))?;
                if let Some(other) = ns_seen.insert(text.clone(), i) {
                    return Err(err(
                        "ns_patterns",
                        format!("{text:?} is also claimed by `{}`", providers[other].id),
                    ));
                }
                ns.push(NsPattern {
                    labels_rev,
                    provider: i,
                    pattern: k,
                });
            }
            for rule in &p.headers {
                let (test, reason) = prepare_header(rule).map_err(|r| err("headers", r))?;
                headers.push(PreparedHeader {
                    provider: i,
                    test,
                    reason,
                });
            }
            if p.dns_name.as_deref().is_some_and(|d| d.trim().is_empty()) {
                return Err(err("dns_name", "is empty".into()));
            }
            if p.edge_services
                .iter()
                .any(|s| s.trim().is_empty() || s.contains(','))
            {
                return Err(err("edge_services", "has an empty name or a comma".into()));
            }
            if let Some(status) = &p.status {
                if !status.url.starts_with("https://") {
                    return Err(err("status", format!("url {:?} must be https", status.url)));
                }
            }
        }

        // Cross-references need every id first.
        for p in &providers {
            let err = |key: &'static str, reason: String| RulesError::Provider {
                id: p.id.clone(),
                key,
                reason,
            };
            for (key, target) in [("runs_on", &p.runs_on), ("parent", &p.parent)] {
                if let Some(t) = target {
                    if !by_id.contains_key(t) {
                        return Err(err(key, format!("refers to unknown provider `{t}`")));
                    }
                    if *t == p.id {
                        return Err(err(key, "refers to the provider itself".into()));
                    }
                }
            }
        }
        for p in &providers {
            for key in ["runs_on", "parent"] {
                let mut path = vec![p.id.as_str()];
                let mut cur = link(p, key);
                while let Some(id) = cur {
                    let looped = path.contains(&id);
                    path.push(id);
                    if looped {
                        return Err(RulesError::Provider {
                            id: p.id.clone(),
                            key,
                            reason: format!("forms a cycle: {}", path.join(" → ")),
                        });
                    }
                    cur = by_id.get(id).and_then(|&j| link(&providers[j], key));
                }
            }
        }

        let mut files: LiteMap<String, ()> = LiteMap::new();
        let mut overlays = Vec::new();
        for f in &feeds {
            let err = |key: &'static str, reason: String| RulesError::Feed {
                file: f.file.clone(),
                key,
                reason,
            };
            if f.file.trim().is_empty() || f.file.contains('/') {
                return Err(err("file", "must be a plain file name".into()));
            }
            if files.insert(f.file.clone(), ()).is_some() {
                return Err(err("file", "is listed twice".into()));
            }
            if !f.url.starts_with("https://") {
                return Err(err("url", format!("{:?} must be https", f.url)));
            }
            if !by_id.contains_key(&f.provider) {
                return Err(err(
                    "provider",
                    format!("refers to unknown provider `{}`", f.provider),
                ));
            }
            let github_only = [
                ("rented", f.rented.is_empty()),
                ("owners", f.owners.is_empty()),
            ];
            for (key, empty) in github_only {
                if !empty && f.format != FeedFormat::GithubMeta {
                    return Err(err(
                        key,
                        format!("applies to github-meta feeds, not {}", f.format),
                    ));
                }
            }
            let lists_only = [
                ("lists", f.lists.is_empty()),
                ("prefix_field", f.prefix_field.is_none()),
                ("date_field", f.date_field.is_none()),
            ];
            for (key, empty) in lists_only {
                if !empty && f.format != FeedFormat::JsonLists {
                    return Err(err(
                        key,
                        format!("applies to json-lists feeds, not {}", f.format),
                    ));
                }
            }
            let blank = |v: &Option<String>| v.as_deref().is_some_and(|t| t.trim().is_empty());
            if f.lists.iter().any(|l| l.trim().is_empty())
                || blank(&f.prefix_field)
                || blank(&f.date_field)
            {
                return Err(err("lists", "names an empty key".into()));
            }
            if blank(&f.service) || f.service.as_deref().is_some_and(|t| t.contains(',')) {
                return Err(err("service", "is empty or has a comma".into()));
            }
            if f.cadence_days == Some(0) {
                return Err(err("cadence_days", "must be at least 1".into()));
            }
            if let Some(m) = &f.minus {
                if !by_id.contains_key(m) || *m == f.provider {
                    return Err(err(
                        "minus",
                        format!("refers to unknown or same provider `{m}`"),
                    ));
                }
            }
            for (key, map) in [("rented", &f.rented), ("owners", &f.owners)] {
                for (service, target) in map {
                    if !by_id.contains_key(target) {
                        return Err(err(
                            key,
                            format!("service {service:?} refers to unknown provider `{target}`"),
                        ));
                    }
                }
            }
            if let Some(list) = f.rented.keys().find(|k| f.owners.contains_key(*k)) {
                return Err(err("owners", format!("list {list:?} is also rented")));
            }
            for (list, renter) in &f.rented {
                overlays.push(Overlay {
                    space_of: renter.clone(),
                    by: f.provider.clone(),
                    list: list.clone(),
                    service: rented_service(&f.provider, list),
                });
            }
        }

        Ok(Rules {
            providers,
            feeds,
            by_id,
            by_suffix,
            by_asn,
            ns,
            headers,
            overlays,
        })
    }
}

/// The provider id a provider's `runs_on` or `parent` key points at.
pub(super) fn link<'p>(p: &'p Provider, key: &str) -> Option<&'p str> {
    match key {
        "runs_on" => p.runs_on.as_deref(),
        _ => p.parent.as_deref(),
    }
}

/// A provider id: lowercase ASCII letters, digits and inner hyphens.
pub(super) fn is_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A lowercase DNS name of non-empty labels, without leading or trailing dot.
pub(super) fn is_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// Checks `#rrggbb` and that white text on it reaches [`MIN_CONTRAST`].
pub(super) fn check_color(color: &str) -> Result<(), String> {
    let hex = color
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| format!("{color:?} must be \"#rrggbb\""))?;
    let mut lum = 0.0;
    for (k, weight) in [0.2126, 0.7152, 0.0722].into_iter().enumerate() {
        let channel = u8::from_str_radix(&hex[2 * k..2 * k + 2], 16)
            .map_err(|_| format!("{color:?} must be \"#rrggbb\""))?;
        let c = f64::from(channel) / 255.0;
        // sRGB to linear light, as WCAG 2 defines relative luminance.
        let linear = if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        };
        lum += weight * linear;
    }
    let contrast = 1.05 / (lum + 0.05);
    if contrast < MIN_CONTRAST {
        return Err(format!(
            "{color:?} gives white text a contrast of {contrast:.2}, below {MIN_CONTRAST}"
        ));
    }
    Ok(())
}
