//! Hostname → site key: the registrable domain ("eTLD+1") that groups a site's hosts.
//!
//! Uses the Public Suffix List, ICANN *and* private sections, as browsers do for site isolation
//! and cookies: `alice.github.io` and `bob.github.io` are different sites. The list ships in the
//! crate (`data/public_suffix_list.dat`, MPL-2.0, see `data/PUBLIC_SUFFIX_LIST.NOTICE`), dated
//! [`BUILTIN_LIST_DATE`]; [`SiteKeys::from_list`] takes a newer one.
//!
//! Policy of [`SiteKeys::site_key`]:
//! - IP literals are their own site ([`SiteKey::Ip`]).
//! - Special-use names ([`SPECIAL_USE_SUFFIXES`]: `localhost`, `test`, `example`, `invalid`,
//!   `local`, `internal`, `alt`, `onion`, `home.arpa`) are treated as single-label public
//!   suffixes: the key is the suffix plus one label, as [`SiteKey::Local`]. So
//!   `shop.example.test` and `api.example.test` share the site `example.test`, and
//!   `foo.localhost` is its own site.
//! - Single-label names (`intranet`, `localhost`) are [`SiteKey::Local`] of themselves.
//! - Names under a TLD the list does not know (`nas.lan`, `x.corp`) have no public suffix: the
//!   key is the last two labels, as [`SiteKey::Local`]. (A TLD delegated after the list's date
//!   lands here too until the list is updated.)
//! - Otherwise the registrable domain, as [`SiteKey::Domain`]. A name that is itself a public
//!   suffix (`co.uk`, `github.io`) is its own site, `Domain("co.uk")`, as in browsers.
//!
//! Hostnames only: URLs, ports and userinfo are the caller's business (`example.com:443` is
//! rejected, not silently trimmed).

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod psl;
pub mod url;
use psl::SuffixList;
pub use url::{host_of_url, origin_of_url};

/// The Public Suffix List shipped with the crate (`data/public_suffix_list.dat` as the build
/// script prepared it: its rules alone, Unicode rules in punycode, sorted one per line).
const BUILTIN_LIST: &str = include_str!(concat!(env!("OUT_DIR"), "/public_suffix_list.dat"));

/// Date of the shipped Public Suffix List (Debian `publicsuffix` 20230209.2326-1).
pub const BUILTIN_LIST_DATE: &str = "2023-02-09";

/// Special-use domain suffixes (RFC 6761, 6762, 7686, 8375, 9476; ICANN's `.internal`) that are
/// treated as single-label public suffixes and give [`SiteKey::Local`] keys.
pub const SPECIAL_USE_SUFFIXES: &[&str] = &[
    "localhost",
    "test",
    "example",
    "invalid",
    "local",
    "internal",
    "alt",
    "onion",
    "home.arpa",
];

/// Longest hostname, in octets, without the trailing dot (RFC 1035: 255 on the wire).
pub const MAX_HOST_LEN: usize = 253;
/// Longest label, in octets.
pub const MAX_LABEL_LEN: usize = 63;

/// Errors normalizing a hostname or loading a list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SiteError {
    /// The input is empty (or only a dot).
    #[error("empty hostname")]
    Empty,
    /// The (punycoded) name is longer than 253 octets.
    #[error("hostname is {0} octets long, more than {MAX_HOST_LEN}")]
    TooLong(usize),
    /// A label is empty (`a..b`, `.a`).
    #[error("hostname has an empty label")]
    EmptyLabel,
    /// A label is longer than 63 octets.
    #[error("hostname label is {0} octets long, more than {MAX_LABEL_LEN}")]
    LabelTooLong(usize),
    /// A character hostnames may not contain (space, `:` of a port, `/`, `*`…).
    #[error("invalid character {0:?} in hostname")]
    InvalidCharacter(char),
    /// Unicode → punycode (UTS #46) failed, or an `xn--` label is not valid punycode.
    #[error("invalid internationalized hostname {0:?}")]
    Idna(String),
    /// A name ending in a number that is not an IPv4 address (`1.2.3`, `0x7f.1`): URL parsers
    /// would read it as an IPv4 address, so it is ambiguous.
    #[error("{0:?} ends in a number but is not a dotted-quad IPv4 address")]
    NumericName(String),
    /// An IP literal where a hostname was required ([`Host::parse`]).
    #[error("{0} is an IP address, not a hostname")]
    IpLiteral(IpAddr),
    /// A bracketed literal that is not an IPv6 address.
    #[error("invalid IPv6 literal {0:?}")]
    InvalidIpv6(String),
    /// A Public Suffix List that could not be read.
    #[error("invalid public suffix list: {0}")]
    List(String),
}

/// The key that groups a site's hosts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum SiteKey {
    /// A registrable domain (eTLD+1), ASCII (punycode), lowercase.
    Domain(String),
    /// An IP literal.
    Ip(IpAddr),
    /// A name outside the public DNS: single-label, special-use (`example.test`,
    /// `foo.localhost`) or under a TLD unknown to the list. Lowercase ASCII.
    Local(String),
}

