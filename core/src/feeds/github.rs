//! GitHub `meta` (`api.github.com/meta`).

use std::collections::{BTreeMap, BTreeSet};

use ipnet::IpNet;
use serde_json::Value;

use super::ctx::{parse_prefix, top, Ctx};
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// Every top-level array holding at least one CIDR is a prefix list (`hooks`, `actions`, …);
/// once a list is recognised all its entries must be CIDRs, so a corrupted entry is an error
/// rather than a silent drop. Other keys (`ssh_keys`, `domains`, booleans) are ignored.
/// A prefix gets one record per provider: GitHub's own keys joined as the service; keys in
/// `spec.owners` (`pages` → `github-pages`) a record of that provider with the key as service;
/// and keys in `spec.rented` (space GitHub rents, e.g. `actions` in Azure) a record of the
/// renting provider with service [`rented_service`] (`github-actions`), which the classifier
/// treats as an overlay, never as the service of the range.
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let object = cx.object(&root, &top)?;
    let mut owners: BTreeMap<(IpNet, &str), BTreeSet<String>> = BTreeMap::new();
    for (key, value) in object {
        let Value::Array(list) = value else {
            continue;
        };
        let is_prefix_list = list
            .iter()
            .any(|v| v.as_str().and_then(parse_prefix).is_some());
        if !is_prefix_list {
            continue;
        }
        let (provider, service) = match (spec.rented.get(key), spec.owners.get(key)) {
            (Some(renter), _) => (renter.as_str(), rented_service(&spec.provider, key)),
            (None, Some(owner)) => (owner.as_str(), key.clone()),
            (None, None) => (spec.provider.as_str(), key.clone()),
        };
        for (i, entry) in list.iter().enumerate() {
            let prefix = cx.prefix_value(entry, &|| format!("{key}[{i}]"))?;
            owners
                .entry((prefix, provider))
                .or_default()
                .insert(service.clone());
        }
    }
    let records = owners
        .into_iter()
        .map(|((prefix, provider), services)| {
            let service = services.into_iter().collect::<Vec<_>>().join(",");
            PrefixRecord::new(prefix, provider, None, Some(&service))
        })
        .collect();
    Ok(Parsed {
        date: None,
        version: None,
        records,
    })
}

/// The service name a rented list's records carry: `<feed provider>-<list>` (`github-actions`).
/// The rules derive their overlay index from the same function, so the two cannot disagree.
pub fn rented_service(feed_provider: &str, list: &str) -> String {
    format!("{feed_provider}-{list}")
}
