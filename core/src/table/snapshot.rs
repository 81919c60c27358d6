//! Snapshot encoding and (hostile-input-safe) decoding; the format is documented in the parent
//! module.

mod v1;
mod v2;

use std::net::IpAddr;
use std::sync::OnceLock;

use crc::{Crc, Table, CRC_32_ISO_HDLC};

use super::{FeedInfo, PrefixTable};

/// Current snapshot format version (the one written); bumped on any incompatible layout change.
pub const SNAPSHOT_VERSION: u16 = 2;

/// The oldest version still read.
const OLDEST_VERSION: u16 = 1;

/// Leading magic bytes of every snapshot.
const MAGIC: &[u8; 4] = b"OBPT";

/// Magic + version + body length + CRC.
const HEADER_LEN: usize = 4 + 2 + 4 + 4;

/// Why a snapshot could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// The bytes do not start with the snapshot magic.
    #[error("not a prefix-table snapshot (bad magic)")]
    BadMagic,
    /// The snapshot was written by an incompatible format version.
    #[error("unsupported snapshot version {found} (this build reads versions 1 to {supported})")]
    UnsupportedVersion {
        /// Version found in the header.
        found: u16,
        /// The newest version this build reads.
        supported: u16,
    },
    /// The data ends before a field that must be present.
    #[error("snapshot truncated: needed {needed} bytes at offset {offset}, {available} available")]
    Truncated {
        /// Offset (from the start of the snapshot) where the read started.
        offset: usize,
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// The body does not match its checksum.
    #[error(
        "snapshot checksum mismatch: header says {expected:#010x}, body hashes to {actual:#010x}"
    )]
    Checksum {
        /// CRC-32 stored in the header.
        expected: u32,
        /// CRC-32 of the body as read.
        actual: u32,
    },
    /// The body is structurally invalid (index out of range, unsorted, bad prefix length...).
    #[error("corrupt snapshot: {0}")]
    Corrupt(String),
}

/// CRC-32 (IEEE 802.3, zlib's) of a snapshot body.
///
/// Slice-by-16, its table (16 KB) built at the first call: shipped as static data, as
/// crc32fast does, the table is 16 KB of the worker's wasm that gzip cannot shrink, while
/// building it costs a few microseconds once per worker.
///
/// Hashed in pieces of 16 KB, each a call of its own: see [`CHUNK`] (a start hashes the whole
/// 0.8 MB snapshot).
pub(super) fn checksum(bytes: &[u8]) -> u32 {
    static CRC: OnceLock<Crc<u32, Table<16>>> = OnceLock::new();
    let crc = CRC.get_or_init(|| Crc::<u32, Table<16>>::new(&CRC_32_ISO_HDLC));
    let mut digest = crc.digest();
    for piece in bytes.chunks(16 * 1024) {
        hash_piece(&mut digest, piece);
    }
    digest.finalize()
}

/// Hashes one piece of [`checksum`]'s input.
#[inline(never)]
fn hash_piece(digest: &mut crc::Digest<'_, u32, Table<16>>, piece: &[u8]) {
    digest.update(piece);
}

fn corrupt(msg: impl Into<String>) -> SnapshotError {
    SnapshotError::Corrupt(msg.into())
}

