//! Prepares the embedded data at build time so the shipped wasm carries neither a TOML parser
//! nor an IDNA table for it: `providers.toml` becomes JSON (read with serde_json, which the
//! core needs anyway), and the Public Suffix List becomes its rules alone, Unicode rules in
//! punycode, sorted by their bytes read backwards, one per line (`site::psl` looks them up by
//! binary search, unparsed; a core test checks this output is what `SuffixList::prepare` would
//! make).

use std::path::Path;

fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    println!("cargo:rerun-if-changed=data/providers.toml");
    println!("cargo:rerun-if-changed=data/public_suffix_list.dat");

    let toml_text = std::fs::read_to_string("data/providers.toml").expect("data/providers.toml");
    // A syntax error here fails the build; the schema is checked by `Rules::builtin()` and its
    // tests, which report it with the provider's name.
    let value: toml::Value =
        toml::from_str(&toml_text).expect("data/providers.toml is not valid TOML");
    let json = serde_json::to_string(&value).expect("TOML values convert to JSON");
    std::fs::write(Path::new(&out).join("providers.json"), json).expect("write providers.json");

    let psl = std::fs::read_to_string("data/public_suffix_list.dat")
        .expect("data/public_suffix_list.dat");
    let mut rules = Vec::new();
    for line in psl.lines() {
        let Some(rule) = line.split_whitespace().next() else {
            continue;
        };
        if rule.starts_with("//") {
            continue;
        }
        if rule.is_ascii() {
            rules.push(rule.to_ascii_lowercase());
        } else {
            let (bang, name) = match rule.strip_prefix('!') {
                Some(rest) => ("!", rest),
                None => ("", rule),
            };
            let puny =
                idna::domain_to_ascii(name).unwrap_or_else(|_| panic!("invalid PSL rule {rule:?}"));
            rules.push(format!("{bang}{puny}"));
        }
    }
    // By their bytes read backwards, as `site::psl` looks them up.
    rules.sort_unstable_by(|a, b| a.bytes().rev().cmp(b.bytes().rev()));
    rules.dedup();
    let mut prepared = String::with_capacity(psl.len() / 2);
    for rule in rules {
        prepared.push_str(&rule);
        prepared.push('\n');
    }
    std::fs::write(Path::new(&out).join("public_suffix_list.dat"), prepared)
        .expect("write the prepared list");
}
