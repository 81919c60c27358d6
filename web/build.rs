//! Bakes the provider display data (name, badge, colour, kind, DNS product) from the core's
//! reviewed `providers.toml` into a small static table.
//!
//! Why not `onebasket::rules::Rules::builtin()` at run time: it links the TOML parser and the
//! whole rules index into the page's wasm for five strings per provider (measured in the
//! report). The core's loader stays the one that validates the file; this only reads it.

use std::fmt::Write as _;
use std::path::Path;

#[derive(serde::Deserialize)]
struct File {
    provider: Vec<Provider>,
}

#[derive(serde::Deserialize)]
struct Provider {
    id: String,
    name: String,
    badge: String,
    color: String,
    kind: String,
    dns_name: Option<String>,
}

fn main() {
    // Read when the script runs, not baked in when it compiles: a build script's binary is
    // reused by another checkout that shares the target directory.
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let src = Path::new(&dir).join("../core/data/providers.toml");
    println!("cargo:rerun-if-changed={}", src.display());
    let text = std::fs::read_to_string(&src).expect("reading core/data/providers.toml");
    let file: File = toml::from_str(&text).expect("parsing core/data/providers.toml");
    let mut out = String::from("/// Every provider of `core/data/providers.toml`, in file order.\npub static PROVIDERS: &[Provider] = &[\n");
    for p in &file.provider {
        // `{:?}` writes a valid Rust string literal for any content.
        writeln!(
            out,
            "    Provider {{ id: {:?}, name: {:?}, badge: {:?}, color: {:?}, kind: {:?}, dns_name: {:?} }},",
            p.id, p.name, p.badge, p.color, p.kind, p.dns_name
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dst = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("providers.rs");
    std::fs::write(dst, out).expect("writing providers.rs");
}
