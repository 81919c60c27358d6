//! Debian's `unbound` as a loopback DNS-over-HTTPS server with the test's own records.

use std::io::Write;
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Why the resolver could not be started.
#[derive(Debug, thiserror::Error)]
pub enum UnboundError {
    /// The binary is missing.
    #[error("unbound is not installed: run `apt-get install -y unbound` (cargo xtask test does this for you)")]
    NotInstalled,
    /// Spawning, configuring or waiting failed.
    #[error("unbound: {0}")]
    Io(#[from] std::io::Error),
    /// The server did not accept connections in time.
    #[error("unbound did not start listening on 127.0.0.1:{port} within 10 s; its log:\n{log}")]
    NotListening {
        /// The port it was told to use.
        port: u16,
        /// What it printed.
        log: String,
    },
}

/// A running unbound serving RFC 8484 (h2c, no TLS) at `http://127.0.0.1:PORT/dns-query`.
/// Every name outside `local-data` gets NXDOMAIN (`local-zone: "." static`): nothing leaves
/// the machine.
#[derive(Debug)]
pub struct Unbound {
    child: Child,
    port: u16,
    dir: PathBuf,
}

/// Where Debian installs the daemon.
pub const UNBOUND: &str = "/usr/sbin/unbound";

impl Unbound {
    /// Starts unbound with `records` as `local-data` lines (e.g. `"shop.test. 300 IN A 3.5.140.2"`).
    pub fn start(records: &[&str]) -> Result<Self, UnboundError> {
        if !std::path::Path::new(UNBOUND).is_file() {
            return Err(UnboundError::NotInstalled);
        }
        let port = crate::free_port()?;
        let dir =
            std::env::temp_dir().join(format!("onebasket-unbound-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let conf = dir.join("unbound.conf");
        let mut f = std::fs::File::create(&conf)?;
        write!(
            f,
            r#"server:
  interface: 127.0.0.1@{port}
  https-port: {port}
  http-endpoint: "/dns-query"
  http-notls-downstream: yes
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 1
  username: ""
  chroot: ""
  directory: "{dir}"
  pidfile: ""
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  local-zone: "." static
"#,
            dir = dir.display()
        )?;
        for r in records {
            // TXT data carries double quotes: unbound takes the whole record in single quotes.
            if r.contains('"') {
                writeln!(f, "  local-data: '{r}'")?;
            } else {
                writeln!(f, "  local-data: \"{r}\"")?;
            }
        }
        drop(f);
        let log = dir.join("unbound.log");
        let child = Command::new(UNBOUND)
            .arg("-d")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(dir.join("unbound.err"))?)
            .spawn()?;
        let mut server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = server.child.try_wait()?.is_some();
            if exited || Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(server.dir.join("unbound.err")).unwrap_or_default();
                return Err(UnboundError::NotListening { port, log });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(server)
    }

    /// The RFC 8484 endpoint.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/dns-query", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server now (also done on drop).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Unbound {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
