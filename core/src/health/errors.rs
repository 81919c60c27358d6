//! What a response or network error says about a site: fails, answers, inconclusive or
//! the user's own doing.

use serde::{Deserialize, Serialize};

use crate::Millis;

/// What one observation says about a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The site answered.
    Ok,
    /// The site (or its authoritative DNS) failed.
    Fail,
    /// Nothing can be said about the site: the resolver or the user's network failed.
    Inconclusive,
    /// Not about the site at all (the user navigated away, an ad blocker): changes nothing.
    Ignore,
}

/// What kind of network error a browser reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetErrorKind {
    /// The name did not resolve (NXDOMAIN or no address): `ERR_NAME_NOT_RESOLVED`.
    NameNotResolved,
    /// The server refused the connection.
    ConnectionRefused,
    /// The connection was reset, closed or aborted by the peer.
    ConnectionReset,
    /// The connection could not be made for another reason.
    ConnectionFailed,
    /// Connecting or waiting for the answer timed out.
    TimedOut,
    /// No route to the address.
    Unreachable,
    /// The TLS handshake failed.
    Tls,
    /// The certificate was refused (expired, wrong name, unknown issuer).
    Certificate,
    /// The server answered with something that is not valid HTTP (empty, garbled, redirect loop).
    BadResponse,
    /// The resolver itself could not be used (`ERR_NAME_RESOLUTION_FAILED`, `ERR_DNS_TIMED_OUT`).
    ResolverFailed,
    /// The device has no network (`ERR_INTERNET_DISCONNECTED`, `NS_ERROR_OFFLINE`).
    Offline,
    /// A local problem: the network changed, a proxy failed, the device was suspended.
    LocalNetwork,
    /// The request was cancelled (the user navigated away or stopped the load).
    Aborted,
    /// A blocker (extension, policy, tracking protection, CSP) stopped the request.
    Blocked,
    /// A cache-only load missed (back/forward of a POST); the network was not asked.
    Cache,
    /// Anything else; never counted as a failure, so an unknown code raises no alarm.
    Other,
}

impl NetErrorKind {
    /// Whether the error counts against the site, says nothing, or is ignored.
    pub fn verdict(self) -> Verdict {
        use NetErrorKind::*;
        match self {
            NameNotResolved | ConnectionRefused | ConnectionReset | ConnectionFailed | TimedOut
            | Unreachable | Tls | Certificate | BadResponse => Verdict::Fail,
            ResolverFailed | Offline | LocalNetwork => Verdict::Inconclusive,
            Aborted | Blocked | Cache | Other => Verdict::Ignore,
        }
    }
}

