//! Google `cloud.json` (Google Cloud, per region) and `goog.json` (all Google space).

use super::ctx::{top, Ctx};
use super::{FeedError, FeedFormat, FeedSpec, Parsed};
use crate::PrefixRecord;

pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let date = cx.opt_date(&root, &top, "creationTime")?;
    let version = cx.opt_version(&root, &top, "syncToken")?;
    // goog.json has no scope/service; cloud.json's are kept only for the cloud format so a
    // goog.json that grows them someday still yields plain "Google-owned" records.
    let with_meta = spec.format == FeedFormat::GcpCloud;

    let entries = cx.req_array(&root, &top, "prefixes")?;
    let mut records = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let at = || format!("prefixes[{i}]");
        let v4 = cx.field(entry, &at, "ipv4Prefix")?;
        let v6 = cx.field(entry, &at, "ipv6Prefix")?;
        let value = match (v4, v6) {
            (Some(v), None) | (None, Some(v)) => v,
            _ => {
                return Err(cx.shape(
                    at(),
                    format!(
                        "expected exactly one of \"ipv4Prefix\" / \"ipv6Prefix\" in {}",
                        super::error::snippet(&entry.to_string())
                    ),
                ))
            }
        };
        let prefix = cx.prefix_value(value, &at)?;
        let (region, service) = if with_meta {
            (
                cx.opt_str(entry, &at, "scope")?,
                cx.opt_str(entry, &at, "service")?,
            )
        } else {
            (None, None)
        };
        records.push(PrefixRecord::new(prefix, &spec.provider, region, service));
    }
    Ok(Parsed {
        date,
        version,
        records,
    })
}
