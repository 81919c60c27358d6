//! Which addresses are public: the only ones that may be sent to a third party or kept as
//! evidence.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn v4_in(ip: Ipv4Addr, net: [u8; 4], len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn v6_in(ip: Ipv6Addr, net: [u16; 8], len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    // IANA IPv4 Special-Purpose Address Registry, plus multicast and class E.
    const NOT_PUBLIC: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network" (RFC 791)
        ([10, 0, 0, 0], 8),      // private (RFC 1918)
        ([100, 64, 0, 0], 10),   // shared address space / CGNAT (RFC 6598)
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local
        ([172, 16, 0, 0], 12),   // private
        ([192, 0, 0, 0], 24),    // IETF protocol assignments (RFC 6890)
        ([192, 0, 2, 0], 24),    // TEST-NET-1 (RFC 5737)
        ([192, 88, 99, 0], 24),  // deprecated 6to4 relay anycast (RFC 7526)
        ([192, 168, 0, 0], 16),  // private
        ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
        ([198, 51, 100, 0], 24), // TEST-NET-2
        ([203, 0, 113, 0], 24),  // TEST-NET-3
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved (class E) and limited broadcast
    ];
    !NOT_PUBLIC.iter().any(|&(net, len)| v4_in(ip, net, len))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    // Allow-list: only 2000::/3 is allocated global unicast. Everything else (::/8 incl.
    // loopback, unspecified and IPv4-compatible, 64:ff9b::/96 NAT64, 100::/64 discard,
    // 5f00::/16 SRv6, fc00::/7 ULA, fe80::/10 link-local, ff00::/8 multicast…) is not public.
    if !v6_in(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return false;
    }
    const NOT_PUBLIC: &[([u16; 8], u32)] = &[
        ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23), // IETF protocol assignments: Teredo, ORCHID, benchmarking…
        ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation (RFC 3849)
        ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16), // 6to4: the real host is the embedded IPv4 behind a relay
        ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20), // documentation (RFC 9637)
    ];
    !NOT_PUBLIC.iter().any(|&(net, len)| v6_in(ip, net, len))
}

/// Whether `ip` is a public (globally routed unicast) address that may be sent to a third
/// party. False for private, loopback, link-local, CGNAT, documentation, benchmarking,
/// multicast, reserved, unspecified, ULA, 6to4, Teredo and NAT64 addresses. IPv4-mapped IPv6
/// addresses (`::ffff:a.b.c.d`) are judged by their IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}
