//! `ip`: classifying addresses offline.

use std::io::{BufRead, BufWriter, Write};
use std::net::IpAddr;

use anyhow::{bail, Result};
use onebasket::knowledge;

use crate::feeds::{cache_dir, load_dir};
use crate::FeedsArg;

pub(crate) fn classify_ips(feeds: &FeedsArg, json: bool, args: &[String]) -> Result<bool> {
    let (set, specs, _) = match &feeds.feeds {
        Some(dir) => load_dir(dir, false)?,
        None => {
            let dir = cache_dir()?;
            let loaded = load_dir(&dir, true)?;
            if loaded.2 == 0 {
                bail!(
                    "no feeds in {} (run `onebasket feeds update` or pass --feeds DIR)",
                    dir.display()
                );
            }
            loaded
        }
    };
    let table = knowledge::build_table(&set, &specs);
    let classifier = knowledge::classifier(table)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut ok = true;
    let mut one = |text: &str, out: &mut BufWriter<std::io::StdoutLock<'_>>| -> Result<()> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(());
        }
        let trimmed = text.trim_start_matches('[').trim_end_matches(']');
        match trimmed.parse::<IpAddr>() {
            Ok(ip) => {
                let v = classifier.classify_ip(ip);
                if json {
                    serde_json::to_writer(&mut *out, &v)?;
                    out.write_all(b"\n")?;
                } else {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}",
                        v.address,
                        v.provider.as_deref().unwrap_or("-"),
                        v.region.as_deref().unwrap_or("-"),
                        v.service.as_deref().unwrap_or("-"),
                        v.prefix.as_deref().unwrap_or("-"),
                    )?;
                }
            }
            Err(_) => {
                ok = false;
                out.flush()?;
                eprintln!("onebasket: {text:?} is not an IP address");
            }
        }
        Ok(())
    };
    for arg in args {
        if arg == "-" {
            let stdin = std::io::stdin();
            let mut line = String::new();
            let mut input = stdin.lock();
            loop {
                line.clear();
                if input.read_line(&mut line)? == 0 {
                    break;
                }
                one(&line, &mut out)?;
            }
        } else {
            one(arg, &mut out)?;
        }
    }
    out.flush()?;
    Ok(ok)
}
