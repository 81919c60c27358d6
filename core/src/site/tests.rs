use super::*;

fn keys() -> SiteKeys {
    SiteKeys::builtin()
}

fn name(s: &str) -> String {
    match normalize_host(s).unwrap() {
        HostKind::Name(h) => h.as_str().to_string(),
        HostKind::Ip(ip) => panic!("{s} is {ip}"),
    }
}

fn domain(s: &str) -> SiteKey {
    SiteKey::Domain(s.into())
}

fn local(s: &str) -> SiteKey {
    SiteKey::Local(s.into())
}

#[test]
fn normalizes_case_dots_and_idn() {
    assert_eq!(name("WWW.Example.COM."), "www.example.com");
    assert_eq!(name("münchen.de"), "xn--mnchen-3ya.de");
    assert_eq!(name("MÜNCHEN.DE"), "xn--mnchen-3ya.de");
    assert_eq!(name("xn--mnchen-3ya.de"), "xn--mnchen-3ya.de");
    assert_eq!(name("XN--MNCHEN-3YA.de"), "xn--mnchen-3ya.de");
    assert_eq!(name("bücher.example。com"), "xn--bcher-kva.example.com");
    assert_eq!(name("_dmarc.example.com"), "_dmarc.example.com");
    assert_eq!(name("a-.example"), "a-.example");
    assert_eq!(name("localhost"), "localhost");
    assert_eq!(name("食狮.公司.cn"), "xn--85x722f.xn--55qx5d.cn");
}

#[test]
fn ip_literals() {
    let ip = |s: &str| match normalize_host(s).unwrap() {
        HostKind::Ip(ip) => ip,
        HostKind::Name(n) => panic!("{s} is a name {n}"),
    };
    assert_eq!(ip("192.0.2.1"), "192.0.2.1".parse::<IpAddr>().unwrap());
    assert_eq!(ip("192.0.2.1."), "192.0.2.1".parse::<IpAddr>().unwrap());
    assert_eq!(
        ip("[2001:db8::1]"),
        "2001:db8::1".parse::<IpAddr>().unwrap()
    );
    assert_eq!(ip("2001:DB8::1"), "2001:db8::1".parse::<IpAddr>().unwrap());
    assert_eq!(
        ip("[::ffff:1.2.3.4]"),
        "::ffff:1.2.3.4".parse::<IpAddr>().unwrap()
    );
    assert_eq!(
        ip("１２７.０.０.１"),
        "127.0.0.1".parse::<IpAddr>().unwrap()
    );
    let k = keys();
    assert_eq!(
        k.site_key("[2001:db8::1]").unwrap(),
        SiteKey::Ip("2001:db8::1".parse().unwrap())
    );
    assert_eq!(k.site_key("10.0.0.1").unwrap().to_string(), "10.0.0.1");
    assert_eq!(k.site_key("[2001:db8::1]").unwrap().as_str(), "2001:db8::1");
    assert!(matches!(
        Host::parse("1.2.3.4"),
        Err(SiteError::IpLiteral(_))
    ));
}

#[test]
fn rejects_bad_hosts() {
    let err = |s: &str| normalize_host(s).unwrap_err();
    assert!(matches!(err(""), SiteError::Empty));
    assert!(matches!(err("."), SiteError::Empty));
    assert!(matches!(err("a..b"), SiteError::EmptyLabel));
    assert!(matches!(err(".a"), SiteError::EmptyLabel));
    assert!(matches!(err("a.b.."), SiteError::EmptyLabel));
    assert!(matches!(
        err("exa mple.com"),
        SiteError::InvalidCharacter(' ')
    ));
    assert!(matches!(
        err(" example.com"),
        SiteError::InvalidCharacter(' ')
    ));
    assert!(matches!(
        err("bü cher.de"),
        SiteError::InvalidCharacter(' ')
    ));
    assert!(matches!(
        err("example.com:8443"),
        SiteError::InvalidCharacter(':')
    ));
    assert!(matches!(
        err("example.com/path"),
        SiteError::InvalidCharacter('/')
    ));
    assert!(matches!(
        err("user@example.com"),
        SiteError::InvalidCharacter('@')
    ));
    assert!(matches!(
        err("*.example.com"),
        SiteError::InvalidCharacter('*')
    ));
    assert!(matches!(err("[2001:db8::1"), SiteError::InvalidIpv6(_)));
    assert!(matches!(err("[example.com]"), SiteError::InvalidIpv6(_)));
    assert!(matches!(err("[fe80::1%eth0]"), SiteError::InvalidIpv6(_)));
    assert!(matches!(err("xn--zz.com"), SiteError::Idna(_)));
    assert!(matches!(err("xn--a.com"), SiteError::Idna(_)));
    assert!(matches!(err("1.2.3"), SiteError::NumericName(_)));
    assert!(matches!(err("example.0x7f"), SiteError::NumericName(_)));
    assert!(matches!(err("256.1.1.1"), SiteError::NumericName(_)));
    assert!(matches!(err("01.2.3.4"), SiteError::NumericName(_)));
    // Full-width solidus maps to '/' under UTS #46.
    assert!(normalize_host("a／b.com").is_err());
}

