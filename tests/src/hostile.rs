//! A hostile HTTP/1.1 server on 127.0.0.1: every answer is the test's to choose — lying
//! `Content-Length`s, endless bodies, redirects anywhere, rate limits, answers held back until
//! the test says so — and it logs what it was asked and how many requests were in flight at once.
//!
//! Each connection carries one request (`Connection: close`), so every request is a connection
//! and "in flight" means accepted and not yet answered in full. [`dns_question`] and
//! [`dns_reply`] make it a DoH server (RFC 8484 GET) with whatever records the test wants.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`…
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// Order of arrival, from 0.
    pub seq: usize,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// A header's value (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What follows the status line and headers.
#[derive(Debug, Clone)]
pub enum Body {
    /// These bytes, with their true `Content-Length`.
    Bytes(Vec<u8>),
    /// `send` bytes of junk, announced with `Content-Length: claimed` or, when `None`, with
    /// no length at all (the body ends when the connection closes). Sending stops early when
    /// the client hangs up.
    Junk {
        /// The length announced, if any.
        claimed: Option<u64>,
        /// How much is actually sent.
        send: u64,
    },
    /// Nothing at all, not even the status line: the request hangs until the server stops.
    Hang,
}

/// One answer.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
    /// Held back this long before anything is sent.
    pub delay: Duration,
    /// Held back until this gate opens (or the server stops).
    pub gate: Option<Gate>,
}

impl Reply {
    /// `status` with an empty body.
    pub fn status(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
            delay: Duration::ZERO,
            gate: None,
        }
    }

    /// 200 with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::status(200).body(body)
    }

    /// A redirect (`status` 301, 302, 307, 308) to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Self::status(status).header("Location", location)
    }

    /// 200 with `send` bytes of junk announced as `claimed` bytes (or unannounced).
    pub fn junk(claimed: Option<u64>, send: u64) -> Self {
        let mut r = Self::status(200);
        r.body = Body::Junk { claimed, send };
        r
    }

    /// A request that is never answered.
    pub fn hang() -> Self {
        let mut r = Self::status(200);
        r.body = Body::Hang;
        r
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(body.into());
        self
    }

    /// Holds the answer back for `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// Holds the answer back until `gate` opens.
    pub fn after(mut self, gate: &Gate) -> Self {
        self.gate = Some(gate.clone());
        self
    }
}

/// A latch the test opens to release answers held with [`Reply::after`].
#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<AtomicBool>);

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens it for good.
    pub fn open(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_open(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

struct Shared {
    handler: Box<Handler>,
    stop: AtomicBool,
    log: Mutex<Vec<Request>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

/// A running hostile server; stops when dropped (held and hanging answers are then dropped).
pub struct HostileServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Listens on 127.0.0.1 (a free port) and answers every request with `handler`'s reply.
    pub fn start(
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            stop: AtomicBool::new(false),
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(&s, stream));
            }
        });
        Ok(Self {
            shared,
            addr,
            thread: Some(thread),
        })
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<Request> {
        self.shared
            .log
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// The most requests that were ever in flight at once.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request head and answers it.
fn serve(shared: &Shared, stream: TcpStream) {
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half.take(64 * 1024));
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        match reader.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        head.push(String::from_utf8_lossy(&line).trim_end().to_owned());
    }
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    let Some(first) = head.first() else { return };
    let mut parts = first.split(' ');
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let headers = head[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let request = {
        let mut log = match shared.log.lock() {
            Ok(l) => l,
            Err(p) => p.into_inner(),
        };
        let r = Request {
            method,
            target,
            headers,
            seq: log.len(),
        };
        log.push(r.clone());
        r
    };
    let reply = (shared.handler)(&request);
    respond(shared, stream, reply);
}

