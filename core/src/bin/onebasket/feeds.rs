//! Feeds: reading a directory, the cache, downloading.
//!
//! A download replaces the cached copy only when it arrived whole within
//! [`onebasket::feeds::MAX_FEED_BYTES`], parses, and is not implausibly smaller than the
//! largest copy accepted in the last 30 days (`knowledge::shrink_reference`); otherwise the
//! last good copy stays. Each run writes through temp files of its own, so two runs at once
//! never write into each other's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use onebasket::feeds::{FeedSet, FeedSpec, MAX_FEED_BYTES};
use onebasket::knowledge::{self, AcceptedCopy};
use onebasket::rules::Rules;

use crate::http::{self, read_capped};
use crate::input::clip;
use crate::{note, written, FeedsArg, Outcome};

/// The largest download page (Azure's) read in search of the feed's link.
const MAX_PAGE_BYTES: usize = 4 * 1024 * 1024;

/// The feed cache: `$XDG_CACHE_HOME/onebasket/feeds`.
pub(crate) fn cache_dir() -> Result<PathBuf> {
    let base = dirs::cache_dir()
        .ok_or_else(|| anyhow!("no cache directory (set XDG_CACHE_HOME or pass --feeds DIR)"))?;
    Ok(base.join("onebasket").join("feeds"))
}

/// The file in `dir` holding `spec`'s feed: its own name, or for a dated family such as
/// `ServiceTags_Public.json` the newest `ServiceTags_Public*.json`.
pub(crate) fn feed_path(dir: &Path, spec: &FeedSpec) -> Option<PathBuf> {
    let exact = dir.join(&spec.file);
    if exact.is_file() {
        return Some(exact);
    }
    let (stem, ext) = spec.file.rsplit_once('.')?;
    let mut dated: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            // `<stem>_<digits>.<ext>` or `<stem>-<digits>.<ext>`: a dated copy, never another
            // feed that starts the same way (`cloudfront-ips.json` is not a `cloud.json`).
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.strip_prefix(stem)
                    .and_then(|rest| rest.strip_suffix(ext))
                    .and_then(|rest| rest.strip_suffix('.'))
                    .and_then(|date| date.strip_prefix(['_', '-']))
                    .is_some_and(|date| {
                        !date.is_empty() && date.bytes().all(|b| b.is_ascii_digit())
                    })
            })
        })
        .collect();
    dated.sort();
    dated.pop()
}

/// The feed specs of the built-in rules.
fn specs() -> Result<Vec<FeedSpec>> {
    let rules = Rules::builtin().context("built-in provider rules")?;
    Ok(knowledge::feed_specs(&rules)?)
}

/// Loads every feed file present in `dir`; a broken file is reported and skipped, and the
/// missing ones are counted in one line (only when `explicit`: the user named the directory; a
/// directory rarely holds all of the providers' lists). A named directory that does not exist
/// or holds none of the files is an error.
fn load_dir(dir: &Path, explicit: bool) -> Result<(FeedSet, Vec<FeedSpec>, usize)> {
    // Every feed, the `manual` ones (Akamai's zip-only lists) included: a directory may hold them.
    let specs = knowledge::all_feed_specs(&Rules::builtin().context("built-in provider rules")?);
    if explicit && !dir.is_dir() {
        bail!("--feeds {}: not a directory", dir.display());
    }
    let found: Vec<(&FeedSpec, Option<PathBuf>)> =
        specs.iter().map(|s| (s, feed_path(dir, s))).collect();
    if explicit && found.iter().all(|(_, p)| p.is_none()) {
        let names: Vec<&str> = specs.iter().map(|s| s.file.as_str()).collect();
        bail!(
            "--feeds {}: no feed files there (expected some of {})",
            dir.display(),
            names.join(", ")
        );
    }
    let missing: Vec<&str> = found
        .iter()
        .filter(|(_, p)| p.is_none())
        .map(|(s, _)| s.file.as_str())
        .collect();
    if explicit && !missing.is_empty() {
        note!(
            "{} of {} feed files are not in {}, so their ranges are unknown: {}",
            missing.len(),
            specs.len(),
            dir.display(),
            missing.join(", ")
        );
    }
    let mut set = FeedSet::new();
    let mut loaded = 0;
    for (spec, path) in found {
        let Some(path) = path else {
            continue;
        };
        match std::fs::read(&path) {
            Ok(bytes) => match set.apply(spec, &bytes) {
                Ok(_) => loaded += 1,
                Err(e) => note!("{}: {e}: skipped", path.display()),
            },
            Err(e) => note!("cannot read {}: {e}: skipped", path.display()),
        }
    }
    Ok((set, specs, loaded))
}

