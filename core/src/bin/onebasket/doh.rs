//! The DoH transport and the engine driver.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use onebasket::engine::{AnswerFormat, Engine, Hints, LookupId, Query, QueryId};
use onebasket::profile::{Resolution, SiteProfile};
use tokio::task::JoinSet;

use crate::{now_millis, NetArgs};

/// Sends DoH queries; remembers per resolver whether plain-HTTP needs HTTP/2 prior knowledge.
#[derive(Clone)]
pub(crate) struct Transport {
    resolver: String,
    json: bool,
    http1: reqwest::Client,
    h2c: reqwest::Client,
    use_h2c: Arc<AtomicBool>,
}

impl Transport {
    pub(crate) fn new(net: &NetArgs) -> Result<Self> {
        let url = reqwest::Url::parse(&net.resolver)
            .with_context(|| format!("--resolver {:?} is not a URL", net.resolver))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                let host = url
                    .host_str()
                    .unwrap_or("")
                    .trim_start_matches('[')
                    .trim_end_matches(']');
                let loopback =
                    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|a| a.is_loopback());
                if !loopback {
                    bail!(
                        "--resolver {}: plain http is only accepted on loopback",
                        net.resolver
                    );
                }
            }
            other => bail!("--resolver {}: unsupported scheme {other:?}", net.resolver),
        }
        let timeout = Duration::from_secs(net.timeout.max(1));
        let agent = concat!("onebasket/", env!("CARGO_PKG_VERSION"));
        let mut https = reqwest::Client::builder()
            .user_agent(agent)
            .timeout(timeout);
        if let Some(path) = &net.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("--ca-cert {}: cannot read", path.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .with_context(|| format!("--ca-cert {}: not a PEM certificate", path.display()))?;
            https = https.add_root_certificate(cert);
        }
        Ok(Self {
            resolver: net.resolver.clone(),
            json: net.doh_json,
            // Over https, ALPN picks HTTP/2 when the resolver offers it, else HTTP/1.1.
            http1: https.build()?,
            h2c: reqwest::Client::builder()
                .user_agent(agent)
                .timeout(timeout)
                .http2_prior_knowledge()
                .build()?,
            use_h2c: Arc::new(AtomicBool::new(false)),
        })
    }

    fn url(&self, q: &Query) -> String {
        if self.json {
            onebasket::dns::json_url(&self.resolver, &q.name, q.qtype)
        } else {
            onebasket::dns::get_url(&self.resolver, &q.wire)
        }
    }

    async fn get(&self, client: &reqwest::Client, url: &str) -> reqwest::Result<reqwest::Response> {
        let accept = if self.json {
            onebasket::dns::DNS_JSON
        } else {
            onebasket::dns::DNS_MESSAGE
        };
        client
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .await
    }

    /// One query; Ok(body) or a one-line reason.
    async fn send(&self, q: &Query) -> Result<Vec<u8>, String> {
        let url = self.url(q);
        let plain = self.resolver.starts_with("http://");
        let resp = if plain && self.use_h2c.load(Ordering::Relaxed) {
            self.get(&self.h2c, &url).await
        } else {
            match self.get(&self.http1, &url).await {
                // A plain-HTTP resolver that closes HTTP/1.1 connections may speak only h2c
                // (unbound's DoH does): retry with prior knowledge and remember.
                Err(e) if plain && !e.is_timeout() => {
                    let r = self.get(&self.h2c, &url).await;
                    if r.is_ok() {
                        self.use_h2c.store(true, Ordering::Relaxed);
                    }
                    r
                }
                r => r,
            }
        };
        let resp = resp.map_err(|e| {
            if e.is_timeout() {
                format!("resolver {} timed out", self.resolver)
            } else {
                format!("resolver {} unreachable: {}", self.resolver, root_cause(&e))
            }
        })?;
        if !resp.status().is_success() {
            return Err(format!(
                "resolver {} answered HTTP {}",
                self.resolver,
                resp.status()
            ));
        }
        resp.bytes().await.map(|b| b.to_vec()).map_err(|e| {
            format!(
                "resolver {}: reading the answer: {}",
                self.resolver,
                root_cause(&e)
            )
        })
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// Runs look-ups for `names` through the engine with at most `concurrency` in progress,
/// calling `on_done` for each finished profile (or start error).
pub(crate) async fn drive(
    engine: &mut Engine,
    transport: &Transport,
    names: &[String],
    concurrency: usize,
    mut on_done: impl FnMut(usize, Result<SiteProfile, String>),
) {
    let format = if transport.json {
        AnswerFormat::Json
    } else {
        AnswerFormat::Wire
    };
    let mut next = 0usize;
    let mut active: HashMap<LookupId, usize> = HashMap::new();
    let mut tasks: JoinSet<(QueryId, Result<Vec<u8>, String>)> = JoinSet::new();
    loop {
        while active.len() < concurrency.max(1) && next < names.len() {
            let i = next;
            next += 1;
            match engine.start(&names[i], Hints::default(), now_millis()) {
                Ok(id) => {
                    active.insert(id, i);
                }
                Err(e) => on_done(i, Err(e.to_string())),
            }
        }
        while let Some(q) = engine.poll_query() {
            let t = transport.clone();
            tasks.spawn(async move {
                let r = t.send(&q).await;
                (q.id, r)
            });
        }
        let mut progressed = false;
        while let Some((id, profile)) = engine.poll_profile() {
            progressed = true;
            if let Some(i) = active.remove(&id) {
                on_done(i, Ok(profile));
            }
        }
        if progressed {
            continue;
        }
        match tasks.join_next().await {
            Some(Ok((id, Ok(body)))) => engine.handle_response(id, format, &body, now_millis()),
            Some(Ok((id, Err(reason)))) => engine.handle_failure(id, &reason, now_millis()),
            Some(Err(e)) => eprintln!("onebasket: internal task failure: {e}"),
            None if active.is_empty() && next >= names.len() => break,
            None => {
                // Nothing in flight yet look-ups remain: they can only be waiting on each other,
                // which the engine never does; guard against spinning anyway.
                eprintln!("onebasket: {} look-ups stalled", active.len());
                break;
            }
        }
    }
}

/// The one-line problem with a profile, if it is a failure for the exit status.
pub(crate) fn failure_line(p: &SiteProfile) -> Option<String> {
    match &p.resolution {
        Resolution::Ok => None,
        Resolution::NxDomain => Some(format!("{}: no such domain (NXDOMAIN)", p.name)),
        Resolution::ServFail => Some(format!("{}: the resolver failed (SERVFAIL)", p.name)),
        Resolution::Refused => Some(format!(
            "{}: the resolver refused the query (REFUSED)",
            p.name
        )),
        Resolution::Truncated => Some(format!("{}: the answer was truncated", p.name)),
        Resolution::NoAddress => Some(format!("{}: no A or AAAA records", p.name)),
        Resolution::ResolverError(e) => Some(format!("{}: {e}", p.name)),
    }
}