#[test]
fn length_limits() {
    let l63 = "a".repeat(63);
    // 63+1+63+1+63+1+61 = 253
    let n253 = format!("{l63}.{l63}.{l63}.{}", "b".repeat(61));
    assert_eq!(n253.len(), 253);
    assert_eq!(name(&n253), n253);
    assert_eq!(name(&format!("{n253}.")), n253, "trailing dot not counted");
    let n254 = format!("{l63}.{l63}.{l63}.{}", "b".repeat(62));
    assert!(matches!(
        normalize_host(&n254),
        Err(SiteError::TooLong(254))
    ));
    assert!(matches!(
        normalize_host(&format!("{}.com", "a".repeat(64))),
        Err(SiteError::LabelTooLong(64))
    ));
    // The limit applies to the punycode form.
    let long_idn = format!("{}.de", "ü".repeat(60));
    assert!(matches!(
        normalize_host(&long_idn),
        Err(SiteError::LabelTooLong(_))
    ));
}

#[test]
fn site_keys_basic() {
    let k = keys();
    assert_eq!(
        k.site_key("WWW.Example.COM.").unwrap(),
        domain("example.com")
    );
    assert_eq!(k.site_key("example.com").unwrap(), domain("example.com"));
    assert_eq!(
        k.site_key("a.b.example.co.uk").unwrap(),
        domain("example.co.uk")
    );
    assert_eq!(
        k.site_key("münchen.de").unwrap(),
        domain("xn--mnchen-3ya.de")
    );
    assert_eq!(
        k.site_key("www.xn--mnchen-3ya.de").unwrap(),
        domain("xn--mnchen-3ya.de")
    );
    assert_eq!(
        k.site_key("www.食狮.公司.cn").unwrap(),
        domain("xn--85x722f.xn--55qx5d.cn")
    );
}

#[test]
fn private_suffixes_are_used() {
    let k = keys();
    assert_eq!(
        k.site_key("foo.github.io").unwrap(),
        domain("foo.github.io")
    );
    assert_eq!(
        k.site_key("a.foo.github.io").unwrap(),
        domain("foo.github.io")
    );
    assert_ne!(
        k.site_key("alice.github.io").unwrap(),
        k.site_key("bob.github.io").unwrap()
    );
    assert_eq!(
        k.site_key("x.s3.amazonaws.com").unwrap(),
        domain("x.s3.amazonaws.com")
    );
}

#[test]
fn public_suffixes_are_their_own_site() {
    let k = keys();
    assert_eq!(k.site_key("co.uk").unwrap(), domain("co.uk"));
    assert_eq!(k.site_key("github.io").unwrap(), domain("github.io"));
    assert!(k.is_public_suffix(&Host::parse("co.uk").unwrap()));
    assert!(!k.is_public_suffix(&Host::parse("example.co.uk").unwrap()));
    assert_eq!(k.registrable(&Host::parse("co.uk").unwrap()), None);
}

