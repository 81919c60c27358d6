//! Servers the integration and browser tests start on 127.0.0.1 and stop when dropped:
//! a real DNS-over-HTTPS resolver ([`unbound::Unbound`]), a feed mirror ([`mirror::Mirror`])
//! and a hostile HTTP server whose every answer the test chooses ([`hostile::HostileServer`]).
//!
//! Nothing here is faked: the resolver is Debian's `unbound` answering RFC 8484 over h2c, and
//! the mirror is an HTTP/1.1 file server with ETag / conditional-request support.

pub mod hostile;
pub mod mirror;
pub mod process;
pub mod unbound;

use std::path::PathBuf;

/// The directory with the providers' real feed snapshots (`../shared/fixtures/feeds`).
///
/// # Panics
/// When the directory is missing: the tests need it and say where it is expected.
pub fn fixture_feeds() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/feeds"
    ));
    assert!(
        dir.join("ip-ranges.json").is_file(),
        "the feed fixtures are expected in {} (the shared/ folder beside the project checkout)",
        dir.display()
    );
    dir
}

/// A free TCP port on 127.0.0.1 (bound then released; the caller binds it again at once).
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
