//! `ip`: classifying addresses offline, from arguments or a stream of any length on stdin.

use std::io::{BufWriter, Write};
use std::net::IpAddr;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use onebasket::classify::Classifier;
use onebasket::feeds::AsnTable;
use onebasket::knowledge;

use crate::feeds::load_feeds;
use crate::input::{clip, Line, Lines};
use crate::{note, written, FeedsArg, Outcome};

type Out<'a> = BufWriter<std::io::StdoutLock<'a>>;

/// The `--asn-table` files, merged; none given, none used.
fn load_asn_tables(files: &[PathBuf]) -> Result<Option<AsnTable>> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut table = AsnTable::new();
    for file in files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            bail!(
                "{} is gzip-compressed: unpack it first (zcat)",
                file.display()
            );
        }
        table.add_csv(&file.display().to_string(), &bytes)?;
    }
    Ok(Some(table))
}

/// Runs `ip`.
pub(crate) fn classify_ips(
    feeds: &FeedsArg,
    json: bool,
    asn_tables: &[PathBuf],
    args: &[String],
) -> Result<Outcome> {
    let asn_table = load_asn_tables(asn_tables)?;
    let (set, specs) = load_feeds(feeds)?;
    let table = knowledge::build_table(&set, &specs);
    let classifier = knowledge::classifier(table)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut ok = true;
    for arg in args {
        if arg == "-" {
            let stdin = std::io::stdin();
            let mut lines = Lines::new(stdin.lock());
            while let Some((number, line)) = lines.next_line()? {
                ok &= match &line {
                    Line::Text(text) => one(
                        &classifier,
                        asn_table.as_ref(),
                        json,
                        text,
                        Some(number),
                        &mut out,
                    )?,
                    _ => {
                        written(out.flush())?;
                        if let Some(problem) = line.problem(number) {
                            note!("{problem}");
                        }
                        false
                    }
                };
            }
        } else {
            ok &= one(&classifier, asn_table.as_ref(), json, arg, None, &mut out)?;
        }
    }
    written(out.flush())?;
    Ok(Outcome::from_ok(ok))
}

/// Classifies one address (blank input is skipped); `Ok(false)` when it is none.
fn one(
    classifier: &Classifier,
    asn_table: Option<&AsnTable>,
    json: bool,
    text: &str,
    line: Option<u64>,
    out: &mut Out<'_>,
) -> Result<bool> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(true);
    }
    let trimmed = text.trim_start_matches('[').trim_end_matches(']');
    let Ok(ip) = trimmed.parse::<IpAddr>() else {
        // Errors go in order with the results before them.
        written(out.flush())?;
        match line {
            Some(n) => note!("line {n}: {:?} is not an IP address", clip(text)),
            None => note!("{:?} is not an IP address", clip(text)),
        }
        return Ok(false);
    };
    let asn = asn_table
        .and_then(|t| t.lookup(ip))
        .map(|e| (e.asn, e.holder));
    let v = classifier.classify_ip_with_asn(ip, asn);
    if json {
        written(serde_json::to_writer(&mut *out, &v).map_err(std::io::Error::from))?;
        written(out.write_all(b"\n"))?;
    } else {
        written(write!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            v.address,
            v.provider.as_deref().unwrap_or("-"),
            v.region.as_deref().unwrap_or("-"),
            v.service.as_deref().unwrap_or("-"),
            v.prefix.as_deref().unwrap_or("-"),
        ))?;
        // The AS column only when a table was given, so the default output keeps its five
        // columns.
        if asn_table.is_some() {
            match v.asn {
                Some(n) => written(write!(out, "\tAS{n}"))?,
                None => written(out.write_all(b"\t-"))?,
            }
        }
        written(out.write_all(b"\n"))?;
    }
    Ok(true)
}
