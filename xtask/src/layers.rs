//! The layer invariant of ARCHITECTURE.md, checked: core's top-level modules are listed there
//! bottom up, and each may use only the modules listed above it (so there is no cycle, and the
//! list stays the design rather than a wish). Tests inside a module are free to use anything.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The core modules in the order ARCHITECTURE.md lists them (its `core/` block: a line of two
/// spaces and a lowercase name, `/` for a folder).
fn listed_order(architecture: &str) -> Vec<String> {
    let mut in_core = false;
    let mut order = Vec::new();
    for line in architecture.lines() {
        if line.starts_with("core/ ") {
            in_core = true;
            continue;
        }
        if !in_core {
            continue;
        }
        if !line.starts_with("  ") {
            break;
        }
        let entry = &line[2..];
        if entry.starts_with(' ') {
            continue;
        }
        let name: String = entry
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        if name == "bin" {
            break;
        }
        if !name.is_empty() {
            order.push(name);
        }
    }
    order
}

/// The `.rs` files of a module (`name.rs`, or every file under `name/`), without its test files.
fn module_files(src: &Path, name: &str) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let single = src.join(format!("{name}.rs"));
    if single.is_file() {
        files.push(single);
    }
    let mut dirs = vec![src.join(name)];
    while let Some(dir) = dirs.pop() {
        if !dir.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            let is_test = path
                .file_name()
                .is_some_and(|n| n == "tests" || n == "tests.rs");
            if is_test {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    Ok(files)
}

/// `source` up to its test module (`#[cfg(test)]` then `mod …`); a `#[cfg(test)]` item
/// elsewhere does not end it.
fn without_test_module(source: &str) -> &str {
    let mut from = 0;
    while let Some(at) = source[from..].find("#[cfg(test)]") {
        let start = from + at;
        let after = &source[start + "#[cfg(test)]".len()..];
        if after.trim_start().starts_with("mod ") {
            return &source[..start];
        }
        from = start + 1;
    }
    source
}

/// The top-level modules `source` names as `crate::<module>` outside comments and its test
/// module.
fn used_modules(source: &str) -> BTreeSet<String> {
    let code = without_test_module(source);
    let mut used = BTreeSet::new();
    for line in code.lines() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        for (i, _) in line.match_indices("crate::") {
            let rest = &line[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            // `crate::Millis` and other root items are not modules.
            let is_module = rest[name.len()..].starts_with("::");
            if !name.is_empty() && is_module {
                used.insert(name);
            }
        }
    }
    used
}

/// Every use of a module listed below the user (or not listed at all), as messages.
pub(crate) fn violations(repo: &Path) -> Result<Vec<String>> {
    let architecture = fs::read_to_string(repo.join("ARCHITECTURE.md"))?;
    let order = listed_order(&architecture);
    let src = repo.join("core/src");
    let mut found = Vec::new();
    let lib = fs::read_to_string(src.join("lib.rs"))?;
    for line in lib.lines() {
        if let Some(name) = line
            .strip_prefix("pub mod ")
            .and_then(|l| l.strip_suffix(';'))
        {
            if !order.iter().any(|m| m == name) {
                found.push(format!(
                    "core module `{name}` is not listed in ARCHITECTURE.md"
                ));
            }
        }
    }
    for (rank, module) in order.iter().enumerate() {
        for file in module_files(&src, module)? {
            let source = fs::read_to_string(&file)?;
            for used in used_modules(&source) {
                if used == *module {
                    continue;
                }
                match order.iter().position(|m| *m == used) {
                    Some(r) if r < rank => {}
                    Some(_) => found.push(format!(
                        "{} uses `{used}`, which ARCHITECTURE.md lists after `{module}` (a layer uses only those above it)",
                        file.display()
                    )),
                    None => found.push(format!(
                        "{} uses `{used}`, which ARCHITECTURE.md does not list",
                        file.display()
                    )),
                }
            }
        }
    }
    Ok(found)
}

/// `cargo xtask layers`: fails when a core module uses one listed after it.
pub(crate) fn layers() -> Result<()> {
    let found = violations(&crate::project_root())?;
    if !found.is_empty() {
        bail!("core's layers are broken:\n{}", found.join("\n"));
    }
    eprintln!("layers: every core module uses only those ARCHITECTURE.md lists above it");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_is_read_from_the_core_block() {
        let doc = "x\n```\ncore/ (crate)  pure\n  record      a\n              more\n  feeds/      b\n  bin/onebasket/ c\nextension/\n";
        assert_eq!(listed_order(doc), ["record", "feeds"]);
    }

    #[test]
    fn uses_are_modules_outside_comments_and_tests() {
        let src = "use crate::table::X;\n// crate::panel::Y\n#[cfg(test)]\nconst T: &str = \"\";\nfn f(_: crate::Millis) { crate::site::host(); }\n#[cfg(test)]\nmod tests { use crate::tracker::Z; }\n";
        let used: Vec<String> = used_modules(src).into_iter().collect();
        // A `#[cfg(test)]` item does not hide the code after it; the test module does.
        assert_eq!(used, ["site", "table"]);
    }

    #[test]
    fn core_follows_the_architecture_order() -> Result<()> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let found = violations(&repo)?;
        assert!(found.is_empty(), "{}", found.join("\n"));
        Ok(())
    }
}
