//! Zscaler's cloud enforcement node ranges (`api.config.zscaler.com/<cloud>/cenr/json`):
//! `{"<cloud>": {"continent : <name>": {"city : <name>": [{"range": "<cidr>", …}]}}, …}`.

use ipnet::IpNet;
use serde_json::Value;

use super::ctx::{member, top, Ctx};
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// One record per range. Region = the city (`Amsterdam II`) when the range is listed under one
/// city; a range listed under several cities (shared ranges such as 136.226.200.0/23 sit under
/// 27 European cities) gets their continent when they share one, else no region. Top-level
/// keys whose value is not an object (`svpnIPs`, single addresses inside the ranges) are not
/// range lists and are skipped.
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let clouds = cx.object(&root, &top)?;
    // (range, continent, city) rows, sorted and grouped per range: the same row type as the AWS
    // parser's, so the wasm carries one sort for both.
    let mut rows: Vec<(IpNet, &str, &str)> = Vec::new();
    for (cloud, continents) in clouds {
        let Value::Object(continents) = continents else {
            continue;
        };
        for (continent_key, cities) in continents {
            let continent = label(continent_key, "continent");
            let continent_at = || member(cloud, continent_key);
            let cities = cx.object(cities, &continent_at)?;
            for (city_key, entries) in cities {
                let city = label(city_key, "city");
                let city_at = || member(&continent_at(), city_key);
                for (i, entry) in cx.array(entries, &city_at)?.iter().enumerate() {
                    let at = || format!("{}[{i}]", city_at());
                    let prefix = cx.prefix_value(cx.required(entry, &at, "range")?, &at)?;
                    rows.push((prefix, continent, city));
                }
            }
        }
    }
    rows.sort_unstable();
    rows.dedup();
    let records = rows
        .chunk_by(|a, b| a.0 == b.0)
        .filter_map(|group| {
            let &(prefix, continent, city) = group.first()?;
            let region = if group.len() == 1 {
                Some(city)
            } else if group.iter().all(|row| row.1 == continent) {
                Some(continent)
            } else {
                None
            };
            Some(PrefixRecord::new(prefix, &spec.provider, region, None))
        })
        .collect();
    Ok(Parsed {
        date: None,
        version: None,
        records,
    })
}

/// `"city : Amsterdam II"` → `Amsterdam II`; a key without the `<kind> :` label is kept whole.
fn label<'k>(key: &'k str, kind: &str) -> &'k str {
    key.split_once(':')
        .filter(|(head, _)| head.trim() == kind)
        .map_or(key, |(_, name)| name.trim())
}
