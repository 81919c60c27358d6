//! The DoH transport and the engine driver.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use onebasket::classify::Classifier;
use onebasket::engine::{AnswerFormat, Engine, EngineError, Hints, LookupId, Query, QueryId};
use onebasket::evidence::HostEvidence;
use onebasket::profile::{Evidence, LayerKind, Resolution, ResolvedBy, SiteProfile};
use onebasket::site::{self, HostKind};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::http::{self, RateGate};
use crate::input::clip;
use crate::{now_millis, NetArgs};

/// Sends DoH queries: no redirects, bodies read up to the DNS limits, at most `concurrency`
/// requests in flight, a rate-limited query asked once more within its timeout. Remembers
/// whether a plain-HTTP resolver needs HTTP/2 prior knowledge.
#[derive(Clone)]
pub(crate) struct Transport {
    resolver: String,
    json: bool,
    timeout: Duration,
    http1: reqwest::Client,
    h2c: reqwest::Client,
    use_h2c: Arc<AtomicBool>,
    requests: Arc<Semaphore>,
    gate: Arc<RateGate>,
}

impl Transport {
    /// A transport for `net`'s resolver with at most `concurrency` requests in flight.
    pub(crate) fn new(net: &NetArgs, concurrency: usize) -> Result<Self> {
        let url = reqwest::Url::parse(&net.resolver)
            .with_context(|| format!("--resolver {:?} is not a URL", clip(&net.resolver)))?;
        match url.scheme() {
            "https" => {}
            "http" => {
                if !http::is_loopback(&url) {
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
        // RFC 8484 gives a resolver no reason to redirect, and following one could send the
        // queries anywhere (plain http off loopback included): a redirect is the item's error.
        let mut https = reqwest::Client::builder()
            .user_agent(agent)
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none());
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
            timeout,
            // Over https, ALPN picks HTTP/2 when the resolver offers it, else HTTP/1.1.
            http1: https.build()?,
            h2c: reqwest::Client::builder()
                .user_agent(agent)
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .http2_prior_knowledge()
                .build()?,
            use_h2c: Arc::new(AtomicBool::new(false)),
            requests: Arc::new(Semaphore::new(concurrency.max(1))),
            gate: Arc::new(RateGate::new()),
        })
    }

    fn url(&self, q: &Query) -> String {
        if self.json {
            onebasket::dns::json_url(&self.resolver, &q.name, q.qtype)
        } else {
            onebasket::dns::get_url(&self.resolver, &q.wire)
        }
    }

    /// The largest answer accepted: what the parsers accept anyway.
    fn body_limit(&self) -> usize {
        if self.json {
            onebasket::dns::MAX_JSON_LEN
        } else {
            onebasket::dns::MAX_MESSAGE_LEN
        }
    }

    async fn get(
        &self,
        client: &reqwest::Client,
        url: &str,
        timeout: Duration,
    ) -> reqwest::Result<reqwest::Response> {
        let accept = if self.json {
            onebasket::dns::DNS_JSON
        } else {
            onebasket::dns::DNS_MESSAGE
        };
        client
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .timeout(timeout)
            .send()
            .await
    }

    /// One GET (falling back to h2c on a plain-HTTP resolver that needs it).
    async fn fetch(&self, url: &str, timeout: Duration) -> Result<reqwest::Response, String> {
        let plain = self.resolver.starts_with("http://");
        let resp = if plain && self.use_h2c.load(Ordering::Relaxed) {
            self.get(&self.h2c, url, timeout).await
        } else {
            match self.get(&self.http1, url, timeout).await {
                // A plain-HTTP resolver that closes HTTP/1.1 connections may speak only h2c
                // (unbound's DoH does): retry with prior knowledge and remember.
                Err(e) if plain && !e.is_timeout() => {
                    let r = self.get(&self.h2c, url, timeout).await;
                    if r.is_ok() {
                        self.use_h2c.store(true, Ordering::Relaxed);
                    }
                    r
                }
                r => r,
            }
        };
        resp.map_err(|e| {
            if e.is_timeout() {
                format!("resolver {} timed out", self.resolver)
            } else {
                format!(
                    "resolver {} unreachable: {}",
                    self.resolver,
                    http::root_cause(&e)
                )
            }
        })
    }

