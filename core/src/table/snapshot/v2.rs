//! Version 2's records: fixed-width and sorted, each family's in one block, so a read around a
//! few addresses finds their records by binary search instead of parsing every record, and a
//! whole load reads each field at a known offset.
//!
//! A record names its (provider, region, service) by a *tag*, an index into the snapshot's
//! sorted list of the distinct triples (4.5 k for the fixture feeds' 84 k records): that keeps
//! a fixed-width record as small as version 1's varints were (7 bytes for IPv4, 19 for IPv6).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::ops::{BitAnd, Not};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::{check_used, corrupt, mark, put_varint, Around, Reader, SnapshotError, CHUNK};
use crate::table::Rec;

/// A record's string ids as [`Rec`] holds them: provider, region + 1, service + 1 (0 = none).
/// Ordered as the records' canonical order orders them.
pub(super) type Tag = [u32; 3];

/// Bytes of a record's tag: the fewest that hold the largest tag (at least one), so the width
/// follows from the tags and needs no field of its own.
fn tag_width(tags: usize) -> usize {
    let largest = tags.saturating_sub(1) as u64;
    (1..8).find(|w| largest >> (8 * w) == 0).unwrap_or(8)
}

/// The tags: every distinct [`Tag`] of `records`, ascending.
pub(super) fn tags_of(records: &[Rec]) -> Vec<Tag> {
    // Most records' tag was seen, and is skipped in one probe: 5.9 k of the fixture feeds'
    // 84 k records are left to sort (a sort of them all was most of an encode).
    let mut seen = vec![[u32::MAX; 3]; SLOTS];
    let mut tags: Vec<Tag> = Vec::new();
    for r in records {
        let tag = [r.provider, r.region, r.service];
        if let Some(slot) = seen.get_mut(slot(&tag)) {
            if *slot != tag {
                *slot = tag;
                tags.push(tag);
            }
        }
    }
    crate::sort::sort_by(&mut tags, Ord::cmp);
    tags.dedup();
    tags
}

/// Slots of the direct-mapped caches of tags [`tags_of`] and [`put_records`] keep.
const SLOTS: usize = 1 << 14;

/// A tag's slot in a cache of [`SLOTS`].
#[inline(always)]
fn slot(tag: &Tag) -> usize {
    let [p, r, s] = *tag;
    let h = p.wrapping_mul(0x9E37_79B1) ^ r.wrapping_mul(0x85EB_CA77) ^ s.wrapping_mul(0xC2B2_AE3D);
    (h >> (32 - SLOTS.trailing_zeros())) as usize
}

/// Writes the tags, then each family's records, of a table whose records are `records`.
pub(super) fn put_records(body: &mut Vec<u8>, records: &[Rec]) {
    let tags = tags_of(records);
    put_varint(body, tags.len() as u64);
    for id in tags.iter().flatten() {
        put_varint(body, u64::from(*id));
    }
    let width = tag_width(tags.len());
    // Each tag's index, found by binary search once per slot it takes.
    let mut index = vec![([u32::MAX; 3], 0usize); SLOTS];
    let split = records.partition_point(|r| matches!(r.prefix, IpNet::V4(_)));
    for family in [records.get(..split), records.get(split..)] {
        let family = family.unwrap_or_default();
        put_varint(body, family.len() as u64);
        for r in family {
            match r.prefix {
                IpNet::V4(n) => body.extend_from_slice(&u32::from(n.network()).to_be_bytes()),
                IpNet::V6(n) => body.extend_from_slice(&u128::from(n.network()).to_be_bytes()),
            }
            body.push(r.prefix.prefix_len());
            let tag = [r.provider, r.region, r.service];
            let at = match index.get_mut(slot(&tag)) {
                Some((known, at)) if *known == tag => *at,
                slot => {
                    // Always found: the tags are every record's.
                    let at = tags.binary_search(&tag).unwrap_or(0);
                    if let Some(slot) = slot {
                        *slot = (tag, at);
                    }
                    at
                }
            };
            body.extend_from_slice(&(at as u64).to_le_bytes()[..width]);
        }
    }
}

/// The tags (strictly ascending, each string id in range), their string ids marked in `used`.
pub(super) fn read_tags(
    r: &mut Reader<'_>,
    used: [&mut Vec<bool>; 3],
) -> Result<Vec<Tag>, SnapshotError> {
    let [used_p, used_r, used_s] = used;
    // A tag is at least 3 bytes (three one-byte varints).
    let n = r.count(3, "tag")?;
    let mut tags: Vec<Tag> = Vec::with_capacity(n);
    for i in 0..n {
        let tag = [r.small_u32()?, r.small_u32()?, r.small_u32()?];
        let ok = mark(used_p, Some(tag[0]))
            && mark(used_r, tag[1].checked_sub(1))
            && mark(used_s, tag[2].checked_sub(1));
        if !ok {
            return Err(corrupt(format!("string id out of range in tag {i}")));
        }
        if tags.last().is_some_and(|prev| *prev >= tag) {
            return Err(corrupt(format!("tags not strictly sorted at tag {i}")));
        }
        tags.push(tag);
    }
    Ok(tags)
}

