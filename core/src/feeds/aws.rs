//! AWS `ip-ranges.json`.

use ipnet::IpNet;

use super::ctx::{top, Ctx};
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// AWS lists a prefix once per service, with `AMAZON` as the catch-all superset, so the
/// rows are merged per (prefix, region) and `AMAZON` is kept only when nothing narrower exists.
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let date = cx.opt_date(&root, &top, "createDate")?;
    let version = cx.opt_version(&root, &top, "syncToken")?;

    let mut rows: Vec<(IpNet, &str, &str)> = Vec::new();
    for (list, field) in [("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")] {
        let entries = if list == "prefixes" {
            cx.req_array(&root, &top, list)?
        } else {
            cx.opt_array(&root, &top, list)?.unwrap_or_default()
        };
        rows.reserve(entries.len());
        for (i, entry) in entries.iter().enumerate() {
            let at = || format!("{list}[{i}]");
            let prefix = cx.prefix_value(cx.required(entry, &at, field)?, &at)?;
            let region = cx.req_str(entry, &at, "region")?;
            let service = cx.req_str(entry, &at, "service")?;
            rows.push((prefix, region, service));
        }
    }
    rows.sort_unstable();
    rows.dedup();

    let records = rows
        .chunk_by(|a, b| a.0 == b.0 && a.1 == b.1)
        .filter_map(|group| {
            let &(prefix, region, first_service) = group.first()?;
            let specific: Vec<&str> = group
                .iter()
                .map(|row| row.2)
                .filter(|s| *s != "AMAZON")
                .collect();
            let service = if specific.is_empty() {
                first_service.to_owned()
            } else {
                specific.join(",")
            };
            Some(PrefixRecord::new(
                prefix,
                &spec.provider,
                Some(region),
                Some(&service),
            ))
        })
        .collect();
    Ok(Parsed {
        date,
        version,
        records,
    })
}