// ---------------------------------------------------------------------------------------------
// Encoding

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => put_varint(out, 0),
        Some(s) => {
            put_varint(out, s.len() as u64 + 1);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

fn put_table(out: &mut Vec<u8>, t: &[Box<str>]) {
    put_varint(out, t.len() as u64);
    for s in t {
        put_str(out, s);
    }
}

/// The strings and the feeds: what every version's body starts with.
fn put_head(body: &mut Vec<u8>, t: &PrefixTable) {
    put_table(body, &t.providers);
    put_table(body, &t.regions);
    put_table(body, &t.services);
    put_varint(body, t.feeds.len() as u64);
    for f in &t.feeds {
        put_str(body, &f.file);
        put_str(body, &f.provider);
        put_opt_str(body, f.date.as_deref());
        put_opt_str(body, f.version.as_deref());
        put_varint(body, u64::from(f.records));
    }
}

/// `body` behind the header of `version`.
fn wrap(version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    // Bodies over 4 GiB cannot occur (that would be hundreds of millions of records).
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(body).to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// Serialize `t` in the current version; deterministic, so equal tables give equal bytes.
pub(super) fn encode(t: &PrefixTable) -> Vec<u8> {
    let mut body = Vec::with_capacity(64 + t.records.len() * 9);
    put_head(&mut body, t);
    v2::put_records(&mut body, &t.records);
    wrap(SNAPSHOT_VERSION, &body)
}

/// Serialize `t` as version 1 (what an older version stored), for the tests of reading it.
#[cfg(test)]
pub(super) fn encode_v1(t: &PrefixTable) -> Vec<u8> {
    let mut body = Vec::new();
    put_head(&mut body, t);
    v1::put_records(&mut body, &t.records);
    wrap(1, &body)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Bounds-checked cursor over the snapshot body; every read can fail, none can panic.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` in the whole snapshot, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    #[inline]
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], SnapshotError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|e| self.buf.get(self.pos..e)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(SnapshotError::Truncated {
                offset: self.base + self.pos,
                needed: n,
                available: self.remaining(),
            }),
        }
    }

    #[inline]
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.bytes(1)?[0])
    }

    /// Minimal unsigned LEB128, at most 64 bits.
    #[inline]
    fn varint(&mut self) -> Result<u64, SnapshotError> {
        let mut v: u64 = 0;
        for i in 0..10u32 {
            let b = self.u8()?;
            let bits = u64::from(b & 0x7f);
            let shift = 7 * i;
            if i == 9 && b > 1 {
                return Err(corrupt("varint overflows 64 bits"));
            }
            v |= bits << shift;
            if b & 0x80 == 0 {
                if i > 0 && b == 0 {
                    // A trailing zero group would make a second encoding of the same value.
                    return Err(corrupt("non-minimal varint"));
                }
                return Ok(v);
            }
        }
        Err(corrupt("varint longer than 10 bytes"))
    }

    /// A varint that must fit a `u32`, the one- and two-byte cases (every id of real feeds)
    /// read in line.
    #[inline(always)]
    fn small_u32(&mut self) -> Result<u32, SnapshotError> {
        match self.buf.get(self.pos..self.pos + 2) {
            Some(&[b, _]) if b < 0x80 => {
                self.pos += 1;
                Ok(u32::from(b))
            }
            // Minimal: a second byte of zero would encode the value again.
            Some(&[b, c]) if c < 0x80 && c > 0 => {
                self.pos += 2;
                Ok(u32::from(b & 0x7f) | (u32::from(c) << 7))
            }
            _ => self.u32("id"),
        }
    }

    #[inline]
    fn u32(&mut self, what: &str) -> Result<u32, SnapshotError> {
        let v = self.varint()?;
        u32::try_from(v).map_err(|_| corrupt(format!("{what} {v} out of range")))
    }

    /// A count of items each at least `min_size` bytes long: rejected if it cannot fit in the
    /// remaining input, so a hostile count never drives a huge allocation.
    fn count(&mut self, min_size: usize, what: &str) -> Result<usize, SnapshotError> {
        let offset = self.base + self.pos;
        let n = self.varint()?;
        let available = self.remaining();
        match usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(min_size))
        {
            Some(needed) if needed <= available => Ok(n as usize),
            Some(needed) => Err(SnapshotError::Truncated {
                offset,
                needed,
                available,
            }),
            None => Err(corrupt(format!("{what} count {n} too large"))),
        }
    }

    fn str_of_len(&mut self, len: u64) -> Result<&'a str, SnapshotError> {
        let len = usize::try_from(len).map_err(|_| corrupt("string length too large"))?;
        let b = self.bytes(len)?;
        std::str::from_utf8(b).map_err(|_| corrupt("string is not UTF-8"))
    }

    fn str(&mut self) -> Result<&'a str, SnapshotError> {
        let len = self.varint()?;
        self.str_of_len(len)
    }

    fn opt_str(&mut self) -> Result<Option<&'a str>, SnapshotError> {
        match self.varint()? {
            0 => Ok(None),
            n => self.str_of_len(n - 1).map(Some),
        }
    }

    /// A string table: strictly ascending (hence unique).
    fn table(&mut self, what: &str) -> Result<Vec<Box<str>>, SnapshotError> {
        let n = self.count(1, what)?;
        let mut t: Vec<Box<str>> = Vec::with_capacity(n);
        for _ in 0..n {
            let s = self.str()?;
            if t.last().is_some_and(|p| **p >= *s) {
                return Err(corrupt(format!("{what} table not strictly sorted")));
            }
            t.push(s.into());
        }
        Ok(t)
    }
}

/// How many records one call of a records reader reads. V8 runs a wasm function in its
/// baseline tier (Liftoff) until the function has run enough, and then switches to optimized
/// code only at its next call: wasm has no on-stack replacement. Read in one call, the 84 k
/// records of the fixture feeds ran as baseline code throughout. In chunks, the later calls run
/// optimized code.
pub(super) const CHUNK: usize = 1024;

/// Marks string `id` of a table used; false when there is no such string (`None`: no string,
/// nothing to mark).
#[inline(always)]
fn mark(used: &mut [bool], id: Option<u32>) -> bool {
    match id {
        None => true,
        Some(id) => match used.get_mut(id as usize) {
            Some(u) => {
                *u = true;
                true
            }
            None => false,
        },
    }
}

/// Marks which ids of a string table are used; unused strings are non-canonical.
fn check_used(used: &[bool], what: &str) -> Result<(), SnapshotError> {
    match used.iter().position(|u| !u) {
        Some(i) => Err(corrupt(format!("{what} {i} is not used by any record"))),
        None => Ok(()),
    }
}

/// The addresses a [`PrefixTable::from_snapshot_around`] table keeps the records of (as a
/// look-up sees them: an IPv4-mapped address is IPv4).
pub(super) struct Around {
    v4: Vec<u32>,
    v6: Vec<u128>,
}

impl Around {
    pub(super) fn new(addresses: &[IpAddr]) -> Self {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for a in addresses {
            match *a {
                IpAddr::V4(a) => v4.push(u32::from(a)),
                IpAddr::V6(a) => match a.to_ipv4_mapped() {
                    Some(a) => v4.push(u32::from(a)),
                    None => v6.push(u128::from(a)),
                },
            }
        }
        Self { v4, v6 }
    }
}

/// The version a snapshot's header says, if it has the magic.
pub(super) fn version(bytes: &[u8]) -> Option<u16> {
    match bytes {
        [m0, m1, m2, m3, v0, v1, ..] if [*m0, *m1, *m2, *m3] == *MAGIC => {
            Some(u16::from_le_bytes([*v0, *v1]))
        }
        _ => None,
    }
}

/// Parse and validate a snapshot of any version read, then rebuild the lookup structures; with
/// `around`, of the records containing one of its addresses alone
/// ([`PrefixTable::from_snapshot_around`]; a version 1 snapshot is read whole).
pub(super) fn decode(bytes: &[u8], around: Option<&Around>) -> Result<PrefixTable, SnapshotError> {
    let mut head = Reader {
        buf: bytes,
        pos: 0,
        base: 0,
    };
    if head.bytes(MAGIC.len()).ok() != Some(MAGIC.as_slice()) {
        return Err(SnapshotError::BadMagic);
    }
    let version = u16::from_le_bytes([head.u8()?, head.u8()?]);
    // Checked before anything else: another version may lay out the rest differently.
    if !(OLDEST_VERSION..=SNAPSHOT_VERSION).contains(&version) {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            supported: SNAPSHOT_VERSION,
        });
    }
    let le32 = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let body_len = le32(head.bytes(4)?) as usize;
    let expected = le32(head.bytes(4)?);
    let body = head.bytes(body_len)?;
    if head.remaining() != 0 {
        return Err(corrupt(format!(
            "{} trailing bytes after the body",
            head.remaining()
        )));
    }
    let actual = checksum(body);
    if actual != expected {
        return Err(SnapshotError::Checksum { expected, actual });
    }

    let mut r = Reader {
        buf: body,
        pos: 0,
        base: HEADER_LEN,
    };
    let providers = r.table("provider")?;
    let regions = r.table("region")?;
    let services = r.table("service")?;
    // `build` makes an empty region or service "none" (as `PrefixRecord::new` does), so an
    // empty name here would load a table no build produces (found by the snapshot fuzz target).
    for (table, what) in [(&regions, "region"), (&services, "service")] {
        if table.first().is_some_and(|s| s.is_empty()) {
            return Err(corrupt(format!("empty {what} name")));
        }
    }

    // A feed is at least 5 bytes (four empty strings and a count).
    let n_feeds = r.count(5, "feed")?;
    let mut feeds = Vec::with_capacity(n_feeds);
    for _ in 0..n_feeds {
        feeds.push(FeedInfo {
            file: r.str()?.to_owned(),
            provider: r.str()?.to_owned(),
            date: r.opt_str()?.map(str::to_owned),
            version: r.opt_str()?.map(str::to_owned),
            records: r.u32("feed record count")?,
        });
    }

    let mut used_p = vec![false; providers.len()];
    let mut used_r = vec![false; regions.len()];
    let mut used_s = vec![false; services.len()];
    let used = [&mut used_p, &mut used_r, &mut used_s];
    let (records, omitted) = if version == 1 {
        // A record is at least 4 bytes (code and three one-byte varints).
        let n_records = r.count(4, "record")?;
        if u32::try_from(n_records).is_err() {
            return Err(corrupt("too many records"));
        }
        // Read whole even `around` some addresses: a whole table answers them as well.
        (v1::read_records(&mut r, n_records, used)?, 0)
    } else {
        let tags = v2::read_tags(&mut r, used)?;
        v2::read_records(&mut r, &tags, around)?
    };
    if r.remaining() != 0 {
        return Err(corrupt(format!(
            "{} unparsed bytes at the end of the body",
            r.remaining()
        )));
    }
    check_used(&used_p, "provider")?;
    check_used(&used_r, "region")?;
    check_used(&used_s, "service")?;

    let mut table = PrefixTable::assemble(providers, regions, services, records, feeds);
    table.omitted = omitted;
    Ok(table)
}