/// The feeds for `ip`: from `--feeds DIR`, else the cache, which must not be empty.
pub(crate) fn load_feeds(feeds: &FeedsArg) -> Result<(FeedSet, Vec<FeedSpec>)> {
    let (set, specs, _) = match &feeds.feeds {
        Some(dir) => load_dir(dir, true)?,
        None => {
            let dir = cache_dir()?;
            let loaded = load_dir(&dir, false)?;
            if loaded.2 == 0 {
                bail!(
                    "no feeds in {} (run `onebasket feeds update` or pass --feeds DIR)",
                    dir.display()
                );
            }
            loaded
        }
    };
    Ok((set, specs))
}

/// The classifier from `--feeds DIR`, else from the cache (downloading first when empty and
/// `fetch_if_empty`).
pub(crate) async fn load_classifier(
    feeds: &FeedsArg,
    fetch_if_empty: bool,
) -> Result<onebasket::classify::Classifier> {
    let (set, specs, _) = match &feeds.feeds {
        Some(dir) => load_dir(dir, true)?,
        None => {
            let dir = cache_dir()?;
            let mut loaded = load_dir(&dir, false)?;
            if loaded.2 == 0 && fetch_if_empty {
                note!(
                    "the feed cache {} is empty: downloading the feeds first",
                    dir.display()
                );
                // Stdout is the look-up's; the download's lines go with the other news.
                feeds_update(Some(dir.clone()), None, Lines::Stderr).await?;
                loaded = load_dir(&dir, false)?;
            }
            if loaded.2 == 0 {
                note!(
                    "no feeds in {} (run `onebasket feeds update` or pass --feeds DIR): only CNAME, NS, header and ASN rules apply",
                    dir.display()
                );
            }
            loaded
        }
    };
    let table = knowledge::build_table(&set, &specs);
    Ok(knowledge::classifier(table)?)
}

/// Sidecar metadata for conditional requests and the shrink check.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct FetchMeta {
    etag: Option<String>,
    last_modified: Option<String>,
    url: Option<String>,
    /// The copies accepted lately (the shrink check's references).
    #[serde(default)]
    accepted: Vec<AcceptedCopy>,
}

/// Where `feeds update` prints its line per feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lines {
    /// Standard output (`feeds update`).
    Stdout,
    /// Standard error (a download `lookup` or `report` starts, whose stdout is their own).
    Stderr,
}

