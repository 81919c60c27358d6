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
    /// openssl could not make the test certificate.
    #[error("openssl could not create a test certificate (apt-get install -y openssl; cargo xtask test does this for you): {0}")]
    Certificate(String),
    /// The server did not accept connections in time.
    #[error("unbound did not start listening on 127.0.0.1:{port} within 10 s; its log:\n{log}")]
    NotListening {
        /// The port it was told to use.
        port: u16,
        /// What it printed.
        log: String,
    },
}

/// A running unbound serving RFC 8484 at `http://127.0.0.1:PORT/dns-query` (h2c, no TLS) or,
/// from [`Unbound::start_tls`], at `https://127.0.0.1:PORT/dns-query` (h2 over TLS with a
/// self-signed certificate for 127.0.0.1). Every name outside `local-data` gets NXDOMAIN
/// (`local-zone: "." static`): nothing leaves the machine.
#[derive(Debug)]
pub struct Unbound {
    child: Child,
    port: u16,
    dir: PathBuf,
    tls: bool,
}

/// Where Debian installs the daemon.
pub const UNBOUND: &str = "/usr/sbin/unbound";

impl Unbound {
    /// Starts unbound with `records` as `local-data` lines (e.g. `"shop.test. 300 IN A 3.5.140.2"`).
    pub fn start(records: &[&str]) -> Result<Self, UnboundError> {
        Self::launch(records, false)
    }

    /// Like [`Unbound::start`], over TLS: the certificate (also its own CA) is at
    /// [`Unbound::certificate`].
    pub fn start_tls(records: &[&str]) -> Result<Self, UnboundError> {
        Self::launch(records, true)
    }

    fn launch(records: &[&str], tls: bool) -> Result<Self, UnboundError> {
        if !std::path::Path::new(UNBOUND).is_file() {
            return Err(UnboundError::NotInstalled);
        }
        let port = crate::free_port()?;
        let dir =
            std::env::temp_dir().join(format!("onebasket-unbound-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let transport = if tls {
            let out = Command::new("openssl")
                .args([
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                ])
                .arg("-keyout")
                .arg(dir.join("key.pem"))
                .arg("-out")
                .arg(dir.join("cert.pem"))
                .args([
                    "-subj",
                    "/CN=127.0.0.1",
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                ])
                // An end-entity certificate trusted as its own anchor: rustls refuses a CA
                // certificate as a server's (CaUsedAsEndEntity); browsers do not mind.
                .args(["-addext", "basicConstraints=critical,CA:FALSE"])
                .output()
                .map_err(|e| UnboundError::Certificate(e.to_string()))?;
            if !out.status.success() {
                return Err(UnboundError::Certificate(
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                ));
            }
            format!(
                "  tls-service-key: \"{}\"\n  tls-service-pem: \"{}\"\n",
                dir.join("key.pem").display(),
                dir.join("cert.pem").display()
            )
        } else {
            "  http-notls-downstream: yes\n".to_owned()
        };
        let conf = dir.join("unbound.conf");
        let mut f = std::fs::File::create(&conf)?;
        write!(
            f,
            r#"server:
  interface: 127.0.0.1@{port}
  https-port: {port}
  http-endpoint: "/dns-query"
{transport}  do-daemonize: no
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
        let mut server = Self {
            child,
            port,
            dir,
            tls,
        };
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
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/dns-query", self.port)
    }

    /// The TLS server's certificate (PEM), which is its own CA; `None` without TLS.
    pub fn certificate(&self) -> Option<PathBuf> {
        self.tls.then(|| self.dir.join("cert.pem"))
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
