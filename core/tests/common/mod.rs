//! Helpers shared by the CLI tests against hostile servers (`cli_hostile.rs`, `cli_memory.rs`).
#![allow(dead_code, clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use onebasket_tests::hostile::{dns_question, dns_reply, HostileServer, Question, Record, Reply};
use onebasket_tests::{fixture_feeds, free_port};

/// In AWS us-east-1 (EC2) in the fixture feeds.
pub(crate) const AWS: Ipv4Addr = Ipv4Addr::new(216, 244, 7, 10);
/// In Google Cloud europe-west1 in the fixture feeds.
pub(crate) const GCP: Ipv4Addr = Ipv4Addr::new(8, 34, 208, 5);

/// The CLI with its own empty cache, so nothing of the user's is read or written.
pub(crate) fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_onebasket"));
    c.env("XDG_CACHE_HOME", tempdir("xdg"));
    c
}

/// A fresh, empty directory under the temp dir.
pub(crate) fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "onebasket-hostile-{name}-{}-{}",
        std::process::id(),
        free_port().unwrap()
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The fixture feed directory as an argument.
pub(crate) fn feeds() -> String {
    fixture_feeds().to_string_lossy().into_owned()
}

/// What a finished run printed.
#[derive(Debug)]
pub(crate) struct Run {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub(crate) fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub(crate) fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

/// Runs `cmd` with no stdin, killing it after `limit` (a test must never hang on a CLI that
/// does), and collects its output.
pub(crate) fn run_for(mut cmd: Command, limit: Duration) -> Run {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish(child, limit)
}

/// Waits for `child` (stdout and stderr piped, not taken) at most `limit`, then kills it.
pub(crate) fn finish(mut child: Child, limit: Duration) -> Run {
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let status = wait_at_most(&mut child, limit);
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// Waits for `child` at most `limit`; kills it and fails the test when it takes longer.
pub(crate) fn wait_at_most(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the CLI did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A DoH server answering each question with `records(question)`; anything that is not a DoH
/// GET gets 400.
pub(crate) fn doh(
    records: impl Fn(&Question) -> Vec<Record> + Send + Sync + 'static,
) -> HostileServer {
    HostileServer::start(move |req| match dns_question(req) {
        Some(q) => dns_reply(&q, &records(&q), 0),
        None => Reply::status(400),
    })
    .unwrap()
}

/// The DoH questions a server received, as (name, type).
pub(crate) fn questions(server: &HostileServer) -> Vec<(String, u16)> {
    server
        .requests()
        .iter()
        .filter_map(dns_question)
        .map(|q| (q.name, q.qtype))
        .collect()
}

/// An AWS `ip-ranges.json` with `n` distinct /24s (3.x.y.0/24).
pub(crate) fn aws_feed(n: usize) -> String {
    let prefixes: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"ip_prefix":"3.{}.{}.0/24","region":"us-east-1","network_border_group":"us-east-1","service":"EC2"}}"#,
                i / 256,
                i % 256
            )
        })
        .collect();
    format!(
        r#"{{"syncToken":"1","createDate":"2026-08-22-15-17-05","prefixes":[{}],"ipv6_prefixes":[]}}"#,
        prefixes.join(",")
    )
}

/// A fixture feed's bytes.
pub(crate) fn fixture(file: &str) -> Vec<u8> {
    std::fs::read(fixture_feeds().join(file)).unwrap()
}

/// A file's bytes, or empty when it does not exist.
pub(crate) fn read_or_empty(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

/// Reads `reader` line by line on a thread of its own until a line contains `marker` (or the
/// end), and tells through the channel what it saw up to there; then, unless `close` says to
/// drop the reader there, reads on to the end, returned by the thread. The channel lets a test
/// wait for the marker with a time limit instead of hanging on a CLI that never prints it.
pub(crate) fn watch_lines(
    reader: impl Read + Send + 'static,
    marker: &'static str,
    close: bool,
) -> (mpsc::Receiver<String>, std::thread::JoinHandle<String>) {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            seen.push_str(&line);
            if line.contains(marker) {
                break;
            }
        }
        let _ = tx.send(seen);
        let mut rest = String::new();
        if !close {
            let _ = reader.read_to_string(&mut rest);
        }
        rest
    });
    (rx, thread)
}

/// What [`watch_lines`] saw up to its marker, within `limit`; kills `child` and fails the test
/// when nothing came.
pub(crate) fn seen_within(
    rx: &mpsc::Receiver<String>,
    child: &mut Child,
    limit: Duration,
) -> String {
    match rx.recv_timeout(limit) {
        Ok(seen) => seen,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the CLI printed nothing awaited within {limit:?}");
        }
    }
}