/// Sleeps in small steps until `done` says so or the server stops; false when it stopped.
fn wait(shared: &Shared, done: impl Fn() -> bool) -> bool {
    while !done() {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

/// Sends `reply` once its delay and gate allow. The request stops counting as in flight just
/// before the answer starts: a client can only start its next request after that.
fn respond(shared: &Shared, mut stream: TcpStream, reply: Reply) {
    let answered = || {
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    };
    let until = std::time::Instant::now() + reply.delay;
    let gate_open = || reply.gate.as_ref().is_none_or(Gate::is_open);
    let hang = matches!(reply.body, Body::Hang);
    if hang || !wait(shared, || std::time::Instant::now() >= until && gate_open()) {
        wait(shared, || false);
        answered();
        return;
    }
    answered();
    let length = match &reply.body {
        Body::Hang => return,
        Body::Bytes(b) => Some(b.len() as u64),
        Body::Junk { claimed, .. } => *claimed,
    };
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(n) = length {
        head.push_str(&format!("Content-Length: {n}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    match reply.body {
        Body::Bytes(b) => {
            let _ = stream.write_all(&b);
        }
        Body::Junk { send, .. } => {
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = send;
            while left > 0 && !shared.stop.load(Ordering::SeqCst) {
                let n = usize::try_from(left.min(chunk.len() as u64)).unwrap_or(chunk.len());
                if stream.write_all(&chunk[..n]).is_err() {
                    break; // the client hung up: what a bounded reader does
                }
                left -= n as u64;
            }
        }
        Body::Hang => {}
    }
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Service Unavailable",
        _ => "Whatever",
    }
}

// ---------------------------------------------------------------------------------------------
// DoH

/// The question of an RFC 8484 GET (`?dns=` base64url).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The name asked, lowercase, without the trailing dot.
    pub name: String,
    /// The record type (1 A, 2 NS, 5 CNAME, 16 TXT, 28 AAAA).
    pub qtype: u16,
    /// The query message as sent.
    pub wire: Vec<u8>,
    /// Length of header plus question section in `wire`.
    question_end: usize,
}

/// DNS record types by number.
pub mod qtype {
    /// A
    pub const A: u16 = 1;
    /// NS
    pub const NS: u16 = 2;
    /// TXT
    pub const TXT: u16 = 16;
    /// AAAA
    pub const AAAA: u16 = 28;
}

/// The DNS question of a DoH GET request, if it is one.
pub fn dns_question(req: &Request) -> Option<Question> {
    let query = req.target.split_once('?')?.1;
    let b64 = query.split('&').find_map(|p| p.strip_prefix("dns="))?;
    let wire = base64url_decode(b64)?;
    let mut pos = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*wire.get(pos)?);
        pos += 1;
        if len == 0 {
            break;
        }
        let label = wire.get(pos..pos + len)?;
        labels.push(String::from_utf8_lossy(label).to_ascii_lowercase());
        pos += len;
    }
    let qtype = u16::from_be_bytes([*wire.get(pos)?, *wire.get(pos + 1)?]);
    Some(Question {
        name: labels.join("."),
        qtype,
        question_end: pos + 4,
        wire,
    })
}

/// A record of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A name server.
    Ns(String),
}

impl Record {
    fn rtype(&self) -> u16 {
        match self {
            Record::A(_) => qtype::A,
            Record::Aaaa(_) => qtype::AAAA,
            Record::Ns(_) => qtype::NS,
        }
    }
}

/// A 200 `application/dns-message` answer to `q` holding those of `records` of the type asked
/// (none of them: NODATA); `rcode` 3 makes it NXDOMAIN.
pub fn dns_reply(q: &Question, records: &[Record], rcode: u8) -> Reply {
    let answers: Vec<&Record> = records.iter().filter(|r| r.rtype() == q.qtype).collect();
    let mut m = Vec::with_capacity(512);
    m.extend_from_slice(&q.wire[..2]); // ID
    m.extend_from_slice(&[0x81, 0x80 | (rcode & 0x0f)]); // QR RD RA
    m.extend_from_slice(&[0, 1]);
    m.extend_from_slice(&u16::try_from(answers.len()).unwrap_or(0).to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(&q.wire[12..q.question_end]);
    for r in answers {
        m.extend_from_slice(&[0xc0, 0x0c]); // the question's name
        m.extend_from_slice(&r.rtype().to_be_bytes());
        m.extend_from_slice(&[0, 1, 0, 0, 0, 60]); // IN, TTL 60
        let rdata = match r {
            Record::A(a) => a.octets().to_vec(),
            Record::Aaaa(a) => a.octets().to_vec(),
            Record::Ns(n) => wire_name(n),
        };
        m.extend_from_slice(&u16::try_from(rdata.len()).unwrap_or(0).to_be_bytes());
        m.extend_from_slice(&rdata);
    }
    Reply::ok(m).header("Content-Type", "application/dns-message")
}

fn wire_name(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        out.push(u8::try_from(label.len()).unwrap_or(63));
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        }))
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().take_while(|&c| c != b'=') {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64url_round_trip() {
        assert_eq!(base64url_decode("AAEC_w").unwrap(), [0, 1, 2, 255]);
        assert_eq!(base64url_decode("aGk").unwrap(), b"hi");
        assert_eq!(base64url_decode("a*"), None);
    }
}
