//! Oracle Cloud `public_ip_ranges.json`.

use super::ctx::{member, top, Ctx};
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// Service = the entry's tags sorted and joined with "," (`OCI`, `OBJECT_STORAGE,OSN`).
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let date = cx.opt_date(&root, &top, "last_updated_timestamp")?;
    let regions = cx.req_array(&root, &top, "regions")?;
    let mut records = Vec::new();
    let mut tags: Vec<&str> = Vec::new();
    for (i, region_entry) in regions.iter().enumerate() {
        let at = || format!("regions[{i}]");
        let region = cx.req_str(region_entry, &at, "region")?;
        let cidrs = cx.req_array(region_entry, &at, "cidrs")?;
        for (j, entry) in cidrs.iter().enumerate() {
            let at = || format!("regions[{i}].cidrs[{j}]");
            let prefix = cx.prefix_value(cx.required(entry, &at, "cidr")?, &at)?;
            tags.clear();
            let tags_at = || member(&at(), "tags");
            for (k, tag) in cx
                .opt_array(entry, &at, "tags")?
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                tags.push(cx.string(tag, &|| format!("{}[{k}]", tags_at()))?);
            }
            tags.sort_unstable();
            tags.dedup();
            let service = tags.join(",");
            records.push(PrefixRecord::new(
                prefix,
                &spec.provider,
                Some(region),
                Some(&service),
            ));
        }
    }
    Ok(Parsed {
        date,
        version: None,
        records,
    })
}
