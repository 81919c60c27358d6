//! The parts of a page URL the product keeps: its host (to find the site) and its origin (what
//! an active check requests). Never the path, query or fragment. The one URL parser of the
//! crate: the worker, the pages and the CLI all come here.

/// The scheme (lowercase, `http` or `https`) and the authority of an `http(s)://` URL; `None`
/// for every other scheme (extension pages, `about:`, `file:`, `data:`).
fn split(url: &str) -> Option<(&'static str, &str)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        "https"
    } else if scheme.eq_ignore_ascii_case("http") {
        "http"
    } else {
        return None;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Userinfo (`user:pass@`) is the user's, never kept.
    let authority = authority.rsplit('@').next().unwrap_or("");
    (!authority.is_empty()).then_some((scheme, authority))
}

/// The host of an `http(s)://` URL: lowercase, without port, IPv6 brackets or trailing dot.
/// `None` for other schemes and for URLs without a host.
pub fn host_of_url(url: &str) -> Option<String> {
    let (_, authority) = split(url)?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

/// `http(s)://host[:port]` of an `http(s)://` URL: what an active check requests, and nothing
/// of the path or query the user visited.
pub fn origin_of_url(url: &str) -> Option<String> {
    let (scheme, authority) = split(url)?;
    host_of_url(url)?;
    Some(format!("{scheme}://{}", authority.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_urls() {
        for (url, host) in [
            ("https://www.Example.com/a?b#c", Some("www.example.com")),
            ("http://user:pw@shop.example:8080/x", Some("shop.example")),
            ("HTTPS://example.com.", Some("example.com")),
            (
                "https://User@WWW.Example.COM.:8443/x?y#z",
                Some("www.example.com"),
            ),
            ("http://[2600:1f18::1]:80/", Some("2600:1f18::1")),
            ("https://a.example?q=1,b", Some("a.example")),
            ("chrome-extension://abc/popup.html", None),
            ("about:blank", None),
            ("https:///nohost", None),
            ("file:///etc/passwd", None),
        ] {
            assert_eq!(host_of_url(url).as_deref(), host, "{url}");
        }
    }

    #[test]
    fn origins_keep_no_path_query_or_userinfo() {
        assert_eq!(
            origin_of_url("https://u:p@Shop.Example:8443/cart?id=1").as_deref(),
            Some("https://shop.example:8443")
        );
        assert_eq!(
            origin_of_url("http://a.example/").as_deref(),
            Some("http://a.example")
        );
        assert_eq!(origin_of_url("ftp://a.example/"), None);
    }
}
