//! Feeds: reading a directory, the cache, downloading.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use onebasket::feeds::{FeedSet, FeedSpec};
use onebasket::knowledge;
use onebasket::rules::Rules;

use crate::FeedsArg;

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
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(stem) && n.ends_with(&format!(".{ext}")) && n.len() > spec.file.len()
            })
        })
        .collect();
    dated.sort();
    dated.pop()
}

/// Loads every feed file present in `dir`; a missing or broken file is reported and skipped.
pub(crate) fn load_dir(dir: &Path, quiet_missing: bool) -> Result<(FeedSet, Vec<FeedSpec>, usize)> {
    let rules = Rules::builtin().context("built-in provider rules")?;
    let specs = knowledge::feed_specs(&rules)?;
    let mut set = FeedSet::new();
    let mut loaded = 0;
    for spec in &specs {
        let Some(path) = feed_path(dir, spec) else {
            if !quiet_missing {
                eprintln!(
                    "onebasket: feed {} not found in {}: skipped",
                    spec.file,
                    dir.display()
                );
            }
            continue;
        };
        match std::fs::read(&path) {
            Ok(bytes) => match set.apply(spec, &bytes) {
                Ok(_) => loaded += 1,
                Err(e) => eprintln!("onebasket: {}: {e}: skipped", path.display()),
            },
            Err(e) => eprintln!("onebasket: cannot read {}: {e}: skipped", path.display()),
        }
    }
    Ok((set, specs, loaded))
}

/// The classifier from `--feeds DIR`, else from the cache (downloading first when empty and
/// `fetch_if_empty`).
pub(crate) async fn load_classifier(
    feeds: &FeedsArg,
    fetch_if_empty: bool,
) -> Result<onebasket::classify::Classifier> {
    let (set, specs, _) = match &feeds.feeds {
        Some(dir) => {
            if !dir.is_dir() {
                bail!("--feeds {}: not a directory", dir.display());
            }
            load_dir(dir, false)?
        }
        None => {
            let dir = cache_dir()?;
            let mut loaded = load_dir(&dir, true)?;
            if loaded.2 == 0 && fetch_if_empty {
                eprintln!(
                    "onebasket: the feed cache {} is empty: downloading the feeds first",
                    dir.display()
                );
                feeds_update(Some(dir.clone()), None).await?;
                loaded = load_dir(&dir, true)?;
            }
            if loaded.2 == 0 {
                eprintln!(
                    "onebasket: no feeds in {} (run `onebasket feeds update` or pass --feeds DIR): only CNAME, NS, header and ASN rules apply",
                    dir.display()
                );
            }
            loaded
        }
    };
    let table = knowledge::build_table(&set, &specs);
    Ok(knowledge::classifier(table)?)
}

/// Sidecar metadata for conditional requests.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct FetchMeta {
    etag: Option<String>,
    last_modified: Option<String>,
    url: Option<String>,
}

pub(crate) async fn feeds_update(dir: Option<PathBuf>, base: Option<&str>) -> Result<bool> {
    let dir = match dir {
        Some(d) => d,
        None => cache_dir()?,
    };
    let meta_dir = dir.join(".meta");
    std::fs::create_dir_all(&meta_dir)
        .with_context(|| format!("creating {}", meta_dir.display()))?;
    let rules = Rules::builtin()?;
    let specs = knowledge::feed_specs(&rules)?;
    let client = reqwest::Client::builder()
        .user_agent(concat!("onebasket/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut all_ok = true;
    for spec in &specs {
        let url = match base {
            Some(b) => format!("{}/{}", b.trim_end_matches('/'), spec.file),
            None => spec.url.clone(),
        };
        match update_one(&client, &dir, &meta_dir, spec, &url).await {
            Ok(line) => println!("{:<26} {line}", spec.file),
            Err(e) => {
                all_ok = false;
                let kept = if feed_path(&dir, spec).is_some() {
                    "; keeping the last good copy"
                } else {
                    ""
                };
                eprintln!("onebasket: {}: {e:#}{kept}", spec.file);
            }
        }
    }
    Ok(all_ok)
}

/// Fetches one feed conditionally; replaces the cached copy only with a file that parses.
async fn update_one(
    client: &reqwest::Client,
    dir: &Path,
    meta_dir: &Path,
    spec: &FeedSpec,
    url: &str,
) -> Result<String> {
    let meta_path = meta_dir.join(format!("{}.json", spec.file));
    let meta: FetchMeta = std::fs::read(&meta_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let target = dir.join(&spec.file);
    let have_copy = target.is_file();
    let mut req = client.get(url);
    if have_copy && meta.url.as_deref() == Some(url) {
        if let Some(etag) = &meta.etag {
            req = req.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &meta.last_modified {
            req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
        }
    }
    let mut resp = req.send().await.with_context(|| format!("GET {url}"))?;
    if resp.status() == reqwest::StatusCode::NOT_MODIFIED {
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
        let page = resp.text().await?;
        let link = knowledge::find_feed_link(&page, &spec.file)
            .ok_or_else(|| anyhow!("{url} is a page with no link to a {} file", spec.file))?;
        resp = client
            .get(&link)
            .send()
            .await
            .with_context(|| format!("GET {link}"))?;
        if !resp.status().is_success() {
            bail!("GET {link}: HTTP {}", resp.status());
        }
    }
    let header = |name: reqwest::header::HeaderName| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let new_meta = FetchMeta {
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
        url: Some(url.to_owned()),
    };
    let bytes = resp
        .bytes()
        .await
        .with_context(|| format!("reading {url}"))?;
    let parsed = onebasket::feeds::parse(spec, &bytes)
        .map_err(|e| anyhow!("downloaded file rejected: {e}"))?;
    if let Some(previous) = std::fs::read(&target)
        .ok()
        .and_then(|b| onebasket::feeds::parse(spec, &b).ok())
    {
        let (before, now) = (previous.records.len(), parsed.records.len());
        if !knowledge::plausible_update(
            u32::try_from(before).unwrap_or(u32::MAX),
            u32::try_from(now).unwrap_or(u32::MAX),
        ) {
            bail!("downloaded file rejected as implausible: {now} prefixes where the last good copy had {before}");
        }
    }
    let tmp = dir.join(format!(".{}.part", spec.file));
    std::fs::write(&tmp, &bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &target).with_context(|| format!("replacing {}", target.display()))?;
    std::fs::write(&meta_path, serde_json::to_vec(&new_meta)?)?;
    let date = parsed
        .date
        .clone()
        .or(new_meta
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
