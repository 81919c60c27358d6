//! Provider display data baked from `core/data/providers.toml` by `build.rs`.

/// How a provider is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Provider {
    /// Stable id (`aws`).
    pub id: &'static str,
    /// Display name (`Amazon Web Services`).
    pub name: &'static str,
    /// Short label (`AWS`).
    pub badge: &'static str,
    /// Badge colour, `#rrggbb`, readable with white text.
    pub color: &'static str,
    /// `cloud`, `cdn`, `paas`, `dns` or `host`.
    pub kind: &'static str,
    /// Its DNS product (`Route 53`), if any.
    pub dns_name: Option<&'static str>,
}

include!(concat!(env!("OUT_DIR"), "/providers.rs"));

/// Colour for ids the table does not know (a newer worker, or "unknown").
pub const NEUTRAL: &str = "#5F6368";

/// The provider with this id.
pub fn get(id: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.id == id)
}

/// Display name of an id; an id the table does not know is shown as it is (it is still text).
pub fn name(id: &str) -> &str {
    get(id).map_or(id, |p| p.name)
}

/// Short label of an id.
pub fn badge(id: &str) -> &str {
    get(id).map_or(id, |p| p.badge)
}

/// A DNS provider's product name (`Route 53`), else its display name.
pub fn dns_name(id: &str) -> &str {
    get(id).map_or(id, |p| p.dns_name.unwrap_or(p.name))
}

/// The table baked here, as the core's words want their names.
pub struct Baked;

impl onebasket::panel::words::Names for Baked {
    fn name<'a>(&'a self, id: &'a str) -> &'a str {
        name(id)
    }

    fn badge<'a>(&'a self, id: &'a str) -> &'a str {
        badge(id)
    }

    fn dns_name<'a>(&'a self, id: &'a str) -> &'a str {
        dns_name(id)
    }
}

/// Badge colour of an id (neutral grey when unknown).
pub fn color(id: Option<&str>) -> &'static str {
    id.and_then(get).map_or(NEUTRAL, |p| p.color)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_baked_from_the_data_file() {
        assert!(PROVIDERS.len() > 20);
        assert_eq!(name("aws"), "Amazon Web Services");
        assert_eq!(badge("aws"), "AWS");
        assert_eq!(get("aws").and_then(|p| p.dns_name), Some("Route 53"));
        assert_eq!(name("nobody"), "nobody");
        assert_eq!(color(None), NEUTRAL);
        assert!(PROVIDERS
            .iter()
            .all(|p| p.color.len() == 7 && p.color.starts_with('#')));
    }
}