/// Both families' records: every one, checked (each prefix valid, in strictly ascending order,
/// every tag used), or with `around` only those containing one of its addresses, and how many
/// were left out.
///
/// The records `around` keeps are checked as records; the order and the use of every tag, a
/// property of all of them, are left to the whole load that follows (the checksum vouches for
/// the bytes meanwhile).
pub(super) fn read_records(
    r: &mut Reader<'_>,
    tags: &[Tag],
    around: Option<&Around>,
) -> Result<(Vec<Rec>, usize), SnapshotError> {
    let width = tag_width(tags.len());
    let v4 = Block::read::<u32>(r, width, "IPv4 record")?;
    let v6 = Block::read::<u128>(r, width, "IPv6 record")?;
    let n = v4.len() + v6.len();
    if u32::try_from(n).is_err() {
        return Err(corrupt("too many records"));
    }
    let mut records = Vec::with_capacity(if around.is_some() { 0 } else { n });
    match around {
        Some(around) => {
            v4.around(&around.v4, tags, &mut records)?;
            v6.around(&around.v6, tags, &mut records)?;
        }
        None => {
            let mut used = vec![false; tags.len()];
            v4.all::<u32>(tags, &mut used, &mut records)?;
            v6.all::<u128>(tags, &mut used, &mut records)?;
            check_used(&used, "tag")?;
        }
    }
    let omitted = n - records.len();
    Ok((records, omitted))
}

/// An address family's network addresses as this layout stores them (big endian, the family's
/// whole width).
trait Bits: Copy + Ord + Default + BitAnd<Output = Self> + Not<Output = Self> {
    /// Bytes of an address.
    const BYTES: usize;
    /// The longest prefix.
    const BITS: u8;
    /// The address at the start of `record` (zero if it is too short, which a block's records
    /// never are).
    fn read(record: &[u8]) -> Self;
    /// The host bits of a prefix of `len` bits.
    fn host(len: u8) -> Self;
    /// The prefix of `len` bits at `self`.
    fn net(self, len: u8) -> Option<IpNet>;
    /// The family's name, for errors.
    const NAME: &'static str;
}

impl Bits for u32 {
    const BYTES: usize = 4;
    const BITS: u8 = 32;
    const NAME: &'static str = "IPv4";
    #[inline(always)]
    fn read(record: &[u8]) -> Self {
        record
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, u32::from_be_bytes)
    }
    #[inline(always)]
    fn host(len: u8) -> Self {
        u32::MAX.checked_shr(u32::from(len)).unwrap_or(0)
    }
    fn net(self, len: u8) -> Option<IpNet> {
        Ipv4Net::new(Ipv4Addr::from(self), len).ok().map(IpNet::V4)
    }
}

impl Bits for u128 {
    const BYTES: usize = 16;
    const BITS: u8 = 128;
    const NAME: &'static str = "IPv6";
    #[inline(always)]
    fn read(record: &[u8]) -> Self {
        record
            .get(..16)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map_or(0, u128::from_be_bytes)
    }
    #[inline(always)]
    fn host(len: u8) -> Self {
        u128::MAX.checked_shr(u32::from(len)).unwrap_or(0)
    }
    fn net(self, len: u8) -> Option<IpNet> {
        Ipv6Net::new(Ipv6Addr::from(self), len).ok().map(IpNet::V6)
    }
}

/// One family's records: a count, then that many records of `size` bytes (the address, the
/// prefix length, the tag in `width` bytes, little endian).
struct Block<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl<'a> Block<'a> {
    fn read<A: Bits>(r: &mut Reader<'a>, width: usize, what: &str) -> Result<Self, SnapshotError> {
        let size = A::BYTES + 1 + width;
        let n = r.count(size, what)?;
        // `count` made sure the records fit in what is left.
        let bytes = r.bytes(n * size)?;
        Ok(Self { bytes, size })
    }

    fn len(&self) -> usize {
        self.bytes.len() / self.size
    }

