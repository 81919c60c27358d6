//! Look-ups over the indexed rules: by CNAME suffix, name-server pattern, headers and AS number.

use litemap::LiteMap;

use super::headers::{sets_cookie, HeaderMatch, HeaderTest};
use super::ns::NsPattern;
use super::schema::Provider;
use super::Rules;

impl Rules {
    /// The provider owning the longest CNAME suffix `name` ends with (on label boundaries), and
    /// that suffix. `name` should be lowercase without a trailing dot; both are tolerated.
    pub fn by_cname(&self, name: &str) -> Option<(&Provider, &str)> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let lower;
        let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = name.to_ascii_lowercase();
            lower.as_str()
        } else {
            name
        };
        // Walk the label suffixes from the whole name down, so the first hit is the longest.
        let mut rest = name;
        loop {
            let hit = self.by_suffix.find_index(rest).ok();
            if let Some((suffix, &i)) = hit.and_then(|at| self.by_suffix.get_indexed(at)) {
                return Some((&self.providers[i], suffix.as_str()));
            }
            match rest.split_once('.') {
                Some((_, tail)) => rest = tail,
                None => return None,
            }
        }
    }

    /// The provider whose name-server pattern matches `ns_host`, and that pattern as written.
    /// The pattern with the most labels wins; ties go to the earlier one in the file.
    pub fn by_ns(&self, ns_host: &str) -> Option<(&Provider, &str)> {
        let host = ns_host
            .strip_suffix('.')
            .unwrap_or(ns_host)
            .to_ascii_lowercase();
        let labels_rev: Vec<&str> = host.rsplit('.').collect();
        let mut best: Option<&NsPattern> = None;
        for pat in &self.ns {
            if pat.labels_rev.len() > labels_rev.len() {
                continue;
            }
            let hit = pat
                .labels_rev
                .iter()
                .zip(&labels_rev)
                .all(|(p, l)| p.matches(l));
            if hit && best.is_none_or(|b| pat.labels_rev.len() > b.labels_rev.len()) {
                best = Some(pat);
            }
        }
        best.map(|pat| {
            let provider = &self.providers[pat.provider];
            (provider, provider.ns_patterns[pat.pattern].as_str())
        })
    }

    /// Providers whose header fingerprints match these response headers (names ignore case).
    /// One entry per provider, in file order, with every matching reason; several providers can
    /// match at once (Cloudflare in front of S3).
    pub fn by_headers<'a>(&'a self, headers: &[(String, String)]) -> Vec<HeaderMatch<'a>> {
        // Lowercase once: header values are compared ignoring case.
        let lowered: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_ascii_lowercase()))
            .collect();
        // By provider, in order: a sorted vector of the few that match (a `BTreeMap` of these
        // types was 4 KB of wasm).
        let mut reasons: LiteMap<usize, Vec<&str>> = LiteMap::new();
        for rule in &self.headers {
            if lowered.iter().any(|(n, v)| rule.test.matches(n, v)) {
                let list = reasons.entry(rule.provider).or_default();
                if !list.contains(&rule.reason.as_str()) {
                    list.push(&rule.reason);
                }
            }
        }
        reasons
            .into_iter()
            .map(|(i, list)| HeaderMatch {
                provider: &self.providers[i],
                reason: list.join(", "),
            })
            .collect()
    }

    /// Whether some header rule matches the header `name: value` (both lowercase).
    pub fn header_matches(&self, name: &str, value: &str) -> bool {
        self.headers.iter().any(|r| r.test.matches(name, value))
    }

    /// The cookie names some rule looks for that a lowercase `set-cookie` value sets.
    pub fn cookies_set(&self, value: &str) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for rule in &self.headers {
            if let HeaderTest::Cookie(c) = &rule.test {
                if sets_cookie(value, c) && !names.contains(&c.as_str()) {
                    names.push(c);
                }
            }
        }
        names
    }

    /// The provider originating this AS number.
    pub fn by_asn(&self, asn: u32) -> Option<&Provider> {
        self.by_asn.get(&asn).map(|&i| &self.providers[i])
    }
}
