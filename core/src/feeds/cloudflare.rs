//! Cloudflare's `client/v4/ips` API answer (JSON); its text files are `cidr-text`.

use super::ctx::{member, top, Ctx};
use super::error::snippet;
use super::{FeedError, FeedSpec, Parsed};
use crate::PrefixRecord;

/// `{success, errors, result{ipv4_cidrs, ipv6_cidrs, etag}}`; `success: false` is an API failure.
pub(super) fn parse_api(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let success = cx.required(&root, &top, "success")?;
    match success.as_bool() {
        Some(true) => {}
        Some(false) => {
            let errors = cx
                .field(&root, &top, "errors")?
                .map_or_else(|| "no details".to_owned(), |e| snippet(&e.to_string()));
            return Err(FeedError::ApiFailure {
                file: cx.file.to_owned(),
                entry: "success".to_owned(),
                message: errors,
            });
        }
        None => {
            return Err(cx.shape(
                "success".to_owned(),
                format!(
                    "expected a boolean, found {}",
                    snippet(&success.to_string())
                ),
            ))
        }
    }
    let result_at = || "result".to_owned();
    let result = cx.required(&root, &top, "result")?;
    let version = cx.opt_version(result, &result_at, "etag")?;
    let v4 = cx.opt_array(result, &result_at, "ipv4_cidrs")?;
    let v6 = cx.opt_array(result, &result_at, "ipv6_cidrs")?;
    if v4.is_none() && v6.is_none() {
        return Err(cx.shape(
            "result".to_owned(),
            format!(
                "missing field \"ipv4_cidrs\" in {}",
                snippet(&result.to_string())
            ),
        ));
    }
    let mut records = Vec::new();
    for (key, list) in [("ipv4_cidrs", v4), ("ipv6_cidrs", v6)] {
        for (i, value) in list.unwrap_or_default().iter().enumerate() {
            let prefix = cx.prefix_value(value, &|| format!("{}[{i}]", member("result", key)))?;
            records.push(PrefixRecord::new(prefix, &spec.provider, None, None));
        }
    }
    Ok(Parsed {
        date: None,
        version,
        records,
    })
}
