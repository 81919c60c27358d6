//! Team Cymru's IP → ASN service over DNS: the TXT names to ask and the parsing of their answers.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::addr::is_public;
use super::DnsError;

/// The Team Cymru origin TXT name for `ip`: `4.3.2.1.origin.asn.cymru.com` for 1.2.3.4, the
/// reversed nibbles followed by `.origin6.asn.cymru.com` for IPv6. An IPv4-mapped IPv6 address
/// gives its IPv4 name. `None` if the address is not public (see [`is_public`]): such addresses
/// must never leave the machine.
pub fn cymru_origin_name(ip: IpAddr) -> Option<String> {
    if !is_public(ip) {
        return None;
    }
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    Some(match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.origin.asn.cymru.com")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(64 + 22);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0x0f, byte >> 4));
            }
            name.push_str("origin6.asn.cymru.com");
            name
        }
    })
}

/// The Team Cymru AS TXT name: `AS15169.asn.cymru.com`.
pub fn cymru_as_name(asn: u32) -> String {
    format!("AS{asn}.asn.cymru.com")
}

/// A Team Cymru origin record: who announces the prefix covering an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CymruOrigin {
    /// Origin ASNs (several for multi-origin prefixes).
    pub asns: Vec<u32>,
    /// The announced BGP prefix.
    pub prefix: IpNet,
    /// Country code of the allocation (may be empty).
    pub country: String,
    /// Regional registry, lowercase (`arin`, `ripencc`…; may be empty).
    pub registry: String,
    /// Allocation date as given (`1992-12-01`; may be empty).
    pub allocated: String,
}

/// A Team Cymru AS record: who holds an AS number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CymruAs {
    /// The AS number.
    pub asn: u32,
    /// Country code (may be empty).
    pub country: String,
    /// Regional registry, lowercase (may be empty).
    pub registry: String,
    /// Allocation date as given (may be empty).
    pub allocated: String,
    /// Holder name as given (`GOOGLE, US`).
    pub holder: String,
}

fn parse_asn(s: &str, txt: &str) -> Result<u32, DnsError> {
    let digits = s.strip_prefix("AS").unwrap_or(s);
    digits
        .parse()
        .map_err(|_| DnsError::Cymru(format!("bad ASN {s:?} in {txt:?}")))
}

/// Parses an origin TXT: `15169 | 8.8.8.0/24 | US | arin | 1992-12-01`, or
/// `13335 209242 | …` for a multi-origin prefix.
pub fn parse_cymru_origin(txt: &str) -> Result<CymruOrigin, DnsError> {
    let fields: Vec<&str> = txt.split('|').map(str::trim).collect();
    let [asns, prefix, country, registry, allocated] = fields.as_slice() else {
        return Err(DnsError::Cymru(format!("expected 5 fields in {txt:?}")));
    };
    let asns = asns
        .split_whitespace()
        .map(|a| parse_asn(a, txt))
        .collect::<Result<Vec<_>, _>>()?;
    if asns.is_empty() {
        return Err(DnsError::Cymru(format!("no ASN in {txt:?}")));
    }
    let prefix: IpNet = prefix
        .parse()
        .map_err(|_| DnsError::Cymru(format!("bad prefix {prefix:?} in {txt:?}")))?;
    Ok(CymruOrigin {
        asns,
        prefix,
        country: country.to_string(),
        registry: registry.to_ascii_lowercase(),
        allocated: allocated.to_string(),
    })
}

/// Parses an AS TXT: `15169 | US | arin | 2000-03-30 | GOOGLE, US`. The holder is everything
/// after the fourth `|`.
pub fn parse_cymru_as(txt: &str) -> Result<CymruAs, DnsError> {
    let fields: Vec<&str> = txt.splitn(5, '|').map(str::trim).collect();
    let [asn, country, registry, allocated, holder] = fields.as_slice() else {
        return Err(DnsError::Cymru(format!("expected 5 fields in {txt:?}")));
    };
    Ok(CymruAs {
        asn: parse_asn(asn, txt)?,
        country: country.to_string(),
        registry: registry.to_ascii_lowercase(),
        allocated: allocated.to_string(),
        holder: holder.to_string(),
    })
}
