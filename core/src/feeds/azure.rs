//! Azure `ServiceTags_Public_*.json`.

use ipnet::IpNet;

use super::ctx::{member, top, Ctx};
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// What one service tag contributes to the prefixes it lists.
struct Tag<'a> {
    /// 0 = from an `AzureCloud.<region>` tag (authoritative), 1 = from a service tag.
    region_rank: u8,
    region: Option<&'a str>,
    service: Option<&'a str>,
}

/// The same prefix sits in many tags (`AzureCloud`, `AzureCloud.eastus`, `Storage`,
/// `Storage.EastUS`, …), so tags are merged into one record per prefix: the region of an
/// `AzureCloud.<region>` tag wins, then the alphabetically first region of any other tag;
/// the service is the sorted set of tag names with their region suffix removed
/// (`Storage.EastUS` → `Storage`; `AzureFrontDoor.Frontend` has no region and stays whole),
/// leaving out `AzureCloud`, which covers the whole cloud and says nothing about the service.
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let version = cx.opt_version(&root, &top, "changeNumber")?;
    let values = cx.req_array(&root, &top, "values")?;

    let mut tags = Vec::with_capacity(values.len());
    let mut rows: Vec<(IpNet, u32)> = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let at = || format!("values[{i}]");
        let name = cx.req_str(value, &at, "name")?;
        let props_at = || member(&at(), "properties");
        let props = cx.required(value, &at, "properties")?;
        let prop_region = cx
            .opt_str(props, &props_at, "region")?
            .filter(|r| !r.is_empty());
        let prefixes = cx.req_array(props, &props_at, "addressPrefixes")?;

        let (base, suffix) = match name.split_once('.') {
            Some((base, suffix)) => (base, Some(suffix)),
            None => (name, None),
        };
        let tag = if base == "AzureCloud" {
            Tag {
                region_rank: 0,
                region: prop_region.or(suffix),
                service: None,
            }
        } else {
            let service = match prop_region {
                Some(_) => name.rsplit_once('.').map_or(name, |(b, _)| b),
                None => name,
            };
            Tag {
                region_rank: 1,
                region: prop_region,
                service: Some(service),
            }
        };
        let index = u32::try_from(tags.len()).unwrap_or(u32::MAX);
        tags.push(tag);

        rows.reserve(prefixes.len());
        for (j, text) in prefixes.iter().enumerate() {
            let at = || format!("values[{i}].properties.addressPrefixes[{j}]");
            rows.push((cx.prefix_value(text, &at)?, index));
        }
    }
    rows.sort_unstable();

    let mut records = Vec::new();
    let mut services: Vec<&str> = Vec::new();
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(prefix, _)) = group.first() else {
            continue;
        };
        let group_tags = || group.iter().filter_map(|&(_, t)| tags.get(t as usize));
        let region = group_tags()
            .filter_map(|t| Some((t.region_rank, t.region?)))
            .min()
            .map(|(_, r)| r);
        services.clear();
        services.extend(group_tags().filter_map(|t| t.service));
        services.sort_unstable();
        services.dedup();
        let service = (!services.is_empty()).then(|| services.join(","));
        records.push(PrefixRecord::new(
            prefix,
            &spec.provider,
            region,
            service.as_deref(),
        ));
    }
    Ok(Parsed {
        date: None,
        version,
        records,
    })
}