    /// Record `i`'s bytes (empty past the end).
    #[inline(always)]
    fn record(&self, i: usize) -> &'a [u8] {
        self.bytes
            .get(i * self.size..(i + 1) * self.size)
            .unwrap_or_default()
    }

    /// Record `i`'s sort key: its address and prefix length.
    #[inline(always)]
    fn key<A: Bits>(&self, i: usize) -> (A, u8) {
        let record = self.record(i);
        (A::read(record), record.get(A::BYTES).copied().unwrap_or(0))
    }

    /// Record `i`, checked: its address, prefix length and tag.
    #[inline(always)]
    fn checked<A: Bits>(&self, i: usize, tags: usize) -> Result<(A, u8, usize), SnapshotError> {
        let record = self.record(i);
        let (addr, len) = self.key::<A>(i);
        let tag = record
            .get(A::BYTES + 1..)
            .unwrap_or_default()
            .iter()
            .rev()
            .fold(0usize, |t, &b| (t << 8) | usize::from(b));
        if len > A::BITS {
            return Err(bad(A::NAME, i, "prefix length out of range"));
        }
        // Host bits must be zero, otherwise two encodings would mean the same prefix.
        if addr & A::host(len) != A::default() {
            return Err(bad(A::NAME, i, "host bits set"));
        }
        if tag >= tags {
            return Err(bad(A::NAME, i, "tag out of range"));
        }
        Ok((addr, len, tag))
    }

    /// The first record whose key is not below `key`.
    fn lower_bound<A: Bits>(&self, key: (A, u8)) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.key::<A>(mid) < key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Every record, checked and in strictly ascending order, onto `records`; their tags
    /// marked in `used`. In chunks of [`CHUNK`] records, each a call of its own (V8's tier-up,
    /// see [`CHUNK`]).
    fn all<A: Bits>(
        &self,
        tags: &[Tag],
        used: &mut [bool],
        records: &mut Vec<Rec>,
    ) -> Result<(), SnapshotError> {
        let mut prev = None;
        let mut at = 0;
        while at < self.len() {
            let until = (at + CHUNK).min(self.len());
            self.chunk::<A>(at..until, tags, used, &mut prev, records)?;
            at = until;
        }
        Ok(())
    }

    /// Records `range` of [`Self::all`], `prev` the key of the one before.
    #[inline(never)]
    fn chunk<A: Bits>(
        &self,
        range: std::ops::Range<usize>,
        tags: &[Tag],
        used: &mut [bool],
        prev: &mut Option<(A, u8, usize)>,
        records: &mut Vec<Rec>,
    ) -> Result<(), SnapshotError> {
        for i in range {
            let key = self.checked::<A>(i, tags.len())?;
            // Strictly ascending: sorted (the sweep relies on it) and free of duplicates.
            if prev.is_some_and(|p| p >= key) {
                return Err(bad(A::NAME, i, "not strictly sorted after the one before"));
            }
            *prev = Some(key);
            push::<A>(records, key, tags, used)?;
        }
        Ok(())
    }

    /// The records containing one of `addresses` onto `records`, in order: for each
    /// address and prefix length, a binary search for the address's prefix of that length.
    /// That is (BITS + 1) × log2(records) reads of a key per address, ~530 for IPv4 and ~1,900
    /// for IPv6 with the fixture feeds' 64 k and 20 k records, and nothing parsed: 40 addresses
    /// take 0.36 ms natively with the checksum, a site of 50 hosts 5.2 ms of the worker's start.
    /// A site of thousands of addresses would read more keys than a scan of every record;
    /// rare enough not to carry a second path.
    fn around<A: Bits>(
        &self,
        addresses: &[A],
        tags: &[Tag],
        records: &mut Vec<Rec>,
    ) -> Result<(), SnapshotError> {
        let mut found: Vec<u32> = Vec::new();
        for &a in addresses {
            for len in 0..=A::BITS {
                let key = (a & !A::host(len), len);
                let mut i = self.lower_bound(key);
                while i < self.len() && self.key::<A>(i) == key {
                    // Fewer than 2^32 records: checked by the caller.
                    found.push(i as u32);
                    i += 1;
                }
            }
        }
        // Through the crate's one instance of the sort: the standard library's own would add
        // KBs to the worker's wasm.
        crate::sort::sort_by(&mut found, Ord::cmp);
        found.dedup();
        for i in found {
            let key = self.checked::<A>(i as usize, tags.len())?;
            push::<A>(records, key, tags, &mut [])?;
        }
        Ok(())
    }
}

/// The record of `key` (address, length, tag) onto `records`, its tag marked in `used` when
/// `used` holds it.
#[inline(always)]
fn push<A: Bits>(
    records: &mut Vec<Rec>,
    (addr, len, tag): (A, u8, usize),
    tags: &[Tag],
    used: &mut [bool],
) -> Result<(), SnapshotError> {
    if let Some(u) = used.get_mut(tag) {
        *u = true;
    }
    match (addr.net(len), tags.get(tag)) {
        (Some(prefix), Some(&[provider, region, service])) => {
            records.push(Rec::new(prefix, provider, region, service));
            Ok(())
        }
        _ => Err(corrupt("bad prefix")),
    }
}

/// What is wrong with record `i` of `family`: one instance of the message for both families.
#[cold]
#[inline(never)]
fn bad(family: &str, i: usize, why: &str) -> SnapshotError {
    corrupt(format!("{family} record {i}: {why}"))
}