    /// One query; Ok(body) or a one-line reason.
    pub(crate) async fn send(&self, q: &Query) -> Result<Vec<u8>, String> {
        let url = self.url(q);
        // Waiting for a rate-limited server is not the query's fault: its time starts after.
        self.gate.pass().await;
        let started = Instant::now();
        let closed = || "the request limiter closed".to_owned();
        let mut permit = self.requests.acquire().await.map_err(|_| closed())?;
        let mut resp = self.fetch(&url, self.timeout).await?;
        if http::is_rate_limited(&resp) {
            let status = resp.status();
            let hint = http::retry_after(resp.headers());
            let said =
                hint.map_or_else(String::new, |d| format!(", Retry-After {} s", d.as_secs()));
            drop(resp);
            let wait = self.gate.limited(hint, self.timeout);
            let left = self.timeout.saturating_sub(started.elapsed());
            if wait >= left {
                return Err(format!(
                    "resolver {} rate-limited the query (HTTP {status}{said}): more than the {} s timeout allows to wait",
                    self.resolver,
                    self.timeout.as_secs()
                ));
            }
            // Nothing is sent meanwhile, so the slot goes to no one else's request either.
            drop(permit);
            tokio::time::sleep(wait).await;
            permit = self.requests.acquire().await.map_err(|_| closed())?;
            resp = self.fetch(&url, left - wait).await?;
            if http::is_rate_limited(&resp) {
                self.gate
                    .limited(http::retry_after(resp.headers()), self.timeout);
                return Err(format!(
                    "resolver {} rate-limited the query (HTTP {}), also when asked again {:.1} s later",
                    self.resolver,
                    resp.status(),
                    wait.as_secs_f64()
                ));
            }
        }
        self.gate.answered();
        if let Some(target) = http::redirect_target(&resp) {
            return Err(format!(
                "resolver {} redirected to {}",
                self.resolver,
                clip(&target)
            ));
        }
        if !resp.status().is_success() {
            return Err(format!(
                "resolver {} answered HTTP {}",
                self.resolver,
                resp.status()
            ));
        }
        let body = http::read_capped(resp, self.body_limit()).await;
        drop(permit);
        body.map_err(|e| match e {
            http::BodyError::Read(_) => format!("resolver {}: {e}", self.resolver),
            _ => format!("resolver {}: answer {e}", self.resolver),
        })
    }
}

/// What to do after an item finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Go on.
    Continue,
    /// Stop now (stdout is gone).
    Stop,
}

/// How a run of [`drive`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// Every name finished.
    Done,
    /// The caller asked to stop.
    Stopped,
    /// The interrupt future fired (Ctrl-C).
    Interrupted,
}

/// A future that fires once, e.g. on Ctrl-C.
pub(crate) type Interrupt = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Why a name could not be looked up at all, quoting at most [`crate::input::ECHO_CHARS`] of it.
fn start_error(e: &EngineError) -> String {
    match e {
        EngineError::InvalidHost { name, source } => {
            format!(
                "invalid hostname {:?}: {}",
                clip(name),
                clip(&source.to_string())
            )
        }
        other => clip(&other.to_string()),
    }
}

/// The profile of `localhost` or a name under it, answered here: RFC 6761 §6.3 has them
/// resolve to loopback without asking any DNS server, so the resolver is never asked and
/// nothing it would say is believed.
fn localhost_profile(classifier: &Classifier, name: &str) -> Option<SiteProfile> {
    let HostKind::Name(host) = site::normalize_host(name).ok()? else {
        return None;
    };
    if !site::is_localhost(&host) {
        return None;
    }
    let obs = HostEvidence {
        name: host.as_str().to_owned(),
        site: Some(classifier.sites().key_of(&host).to_string()),
        addresses: vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ],
        resolution: Some(Resolution::Ok),
        resolved_by: ResolvedBy::Literal,
        ..HostEvidence::default()
    };
    let mut profile = classifier.classify(&obs);
    profile.evidence.push(Evidence {
        layer: LayerKind::Resolution,
        text: format!(
            "{} is loopback (RFC 6761 §6.3): answered locally, the resolver was not asked",
            profile.name
        ),
    });
    Some(profile)
}

/// Runs look-ups for `names` through the engine with at most `concurrency` in progress,
/// calling `on_done` for each finished profile (or start error) with the name's index, until
/// all are done, `on_done` says stop, or `interrupt` fires.
pub(crate) async fn drive(
    engine: &mut Engine,
    transport: &Transport,
    names: &[String],
    concurrency: usize,
    mut interrupt: Option<Interrupt>,
    mut on_done: impl FnMut(usize, Result<SiteProfile, String>) -> Flow,
) -> Ended {
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
            let flow = if let Some(p) = localhost_profile(engine.classifier(), &names[i]) {
                on_done(i, Ok(p))
            } else {
                match engine.start(&names[i], Hints::default(), now_millis()) {
                    Ok(id) => {
                        active.insert(id, i);
                        Flow::Continue
                    }
                    Err(e) => on_done(i, Err(start_error(&e))),
                }
            };
            if flow == Flow::Stop {
                return Ended::Stopped;
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
                if on_done(i, Ok(profile)) == Flow::Stop {
                    return Ended::Stopped;
                }
            }
        }
        if progressed {
            continue;
        }
        let joined = match interrupt.as_mut() {
            Some(stop) => tokio::select! {
                j = tasks.join_next() => j,
                () = stop => return Ended::Interrupted,
            },
            None => tasks.join_next().await,
        };
        match joined {
            Some(Ok((id, Ok(body)))) => engine.handle_response(id, format, &body, now_millis()),
            Some(Ok((id, Err(reason)))) => engine.handle_failure(id, &reason, now_millis()),
            Some(Err(e)) => crate::note!("internal task failure: {e}"),
            None if active.is_empty() && next >= names.len() => return Ended::Done,
            None => {
                // Nothing in flight yet look-ups remain: they can only be waiting on each other,
                // which the engine never does; guard against spinning anyway.
                crate::note!("{} look-ups stalled", active.len());
                return Ended::Done;
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