#[test]
fn wildcard_and_exception_rules() {
    let k = keys();
    // *.ck with !www.ck
    assert_eq!(k.site_key("a.b.test.ck").unwrap(), domain("b.test.ck"));
    assert_eq!(k.site_key("test.ck").unwrap(), domain("test.ck"));
    assert_eq!(k.site_key("www.ck").unwrap(), domain("www.ck"));
    assert_eq!(k.site_key("www.www.ck").unwrap(), domain("www.ck"));
    // *.kawasaki.jp with !city.kawasaki.jp
    assert_eq!(
        k.site_key("x.y.kawasaki.jp").unwrap(),
        domain("x.y.kawasaki.jp")
    );
    assert_eq!(
        k.site_key("www.city.kawasaki.jp").unwrap(),
        domain("city.kawasaki.jp")
    );
}

#[test]
fn special_use_and_local_names() {
    let k = keys();
    assert_eq!(
        k.site_key("shop.example.test").unwrap(),
        local("example.test")
    );
    assert_eq!(
        k.site_key("api.example.test").unwrap(),
        local("example.test")
    );
    assert_eq!(
        k.site_key("a.b.example.test").unwrap(),
        local("example.test")
    );
    assert_eq!(k.site_key("example.test").unwrap(), local("example.test"));
    assert_eq!(k.site_key("test").unwrap(), local("test"));
    assert_eq!(k.site_key("localhost").unwrap(), local("localhost"));
    assert_eq!(k.site_key("LOCALHOST.").unwrap(), local("localhost"));
    assert_eq!(k.site_key("app.localhost").unwrap(), local("app.localhost"));
    assert_eq!(
        k.site_key("x.app.localhost").unwrap(),
        local("app.localhost")
    );
    assert_eq!(k.site_key("printer.local").unwrap(), local("printer.local"));
    assert_eq!(
        k.site_key("a.printer.home.arpa").unwrap(),
        local("printer.home.arpa")
    );
    assert_eq!(k.site_key("home.arpa").unwrap(), local("home.arpa"));
    assert_eq!(
        k.site_key("db.corp.internal").unwrap(),
        local("corp.internal")
    );
    assert_eq!(k.site_key("x.foo.invalid").unwrap(), local("foo.invalid"));
    assert_eq!(
        k.site_key("www.iana.example").unwrap(),
        local("iana.example")
    );
    assert_eq!(k.site_key("abc.onion").unwrap(), local("abc.onion"));
    // Not special: a real TLD ending the same way.
    assert_eq!(
        k.site_key("www.contest.com").unwrap(),
        domain("contest.com")
    );
    assert_eq!(k.site_key("mytest").unwrap(), local("mytest"));
    assert_eq!(
        k.site_key("www.example.com").unwrap(),
        domain("example.com")
    );
    // Single label, unknown TLD.
    assert_eq!(k.site_key("intranet").unwrap(), local("intranet"));
    assert_eq!(k.site_key("nas.home.lan").unwrap(), local("home.lan"));
}