impl SiteKey {
    /// The key as text: the domain or name, or the IP address (IPv6 without brackets).
    pub fn as_str(&self) -> Cow<'_, str> {
        match self {
            SiteKey::Domain(s) | SiteKey::Local(s) => Cow::Borrowed(s),
            SiteKey::Ip(ip) => Cow::Owned(ip.to_string()),
        }
    }
}

impl fmt::Display for SiteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SiteKey::Domain(s) | SiteKey::Local(s) => f.write_str(s),
            SiteKey::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// A normalized hostname: lowercase ASCII (punycode), no trailing dot, labels of 1 to 63
/// letters, digits, hyphens or underscores, at most 253 octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Host(String);

impl Host {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Normalizes a hostname (see [`normalize_host`]); IP literals are rejected.
    pub fn parse(input: &str) -> Result<Self, SiteError> {
        match normalize_host(input)? {
            HostKind::Name(h) => Ok(h),
            HostKind::Ip(ip) => Err(SiteError::IpLiteral(ip)),
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Host {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Host {
    type Error = SiteError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Host::parse(&s)
    }
}

impl From<Host> for String {
    fn from(h: Host) -> Self {
        h.0
    }
}

/// A normalized host: a name or an IP literal.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostKind {
    /// A hostname.
    Name(Host),
    /// An IP literal (`192.0.2.1`, `[2001:db8::1]` or bare `2001:db8::1`).
    Ip(IpAddr),
}

fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// WHATWG URL "ends in a number": such a host is parsed as IPv4 by browsers, so a name like
/// `1.2.3` or `foo.0x7f` is never a hostname.
fn ends_in_number(name: &str) -> bool {
    let last = name.rsplit('.').next().unwrap_or(name);
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    match last.strip_prefix("0x").or_else(|| last.strip_prefix("0X")) {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

/// Normalizes a host as found in a URL's host part.
///
/// Accepts names in any case, with or without a trailing dot, Unicode (`münchen.de` →
/// `xn--mnchen-3ya.de`, UTS #46 as in URLs) or punycode (validated); IPv4 dotted quads; IPv6
/// bare or in brackets. Rejects empty input, ports (`example.com:8443`), spaces and other
/// characters outside letters, digits, `-`, `_` and `.`, empty labels (`a..b`), labels over 63
/// octets, names over 253 octets, invalid IDNs, and names ending in a number that are not IPv4
/// addresses.
pub fn normalize_host(input: &str) -> Result<HostKind, SiteError> {
    if input.is_empty() {
        return Err(SiteError::Empty);
    }
    if let Some(inner) = input.strip_prefix('[') {
        let inner = inner
            .strip_suffix(']')
            .ok_or_else(|| SiteError::InvalidIpv6(input.into()))?;
        let ip: Ipv6Addr = inner
            .parse()
            .map_err(|_| SiteError::InvalidIpv6(input.into()))?;
        return Ok(HostKind::Ip(IpAddr::V6(ip)));
    }
    if input.contains(':') {
        // Hostnames can't contain ':', so this is a bare IPv6 address or a host with a port.
        return match input.parse::<Ipv6Addr>() {
            Ok(ip) => Ok(HostKind::Ip(IpAddr::V6(ip))),
            Err(_) => Err(SiteError::InvalidCharacter(':')),
        };
    }
    let ascii: Cow<'_, str> = if input.is_ascii() {
        // Check before IDNA so the error names the offending character; IDNA then lowercases
        // and validates `xn--` labels.
        if let Some(c) = input.chars().find(|&c| c != '.' && !is_host_char(c as u8)) {
            return Err(SiteError::InvalidCharacter(c));
        }
        ascii_to_ascii(input)?
    } else {
        if let Some(c) = input.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(SiteError::InvalidCharacter(c));
        }
        unicode_to_ascii(input)?
    };
    // UTS #46 maps some Unicode to ASCII punctuation (fullwidth '／' → '/', '。' → '.'), so
    // the checks below run on its output.
    if let Some(c) = ascii.chars().find(|&c| c != '.' && !is_host_char(c as u8)) {
        return Err(SiteError::InvalidCharacter(c));
    }
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii);
    if ascii.is_empty() {
        return Err(SiteError::Empty);
    }
    if let Ok(ip) = ascii.parse::<Ipv4Addr>() {
        // Also catches Unicode digits that map to an address, e.g. fullwidth "１２７.０.０.１".
        return Ok(HostKind::Ip(IpAddr::V4(ip)));
    }
    if ascii.len() > MAX_HOST_LEN {
        return Err(SiteError::TooLong(ascii.len()));
    }
    for label in ascii.split('.') {
        if label.is_empty() {
            return Err(SiteError::EmptyLabel);
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(SiteError::LabelTooLong(label.len()));
        }
    }
    if ends_in_number(ascii) {
        return Err(SiteError::NumericName(ascii.into()));
    }
    Ok(HostKind::Name(Host(ascii.to_ascii_lowercase())))
}

/// Lowercases an ASCII name and checks its `xn--` labels (UTS 46, as browsers do).
#[cfg(feature = "idn")]
fn ascii_to_ascii(input: &str) -> Result<Cow<'_, str>, SiteError> {
    idna::domain_to_ascii_cow(input.as_bytes(), idna::AsciiDenyList::URL)
        .map_err(|_| SiteError::Idna(input.into()))
}