/// Maps a browser's error string (Chrome `net::ERR_*`, Firefox `NS_ERROR_*`, `SSL_ERROR_*`,
/// `SEC_ERROR_*`) to its kind; unknown strings are [`NetErrorKind::Other`].
pub fn classify_net_error(error: &str) -> NetErrorKind {
    use NetErrorKind::*;
    let e = error.trim();
    let e = e.strip_prefix("net::").unwrap_or(e).to_ascii_uppercase();
    let exact = match e.as_str() {
        // Chrome.
        "ERR_NAME_NOT_RESOLVED" => Some(NameNotResolved),
        "ERR_NAME_RESOLUTION_FAILED"
        | "ERR_DNS_TIMED_OUT"
        | "ERR_DNS_SERVER_FAILED"
        | "ERR_DNS_MALFORMED_RESPONSE" => Some(ResolverFailed),
        "ERR_CONNECTION_REFUSED" => Some(ConnectionRefused),
        "ERR_CONNECTION_RESET" | "ERR_CONNECTION_CLOSED" | "ERR_CONNECTION_ABORTED" => {
            Some(ConnectionReset)
        }
        "ERR_CONNECTION_TIMED_OUT" | "ERR_TIMED_OUT" => Some(TimedOut),
        "ERR_ADDRESS_UNREACHABLE" => Some(Unreachable),
        "ERR_EMPTY_RESPONSE"
        | "ERR_INVALID_RESPONSE"
        | "ERR_INVALID_HTTP_RESPONSE"
        | "ERR_TOO_MANY_REDIRECTS"
        | "ERR_HTTP2_PROTOCOL_ERROR"
        | "ERR_QUIC_PROTOCOL_ERROR"
        | "ERR_INVALID_CHUNKED_ENCODING"
        | "ERR_CONTENT_LENGTH_MISMATCH"
        | "ERR_INCOMPLETE_CHUNKED_ENCODING"
        | "ERR_RESPONSE_HEADERS_TRUNCATED" => Some(BadResponse),
        "ERR_INTERNET_DISCONNECTED" => Some(Offline),
        "ERR_NETWORK_CHANGED"
        | "ERR_NETWORK_IO_SUSPENDED"
        | "ERR_NETWORK_ACCESS_DENIED"
        | "ERR_ADDRESS_INVALID"
        | "ERR_PROXY_CONNECTION_FAILED"
        | "ERR_TUNNEL_CONNECTION_FAILED" => Some(LocalNetwork),
        "ERR_ABORTED" => Some(Aborted),
        // Firefox.
        "NS_ERROR_UNKNOWN_HOST" => Some(NameNotResolved),
        "NS_ERROR_CONNECTION_REFUSED" => Some(ConnectionRefused),
        "NS_ERROR_NET_RESET" | "NS_ERROR_NET_INTERRUPT" | "NS_ERROR_NET_PARTIAL_TRANSFER" => {
            Some(ConnectionReset)
        }
        "NS_ERROR_NET_TIMEOUT" | "NS_ERROR_NET_TIMEOUT_EXTERNAL" => Some(TimedOut),
        "NS_ERROR_NET_INADEQUATE_SECURITY" => Some(Tls),
        "NS_ERROR_REDIRECT_LOOP"
        | "NS_ERROR_NET_EMPTY_RESPONSE"
        | "NS_ERROR_INVALID_CONTENT_ENCODING"
        | "NS_ERROR_CORRUPTED_CONTENT" => Some(BadResponse),
        "NS_ERROR_OFFLINE" => Some(Offline),
        "NS_ERROR_UNKNOWN_PROXY_HOST" | "NS_ERROR_PROXY_CONNECTION_REFUSED" => Some(LocalNetwork),
        "NS_BINDING_ABORTED"
        | "NS_ERROR_ABORT"
        | "NS_BINDING_REDIRECTED"
        | "NS_BINDING_RETARGETED" => Some(Aborted),
        "NS_ERROR_TRACKING_URI" | "NS_ERROR_BLOCKED_URI" | "NS_ERROR_CONTENT_BLOCKED" => {
            Some(Blocked)
        }
        _ => None,
    };
    if let Some(kind) = exact {
        return kind;
    }
    // Families, by prefix: new codes of a known family keep their meaning.
    let prefixed: &[(&str, NetErrorKind)] = &[
        ("ERR_CERT_", Certificate),
        ("ERR_SSL_", Tls),
        ("ERR_BAD_SSL_", Tls),
        ("ERR_BLOCKED_BY_", Blocked),
        ("ERR_CACHE_", Cache),
        ("ERR_PROXY_", LocalNetwork),
        ("ERR_CONNECTION_", ConnectionFailed),
        ("NS_ERROR_PROXY_", LocalNetwork),
        ("SEC_ERROR_", Certificate),
        ("MOZILLA_PKIX_ERROR_", Certificate),
        ("SSL_ERROR_", Tls),
    ];
    prefixed
        .iter()
        .find(|(prefix, _)| e.starts_with(prefix))
        .map_or(Other, |(_, kind)| *kind)
}

/// The verdict for an HTTP status: 5xx fails, any other real status means the server answered.
pub(super) fn status_verdict(status: u16) -> Verdict {
    match status {
        // 0 is what some APIs report for "no response": not an answer, and not a known failure.
        0 => Verdict::Inconclusive,
        500..=599 => Verdict::Fail,
        _ => Verdict::Ok,
    }
}

/// A passive observation: something the browser saw while the user browsed the site.
///
/// The worker reports main-frame and same-site requests only; third-party failures say nothing
/// about the site itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Observation {
    /// A response arrived with this status.
    Response {
        /// When.
        at: Millis,
        /// The HTTP status.
        status: u16,
    },
    /// The request failed below HTTP.
    NetError {
        /// When.
        at: Millis,
        /// What kind of error ([`classify_net_error`]).
        kind: NetErrorKind,
    },
}

impl Observation {
    /// A failed request, classified from the browser's error string.
    pub fn from_error(at: Millis, error: &str) -> Self {
        Self::NetError {
            at,
            kind: classify_net_error(error),
        }
    }

    /// When it happened.
    pub fn at(&self) -> Millis {
        match self {
            Self::Response { at, .. } | Self::NetError { at, .. } => *at,
        }
    }

    /// What it says about the site.
    pub fn verdict(&self) -> Verdict {
        match self {
            Self::Response { status, .. } => status_verdict(*status),
            Self::NetError { kind, .. } => kind.verdict(),
        }
    }
}