/// Runs `feeds update`: every feed, one line each.
pub(crate) async fn feeds_update(
    dir: Option<PathBuf>,
    base: Option<&str>,
    lines: Lines,
) -> Result<Outcome> {
    let dir = match dir {
        Some(d) => d,
        None => cache_dir()?,
    };
    let meta_dir = dir.join(".meta");
    std::fs::create_dir_all(&meta_dir)
        .with_context(|| format!("creating {}", meta_dir.display()))?;
    let specs = specs()?;
    let client = reqwest::Client::builder()
        .user_agent(concat!("onebasket/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .redirect(http::feed_redirects())
        .build()?;
    let mut all_ok = true;
    let say = |line: String| -> Result<()> {
        match lines {
            Lines::Stdout => {
                let mut out = std::io::stdout().lock();
                written(writeln!(out, "{line}").and_then(|()| out.flush()))?;
            }
            Lines::Stderr => note!("{line}"),
        }
        Ok(())
    };
    let rules = Rules::builtin().context("built-in provider rules")?;
    for spec in rules.feeds().iter().filter(|f| f.manual) {
        say(format!(
            "{:<26} manual      unpack it from {} into {}",
            spec.file,
            spec.url,
            dir.display()
        ))?;
    }
    for spec in &specs {
        let url = match base {
            Some(b) => format!("{}/{}", b.trim_end_matches('/'), spec.file),
            None => spec.url.clone(),
        };
        match update_one(&client, &dir, &meta_dir, spec, &url).await {
            Ok(line) => say(format!("{:<26} {line}", spec.file))?,
            Err(e) => {
                all_ok = false;
                let kept = if feed_path(&dir, spec).is_some() {
                    "; keeping the last good copy"
                } else {
                    ""
                };
                note!("{}: {e:#}{kept}", spec.file);
            }
        }
    }
    Ok(Outcome::from_ok(all_ok))
}

/// A temp file name in `dir` for `name` that no other run (or call) uses.
fn temp_path(dir: &Path, name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}-{n}.part", std::process::id()))
}

/// Writes `bytes` to `target` through a temp file of this run's own, renamed into place, so a
/// reader (or another run) sees the old file or the new one, never a mix.
fn replace_file(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    let tmp = temp_path(dir, &name);
    let result = std::fs::write(&tmp, bytes)
        .with_context(|| format!("writing {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, target).with_context(|| format!("replacing {}", target.display()))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Seconds since the Unix epoch.
fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `secs` since the epoch as a UTC date, `YYYY-MM-DD` (H. Hinnant's civil-from-days).
fn utc_date(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// Fetches one feed conditionally; replaces the cached copy only with a file that parses and
/// is plausible (see the module docs).
async fn update_one(
    client: &reqwest::Client,
    dir: &Path,
    meta_dir: &Path,
    spec: &FeedSpec,
    url: &str,
) -> Result<String> {
    let meta_path = meta_dir.join(format!("{}.json", spec.file));
    let mut meta: FetchMeta = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let target = dir.join(&spec.file);
    let have_copy = target.is_file();
    let mut req = client.get(url);
    let mut conditional = false;
    if have_copy && meta.url.as_deref() == Some(url) {
        if let Some(etag) = &meta.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
            conditional = true;
        }
        if let Some(lm) = &meta.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            conditional = true;
        }
    }
    let mut resp = req.send().await.with_context(|| format!("GET {url}"))?;
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
        if !conditional {
            // Nothing was asked conditionally, so "unchanged" cannot be true: believing it
            // would leave no data at all for this feed.
            bail!("GET {url}: 304 Not Modified, but there is no cached copy to keep (the request was not conditional)");
        }
        let date = describe_cached(&target, spec);
        return Ok(format!("unchanged   {date}"));
    }
    if !resp.status().is_success() {
        bail!("GET {url}: HTTP {}", resp.status());
    }
    // Some publishers (Azure) have no stable file URL, only a download page linking the
    // current dated file: follow the first link to a file named like the feed.
    let is_html = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        let page = read_capped(resp, MAX_PAGE_BYTES)
            .await
            .with_context(|| format!("reading the page {url}"))?;
        let page = String::from_utf8_lossy(&page);
        let link = knowledge::find_feed_link(&page, &spec.file)
            .ok_or_else(|| anyhow!("{url} is a page with no link to a {} file", spec.file))?;
        resp = client
            .get(&link)
            .send()
            .await
            .with_context(|| format!("GET {}", clip(&link)))?;
        if !resp.status().is_success() {
            bail!("GET {}: HTTP {}", clip(&link), resp.status());
        }
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (etag, last_modified) = (
        header(reqwest::header::ETAG),
        header(reqwest::header::LAST_MODIFIED),
    );
    let bytes = read_capped(resp, MAX_FEED_BYTES)
        .await
        .with_context(|| format!("reading {url}"))?;
    let parsed = onebasket::feeds::parse(spec, &bytes)
        .map_err(|e| anyhow!("downloaded file rejected: {e}"))?;
    let records = u32::try_from(parsed.records.len()).unwrap_or(u32::MAX);
    let now = now_secs();
    if have_copy {
        if meta.accepted.is_empty() {
            // A cache from before the history was kept: the copy itself is the reference.
            if let Some(previous) = std::fs::read(&target)
                .ok()
                .and_then(|b| onebasket::feeds::parse(spec, &b).ok())
            {
                let at = std::fs::metadata(&target)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(now, |d| d.as_secs());
                meta.accepted.push(AcceptedCopy {
                    at,
                    records: u32::try_from(previous.records.len()).unwrap_or(u32::MAX),
                });
            }
        }
        if let Some(reference) = knowledge::shrink_reference(&meta.accepted, now) {
            if !knowledge::plausible_update(reference.records, records) {
                bail!(
                    "downloaded file rejected as implausible: {records} prefixes where the reference had {} (the largest good copy of the last {} days, accepted {})",
                    reference.records,
                    knowledge::SHRINK_REFERENCE_SECS / 86_400,
                    utc_date(reference.at)
                );
            }
        }
    } else {
        // No copy to protect: whatever was remembered was about a file that is gone.
        meta.accepted.clear();
    }
    replace_file(&target, &bytes)?;
    knowledge::remember_accepted(&mut meta.accepted, AcceptedCopy { at: now, records });
    meta.etag = etag;
    meta.last_modified = last_modified;
    meta.url = Some(url.to_owned());
    replace_file(&meta_path, &serde_json::to_vec(&meta)?)?;
    let date = parsed
        .date
        .clone()
        .or(meta
            .last_modified
            .clone()
            .map(|lm| format!("{lm} (Last-Modified)")))
        .unwrap_or_else(|| "no date in file".to_owned());
    Ok(format!(
        "updated     {date}  ({} prefixes)",
        parsed.records.len()
    ))
}

fn describe_cached(path: &Path, spec: &FeedSpec) -> String {
    std::fs::read(path)
        .ok()
        .and_then(|b| onebasket::feeds::parse(spec, &b).ok())
        .and_then(|p| p.date)
        .unwrap_or_else(|| "no date in file".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc_date(0), "1970-01-01");
        assert_eq!(utc_date(951_782_400), "2000-02-29");
        assert_eq!(utc_date(1_798_761_599), "2026-12-31");
    }

    #[test]
    fn temp_names_differ_within_a_run_and_carry_the_process() {
        let a = temp_path(Path::new("/d"), "cloud.json");
        let b = temp_path(Path::new("/d"), "cloud.json");
        assert_ne!(a, b);
        let name = a
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(".cloud.json."), "{name}");
        assert!(name.contains(&std::process::id().to_string()), "{name}");
    }
}
