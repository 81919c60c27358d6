//! Fastly `public-ip-list` (`{addresses[], ipv6_addresses[]}`).

use super::ctx::{top, Ctx};
use super::error::snippet;
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let v4 = cx.opt_array(&root, &top, "addresses")?;
    let v6 = cx.opt_array(&root, &top, "ipv6_addresses")?;
    if v4.is_none() && v6.is_none() {
        return Err(cx.shape(
            top(),
            format!(
                "missing field \"addresses\" in {}",
                snippet(&root.to_string())
            ),
        ));
    }
    let mut records = Vec::new();
    for (key, list) in [("addresses", v4), ("ipv6_addresses", v6)] {
        for (i, value) in list.unwrap_or_default().iter().enumerate() {
            let prefix = cx.prefix_value(value, &|| format!("{key}[{i}]"))?;
            records.push(PrefixRecord::new(prefix, &spec.provider, None, None));
        }
    }
    Ok(Parsed {
        date: None,
        version: None,
        records,
    })
}