/// Lowercases an ASCII name (without the `idn` feature, `xn--` labels are taken as they are).
#[cfg(not(feature = "idn"))]
fn ascii_to_ascii(input: &str) -> Result<Cow<'_, str>, SiteError> {
    Ok(if input.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(input.to_ascii_lowercase())
    } else {
        Cow::Borrowed(input)
    })
}

/// A Unicode name to punycode (UTS 46, as browsers do).
#[cfg(feature = "idn")]
fn unicode_to_ascii(input: &str) -> Result<Cow<'_, str>, SiteError> {
    idna::domain_to_ascii_cow(input.as_bytes(), idna::AsciiDenyList::URL)
        .map_err(|_| SiteError::Idna(input.into()))
}

/// Without the `idn` feature Unicode names are refused (browsers already hand over punycode).
#[cfg(not(feature = "idn"))]
fn unicode_to_ascii(input: &str) -> Result<Cow<'_, str>, SiteError> {
    Err(SiteError::Idna(format!(
        "{input} (Unicode hostnames need the `idn` feature)"
    )))
}

/// Site keys from a Public Suffix List. The shipped list costs nothing to make (it is sorted at
/// build time); cloning is cheap (a loaded list is shared).
#[derive(Debug, Clone)]
pub struct SiteKeys {
    list: Arc<SuffixList>,
}

impl SiteKeys {
    /// Site keys from the Public Suffix List shipped with the crate ([`BUILTIN_LIST_DATE`]).
    pub fn builtin() -> Self {
        Self {
            list: Arc::new(SuffixList::presorted(BUILTIN_LIST)),
        }
    }

    /// Site keys from a Public Suffix List in its published format (`public_suffix_list.dat`:
    /// comments and blank lines ignored, Unicode rules converted to punycode, as hosts are).
    pub fn from_list(text: &str) -> Result<Self, SiteError> {
        Ok(Self {
            list: Arc::new(SuffixList::parse(text)?),
        })
    }

    /// The site key of a host (see the module documentation for the policy).
    pub fn site_key(&self, host: &str) -> Result<SiteKey, SiteError> {
        Ok(match normalize_host(host)? {
            HostKind::Ip(ip) => SiteKey::Ip(ip),
            HostKind::Name(name) => self.key_of(&name),
        })
    }

    /// The site key of a normalized hostname.
    pub fn key_of(&self, host: &Host) -> SiteKey {
        let name = host.as_str();
        if !name.contains('.') {
            return SiteKey::Local(name.to_string());
        }
        for suffix in SPECIAL_USE_SUFFIXES {
            if name == *suffix {
                return SiteKey::Local(name.to_string());
            }
            if let Some(rest) = name.strip_suffix(suffix).and_then(|r| r.strip_suffix('.')) {
                let label = rest.rsplit('.').next().unwrap_or(rest);
                return SiteKey::Local(format!("{label}.{suffix}"));
            }
        }
        let suffix = self.list.suffix(name);
        match registrable_at(name, suffix.at) {
            Some(d) if suffix.known => SiteKey::Domain(d.to_string()),
            // Unknown TLD: the list's implicit "*" rule makes the TLD the suffix.
            Some(d) => SiteKey::Local(d.to_string()),
            // The name is itself a public suffix (co.uk, github.io): its own site.
            None if !suffix.known => SiteKey::Local(name.to_string()),
            None => SiteKey::Domain(name.to_string()),
        }
    }

    /// The registrable domain by the Public Suffix List algorithm alone (including its implicit
    /// `*` rule for unknown TLDs, and no special-use handling): `None` when the host is itself a
    /// public suffix.
    pub fn registrable(&self, host: &Host) -> Option<String> {
        let name = host.as_str();
        registrable_at(name, self.list.suffix(name).at).map(str::to_string)
    }

    /// Whether the host is itself a public suffix listed in the list (`co.uk`, `github.io`).
    pub fn is_public_suffix(&self, host: &Host) -> bool {
        let s = self.list.suffix(host.as_str());
        s.known && s.at == 0
    }
}

/// The public suffix starting at byte `at` of `name` plus the label before it; `None` when the
/// suffix is the whole name.
fn registrable_at(name: &str, at: usize) -> Option<&str> {
    let before = name.get(..at.checked_sub(1)?)?;
    Some(&name[before.rfind('.').map_or(0, |i| i + 1)..])
}

/// Whether `host` is `localhost` or a name under it, which RFC 6761 §6.3 has resolve to
/// loopback addresses without asking any DNS server (a resolver's answer for them is not to be
/// believed).
pub fn is_localhost(host: &Host) -> bool {
    let name = host.as_str();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