#[test]
fn serde_shapes() {
    let k = domain("example.com");
    assert_eq!(
        serde_json::to_string(&k).unwrap(),
        r#"{"kind":"domain","value":"example.com"}"#
    );
    let ip = SiteKey::Ip("192.0.2.1".parse().unwrap());
    let s = serde_json::to_string(&ip).unwrap();
    assert_eq!(s, r#"{"kind":"ip","value":"192.0.2.1"}"#);
    assert_eq!(serde_json::from_str::<SiteKey>(&s).unwrap(), ip);
    let h: Host = serde_json::from_str(r#""WWW.Example.com""#).unwrap();
    assert_eq!(h.as_str(), "www.example.com");
    assert!(serde_json::from_str::<Host>(r#""a b""#).is_err());
    assert!(serde_json::from_str::<Host>(r#""1.2.3.4""#).is_err());
}

#[test]
fn from_list_custom_and_errors() {
    let list = "// ===BEGIN ICANN DOMAINS===\ncom\n*.ck\n!www.ck\n公司.cn\ncn\n// ===END ICANN DOMAINS===\n\
                // ===BEGIN PRIVATE DOMAINS===\nexample.com\n// ===END PRIVATE DOMAINS===\n";
    let k = SiteKeys::from_list(list).unwrap();
    assert_eq!(
        k.site_key("a.b.example.com").unwrap(),
        domain("b.example.com")
    );
    assert_eq!(k.site_key("x.y.ck").unwrap(), domain("x.y.ck"));
    assert_eq!(
        k.site_key("a.食狮.公司.cn").unwrap(),
        domain("xn--85x722f.xn--55qx5d.cn")
    );
    // Unknown to this list.
    assert_eq!(k.site_key("a.b.example.org").unwrap(), local("example.org"));
    assert!(matches!(SiteKeys::from_list(""), Err(SiteError::List(_))));
    assert!(matches!(
        SiteKeys::from_list("// ===BEGIN ICANN DOMAINS===\n!com\n"),
        Err(SiteError::List(_))
    ));
}

/// The Public Suffix List's own test cases (test_psl.txt, CC0, from the same Debian package),
/// run against [`SiteKeys::registrable`].
#[test]
fn psl_conformance() {
    let k = keys();
    let cases = include_str!("test_psl.txt");
    let mut n = 0;
    for line in cases.lines() {
        let Some(args) = line
            .strip_prefix("checkPublicSuffix(")
            .and_then(|l| l.strip_suffix(");"))
        else {
            continue;
        };
        let (input, expected) = args.split_once(", ").unwrap();
        let unquote =
            |s: &str| -> Option<String> { (s != "null").then(|| s.trim_matches('\'').to_string()) };
        let input = unquote(input);
        let expected = unquote(expected).map(|e| name(&e));
        let got = input.as_deref().and_then(|i| match normalize_host(i) {
            Ok(HostKind::Name(h)) => k.registrable(&h),
            _ => None,
        });
        assert_eq!(got, expected, "{line}");
        n += 1;
    }
    assert_eq!(n, cases.matches("\ncheckPublicSuffix(").count());
    assert!(n > 70, "{n} cases");
}

#[test]
fn builtin_list_is_what_prepare_makes() {
    // The build script sorts the shipped list itself (it cannot call the crate); the binary
    // search relies on that order, checked here against the crate's own preparation.
    let again = super::psl::SuffixList::prepare(super::BUILTIN_LIST, |_| None).unwrap();
    assert_eq!(again, super::BUILTIN_LIST);
    assert!(super::BUILTIN_LIST.lines().count() > 9000);
}

#[test]
fn lookups_at_the_list_edges() {
    let k = SiteKeys::from_list("aaa\nzzz\n*.mmm\n!keep.mmm\nb.aaa\n").unwrap();
    let reg = |h: &str| k.registrable(&Host::parse(h).unwrap());
    assert_eq!(reg("x.aaa").as_deref(), Some("x.aaa"));
    assert_eq!(reg("x.b.aaa").as_deref(), Some("x.b.aaa"));
    assert_eq!(reg("x.zzz").as_deref(), Some("x.zzz"));
    assert_eq!(reg("y.x.mmm").as_deref(), Some("y.x.mmm"));
    assert_eq!(reg("keep.mmm").as_deref(), Some("keep.mmm"));
    assert_eq!(reg("a.keep.mmm").as_deref(), Some("keep.mmm"));
    assert_eq!(reg("x.mmm"), None);
    assert!(k.is_public_suffix(&Host::parse("zzz").unwrap()));
    assert!(k.is_public_suffix(&Host::parse("x.mmm").unwrap()));
    assert!(!k.is_public_suffix(&Host::parse("yyy").unwrap()));
    // Rules sorting between and around the probes: before the first, after the last.
    assert_eq!(reg("a.aa").as_deref(), Some("a.aa"));
    assert_eq!(reg("a.zzzz").as_deref(), Some("a.zzzz"));
    assert!(matches!(
        SiteKeys::from_list("a.*.b\n"),
        Err(SiteError::List(_))
    ));
}

#[test]
fn builtin_list_loads() {
    let k = keys();
    assert!(k.is_public_suffix(&Host::parse("com").unwrap()));
    assert!(k.is_public_suffix(&Host::parse("xn--55qx5d.cn").unwrap()));
}

#[test]
fn localhost_names_are_recognized_in_any_spelling() {
    for yes in ["localhost", "LOCALHOST.", "api.localhost", "a.b.Localhost"] {
        assert!(is_localhost(&Host::parse(yes).unwrap()), "{yes}");
    }
    for no in [
        "localhost.example.com",
        "notlocalhost",
        "localhost-1.test",
        "xlocalhost",
    ] {
        assert!(!is_localhost(&Host::parse(no).unwrap()), "{no}");
    }
}
