//! Version 1's records: varint-coded, read one after another. Still read (a snapshot an older
//! version stored loads until the next refresh writes version 2); no longer written but by the
//! tests.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{corrupt, mark, Reader, SnapshotError, CHUNK, HEADER_LEN};
use crate::table::Rec;

/// `n` records, each checked (prefix code, host bits, ids in range, strictly ascending) and its
/// ids marked in `used` (providers, regions, services).
///
/// Written for the wasm worker, which loads the table on every start with its first-tier
/// (unoptimizing) code: the common case — a one-byte varint, an IPv4 prefix in a `u32` — is
/// read in line, and 128-bit arithmetic (library calls in wasm) is kept to IPv6 records.
///
/// Read in chunks of [`CHUNK`] records, each a call of its own ([`read_chunk`]).
pub(super) fn read_records(
    r: &mut Reader<'_>,
    n: usize,
    used: [&mut Vec<bool>; 3],
) -> Result<Vec<Rec>, SnapshotError> {
    let mut used = used;
    let mut records: Vec<Rec> = Vec::with_capacity(n);
    let mut order = Order::default();
    let mut left = n;
    while left > 0 {
        let k = left.min(CHUNK);
        read_chunk(r, k, &mut used, &mut order, &mut records)?;
        left -= k;
    }
    Ok(records)
}

/// The previous record's sort key, carried from chunk to chunk: IPv4 (address, length) packed
/// in a `u64`, then IPv6.
#[derive(Default)]
struct Order {
    prev4: Option<(u64, [u32; 3])>,
    prev6: Option<(u128, u8, [u32; 3])>,
}

/// Reads `n` records onto `records` (see [`read_records`]).
#[inline(never)]
fn read_chunk(
    r: &mut Reader<'_>,
    n: usize,
    used: &mut [&mut Vec<bool>; 3],
    order: &mut Order,
    records: &mut Vec<Rec>,
) -> Result<(), SnapshotError> {
    let [used_p, used_r, used_s] = used;
    let Order { prev4, prev6 } = order;
    for _ in 0..n {
        let at = HEADER_LEN + r.pos;
        let code = match r.buf.get(r.pos) {
            Some(&c) => {
                r.pos += 1;
                c
            }
            None => r.u8()?,
        };
        let prefix = if code <= 32 {
            if prev6.is_some() {
                return Err(bad_at(at, "records not strictly sorted (IPv4 after IPv6)"));
            }
            let len = code;
            let n = usize::from(len).div_ceil(8);
            let mut addr = 0u32;
            for &b in r.bytes(n)? {
                addr = (addr << 8) | u32::from(b);
            }
            // Left-aligned (`n == 4` shifts by nothing).
            let addr = addr.checked_shl(32 - 8 * n as u32).unwrap_or(0);
            let host = u32::MAX.checked_shr(u32::from(len)).unwrap_or(0);
            // Host bits must be zero, otherwise two encodings would mean the same prefix.
            if addr & host != 0 {
                return Err(bad_at(at, "host bits set in prefix"));
            }
            Ipv4Net::new(Ipv4Addr::from(addr), len)
                .map(IpNet::V4)
                .map_err(|_| bad_at(at, "bad prefix"))?
        } else if code <= 161 {
            let len = code - 33;
            let n = usize::from(len).div_ceil(8);
            let mut addr = [0u8; 16];
            if let Some(dst) = addr.get_mut(..n) {
                dst.copy_from_slice(r.bytes(n)?);
            }
            let addr = u128::from_be_bytes(addr);
            let host = u128::MAX.checked_shr(u32::from(len)).unwrap_or(0);
            if addr & host != 0 {
                return Err(bad_at(at, "host bits set in prefix"));
            }
            Ipv6Net::new(Ipv6Addr::from(addr), len)
                .map(IpNet::V6)
                .map_err(|_| bad_at(at, "bad prefix"))?
        } else {
            return Err(bad_at(at, "bad prefix code"));
        };
        let ids = [r.small_u32()?, r.small_u32()?, r.small_u32()?];
        let [provider, region, service] = ids;
        let ok = mark(used_p, Some(provider))
            && mark(used_r, region.checked_sub(1))
            && mark(used_s, service.checked_sub(1));
        if !ok {
            return Err(bad_at(at, "string id out of range"));
        }
        // Strictly ascending: sorted (the sweep relies on it) and free of duplicates.
        let sorted = match prefix {
            IpNet::V4(p) => {
                let key = (u64::from(u32::from(p.network())) << 8) | u64::from(p.prefix_len());
                let sorted = prev4.is_none_or(|prev| prev < (key, ids));
                *prev4 = Some((key, ids));
                sorted
            }
            IpNet::V6(p) => {
                let key = (u128::from(p.network()), p.prefix_len(), ids);
                let sorted = prev6.is_none_or(|prev| prev < key);
                *prev6 = Some(key);
                sorted
            }
        };
        if !sorted {
            return Err(bad_at(at, "records not strictly sorted"));
        }
        records.push(Rec::new(prefix, provider, region, service));
    }
    Ok(())
}

/// What is wrong at offset `at`: one instance of the message for every check.
#[cold]
#[inline(never)]
fn bad_at(at: usize, why: &str) -> SnapshotError {
    corrupt(format!("{why} at offset {at}"))
}

/// Version 1's records section of `records` (what an older version wrote), for the tests of
/// reading it.
#[cfg(test)]
pub(super) fn put_records(body: &mut Vec<u8>, records: &[Rec]) {
    use super::put_varint;
    put_varint(body, records.len() as u64);
    for r in records {
        let (code, addr, len) = match r.prefix {
            IpNet::V4(n) => (
                n.prefix_len(),
                u32::from(n.network()).to_be_bytes().to_vec(),
                n.prefix_len(),
            ),
            IpNet::V6(n) => (
                33 + n.prefix_len(),
                u128::from(n.network()).to_be_bytes().to_vec(),
                n.prefix_len(),
            ),
        };
        body.push(code);
        body.extend_from_slice(&addr[..usize::from(len).div_ceil(8)]);
        put_varint(body, u64::from(r.provider));
        put_varint(body, u64::from(r.region));
        put_varint(body, u64::from(r.service));
    }
}
