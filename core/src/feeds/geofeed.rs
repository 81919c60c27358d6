//! RFC 8805 geofeeds (`prefix,country,region,city,postal`), e.g. DigitalOcean and Linode, and
//! the same feed as JSON (Vultr's `{updated, subnets[{ip_prefix, alpha2code, region, city}]}`):
//! one format, two spellings.

use ipnet::IpNet;

use super::ctx::{top, Ctx};
use super::error::snippet;
use super::{FeedError, FeedSpec, Parsed};
use crate::date::iso_date;
use crate::PrefixRecord;

/// Region scheme: `<region code or country> <city>` (`US-NY New York`, `NL-NH Amsterdam`),
/// falling back to the region code (`US-NY`), then the country (`US`); None when all are empty.
/// RFC 8805 region codes are ISO 3166-2 and already carry the country, so it is not repeated.
pub(super) fn parse(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let text = cx.text(bytes)?;
    // A CSV line starts with a prefix or `#`, never with a brace: the JSON spelling.
    if text.trim_start().starts_with('{') {
        return parse_json(cx, spec, bytes);
    }
    let mut date = None;
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(comment) = line.strip_prefix('#') {
            // Linode: "# Last modified: 2025-07-24 10:00:06.525037"; free text, so never an error.
            if date.is_none() {
                if let Some((label, rest)) = comment.split_once(':') {
                    if label.trim().eq_ignore_ascii_case("last modified") {
                        date = iso_date(rest.trim()).map(str::to_owned);
                    }
                }
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let at = || format!("line {}", n + 1);
        split_csv(line, &mut fields)
            .map_err(|problem| cx.shape(at(), format!("{problem} in {:?}", snippet(line))))?;
        let field = |k: usize| fields.get(k).map_or("", String::as_str);
        let prefix = cx.prefix(field(0), &at)?;
        records.push(located(spec, prefix, field(1), field(2), field(3)));
    }
    Ok(Parsed {
        date,
        version: None,
        records,
    })
}

/// The JSON spelling: the same fields under JSON names, the date in `updated`.
fn parse_json(cx: &Ctx, spec: &FeedSpec, bytes: &[u8]) -> Result<Parsed, FeedError> {
    let root = cx.json(bytes)?;
    let date = cx.opt_date(&root, &top, "updated")?;
    let subnets = cx.req_array(&root, &top, "subnets")?;
    let mut records = Vec::with_capacity(subnets.len());
    for (i, entry) in subnets.iter().enumerate() {
        let at = || format!("subnets[{i}]");
        let prefix = cx.prefix_value(cx.required(entry, &at, "ip_prefix")?, &at)?;
        let text = |key: &str| -> Result<&str, FeedError> {
            Ok(cx.opt_str(entry, &at, key)?.unwrap_or("").trim())
        };
        let (country, code, city) = (text("alpha2code")?, text("region")?, text("city")?);
        records.push(located(spec, prefix, country, code, city));
    }
    Ok(Parsed {
        date,
        version: None,
        records,
    })
}

/// The record of a prefix at a place: the region is [`region_name`]'s.
fn located(spec: &FeedSpec, prefix: IpNet, country: &str, code: &str, city: &str) -> PrefixRecord {
    let region = region_name(country, code, city);
    PrefixRecord::new(prefix, &spec.provider, Some(&region), None)
}

/// `<region code or country> <city>`, falling back to whichever parts exist.
fn region_name(country: &str, code: &str, city: &str) -> String {
    let place = if code.is_empty() { country } else { code };
    match (place.is_empty(), city.is_empty()) {
        (_, true) => place.to_owned(),
        (true, false) => city.to_owned(),
        (false, false) => format!("{place} {city}"),
    }
}

/// Splits one RFC 4180 line, honouring double quotes (a city may contain a comma).
pub(super) fn split_csv(line: &str, out: &mut Vec<String>) -> Result<(), &'static str> {
    out.clear();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            (false, ',') => out.push(std::mem::take(&mut field).trim().to_owned()),
            (_, c) => field.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field");
    }
    out.push(field.trim().to_owned());
    Ok(())
}
