//! `ip`: classifying addresses offline, from arguments or a stream of any length on stdin.

use std::io::{BufWriter, Write};
use std::net::IpAddr;

use anyhow::Result;
use onebasket::classify::Classifier;
use onebasket::knowledge;

use crate::feeds::load_feeds;
use crate::input::{clip, Line, Lines};
use crate::{note, written, FeedsArg, Outcome};

type Out<'a> = BufWriter<std::io::StdoutLock<'a>>;

/// Runs `ip`.
pub(crate) fn classify_ips(feeds: &FeedsArg, json: bool, args: &[String]) -> Result<Outcome> {
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
                    Line::Text(text) => one(&classifier, json, text, Some(number), &mut out)?,
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
            ok &= one(&classifier, json, arg, None, &mut out)?;
        }
    }
    written(out.flush())?;
    Ok(Outcome::from_ok(ok))
}

/// Classifies one address (blank input is skipped); `Ok(false)` when it is none.
fn one(
    classifier: &Classifier,
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
    let v = classifier.classify_ip(ip);
    if json {
        written(serde_json::to_writer(&mut *out, &v).map_err(std::io::Error::from))?;
        written(out.write_all(b"\n"))?;
    } else {
        written(writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            v.address,
            v.provider.as_deref().unwrap_or("-"),
            v.region.as_deref().unwrap_or("-"),
            v.service.as_deref().unwrap_or("-"),
            v.prefix.as_deref().unwrap_or("-"),
        ))?;
    }
    Ok(true)
}
