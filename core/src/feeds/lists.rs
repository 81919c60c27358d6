//! `json-lists`: JSON arrays of prefixes under named top-level keys, the shape most CDNs
//! publish: Fastly `{addresses, ipv6_addresses}`, Imperva `{ipRanges, ipv6Ranges}`, Gcore
//! `{addresses, addresses_v6}`, CloudFront's own list, Zscaler's hub prefixes, CDN77's
//! `{prefixes[{prefix}]}`, and Bunny's bare arrays. Only the key names differ, and they are
//! data: the spec's `lists`, `prefix_field` and `date_field`.

use serde_json::Value;

use super::ctx::{member, top, Ctx};
use super::error::snippet;
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// Every named list present must be an array whose entries are prefixes (a CIDR or a bare
/// address: inside JSON a cut line cannot pass as an address, the document would not parse);
/// at least one named list must be present. With no `lists` the document is itself the array.
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let date = match spec.date_field.as_deref() {
        Some(field) if root.is_object() => cx.opt_date(&root, &top, field)?,
        _ => None,
    };
    let mut records = Vec::new();
    if spec.lists.is_empty() {
        let list = cx.array(&root, &top)?;
        push_entries(cx, spec, list, "", &mut records)?;
    } else {
        let mut any = false;
        for key in &spec.lists {
            let Some(list) = cx.opt_array(&root, &top, key)? else {
                continue;
            };
            any = true;
            push_entries(cx, spec, list, key, &mut records)?;
        }
        if !any {
            let first = spec.lists.first().map_or("", String::as_str);
            return Err(cx.shape(
                top(),
                format!("missing field {first:?} in {}", snippet(&root.to_string())),
            ));
        }
    }
    Ok(Parsed {
        date,
        version: None,
        records,
    })
}

fn push_entries(
    cx: &Ctx,
    spec: &FeedSpec,
    list: &[Value],
    key: &str,
    records: &mut Vec<PrefixRecord>,
) -> Result<(), FeedError> {
    for (i, entry) in list.iter().enumerate() {
        let at = || format!("{key}[{i}]");
        let value = match spec.prefix_field.as_deref() {
            Some(field) => {
                let v = cx.required(entry, &at, field)?;
                let field_at = || member(&at(), field);
                cx.prefix_or_address_value(v, &field_at)?
            }
            None => cx.prefix_or_address_value(entry, &at)?,
        };
        records.push(PrefixRecord::new(value, &spec.provider, None, None));
    }
    Ok(())
}
