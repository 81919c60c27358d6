//! Prepares the embedded data at build time so the shipped wasm carries neither a TOML parser
//! nor an IDNA table for it: `providers.toml` becomes JSON (read with serde_json, which the
//! core needs anyway), and the Public Suffix List loses its comments (keeping the section
//! markers the parser needs) and has its Unicode rules converted to punycode.

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
    let mut prepared = String::with_capacity(psl.len() / 2);
    for line in psl.lines() {
        let line = line.trim_end();
        if line.starts_with("//") {
            // The parser tells ICANN from private suffixes by these markers.
            if line.contains("===BEGIN") || line.contains("===END") {
                prepared.push_str(line);
                prepared.push('\n');
            }
            continue;
        }
        let Some(rule) = line.split_whitespace().next() else {
            continue;
        };
        if rule.is_ascii() {
            prepared.push_str(rule);
        } else {
            let (bang, name) = match rule.strip_prefix('!') {
                Some(rest) => ("!", rest),
                None => ("", rule),
            };
            let puny =
                idna::domain_to_ascii(name).unwrap_or_else(|_| panic!("invalid PSL rule {rule:?}"));
            prepared.push_str(bang);
            prepared.push_str(&puny);
        }
        prepared.push('\n');
    }
    std::fs::write(Path::new(&out).join("public_suffix_list.dat"), prepared)
        .expect("write the prepared list");
}
