//! A feed mirror: serves files from a directory over HTTP/1.1 on 127.0.0.1 with ETags and
//! conditional requests, and logs every request so tests can see what was asked.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request the mirror received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The request path.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

/// A running mirror; stops when dropped.
pub struct Mirror {
    server: Arc<tiny_http::Server>,
    port: u16,
    log: Arc<Mutex<Vec<Logged>>>,
    thread: Option<JoinHandle<()>>,
}

impl Mirror {
    /// Serves the files of `dir` (one level, by file name).
    pub fn start(dir: PathBuf) -> std::io::Result<Self> {
        let server = tiny_http::Server::http("127.0.0.1:0").map_err(std::io::Error::other)?;
        let port = server.server_addr().to_ip().map_or(0, |a| a.port());
        let server = Arc::new(server);
        let log = Arc::new(Mutex::new(Vec::new()));
        let (s, l) = (Arc::clone(&server), Arc::clone(&log));
        let thread = std::thread::spawn(move || {
            for req in s.incoming_requests() {
                let path = req.url().to_owned();
                let status = serve(&dir, req);
                if let Ok(mut l) = l.lock() {
                    l.push(Logged { path, status });
                }
            }
        });
        Ok(Self {
            server,
            port,
            log,
            thread: Some(thread),
        })
    }

    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers one request; returns the status sent.
fn serve(dir: &std::path::Path, req: tiny_http::Request) -> u16 {
    let name = req
        .url()
        .trim_start_matches('/')
        .split('?')
        .next()
        .unwrap_or("")
        .to_owned();
    let path = dir.join(&name);
    let ok_name = !name.is_empty() && !name.contains('/') && !name.starts_with('.');
    let status = match (ok_name, std::fs::read(&path)) {
        (true, Ok(bytes)) => {
            // A content hash as the ETag, so an unchanged file answers 304.
            let etag = format!("\"{:016x}\"", fnv1a(&bytes));
            let matches = req
                .headers()
                .iter()
                .any(|h| h.field.equiv("If-None-Match") && h.value.as_str() == etag);
            let header =
                |k: &str, v: &str| tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).ok();
            if matches {
                let mut resp = tiny_http::Response::empty(304);
                if let Some(h) = header("ETag", &etag) {
                    resp.add_header(h);
                }
                let _ = req.respond(resp);
                304
            } else {
                let mut resp = tiny_http::Response::from_data(bytes);
                for h in [
                    header("ETag", &etag),
                    header("Content-Type", "application/octet-stream"),
                ]
                .into_iter()
                .flatten()
                {
                    resp.add_header(h);
                }
                let _ = req.respond(resp);
                200
            }
        }
        _ => {
            let _ = req.respond(tiny_http::Response::empty(404));
            404
        }
    };
    status
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}
