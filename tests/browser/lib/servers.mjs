// Servers the browser tests start on 127.0.0.1 and stop themselves: a real DoH resolver
// (Debian's unbound over TLS, HTTP/2), a feed mirror of the real fixture feeds, the test sites,
// and a black hole that accepts connections and never answers.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import net from 'node:net';
import { Duplex } from 'node:stream';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../../..');
export const fixtures = resolve(root, '../shared/fixtures/feeds');

export function requireFile(path, install) {
  if (!existsSync(path)) throw new Error(`${path} is missing: ${install}`);
}

export async function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function waitForPort(port, child, what, logFile) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const up = await new Promise((ok) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); ok(true); });
      c.on('error', () => ok(false));
    });
    if (up) return;
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
      throw new Error(`${what} did not listen on 127.0.0.1:${port}\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** `local-data` lines; TXT data carries double quotes, so such a record is single-quoted. */
function localData(records) {
  return records.map((r) => (r.includes('"') ? `  local-data: '${r}'` : `  local-data: "${r}"`)).join('\n');
}

/**
 * Starts Debian's unbound on 127.0.0.1 with `listen` (the interface lines) and the records, every
 * other name NXDOMAIN (`local-zone: "." static`): nothing leaves the machine.
 */
async function spawnUnbound(dir, port, listen, records) {
  requireFile('/usr/sbin/unbound', 'apt-get install -y unbound (cargo xtask test installs it)');
  writeFileSync(join(dir, 'unbound.conf'), `server:
${listen}
  do-daemonize: no
  use-syslog: no
  logfile: ""
  verbosity: 1
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: ""
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  local-zone: "." static
${localData(records)}
`);
  const logFile = join(dir, 'unbound.log');
  const { openSync } = await import('node:fs');
  const out = openSync(logFile, 'w');
  const child = spawn('/usr/sbin/unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', out, out] });
  await waitForPort(port, child, 'unbound', logFile);
  return {
    log: () => readFileSync(logFile, 'utf8'),
    stop: async () => {
      // A signalled child has a null exitCode: check both, or a second stop waits forever.
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

/** Debian's unbound serving RFC 8484 over TLS + HTTP/2 with the given local-data records. */
export async function startResolver(records) {
  requireFile('/usr/bin/openssl', 'apt-get install -y openssl');
  const dir = mkdtempSync(join(tmpdir(), 'onebasket-doh-'));
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  const port = await freePort();
  const server = await spawnUnbound(dir, port, `  interface: 127.0.0.1@${port}
  https-port: ${port}
  http-endpoint: "/dns-query"
  tls-service-key: "${join(dir, 'key.pem')}"
  tls-service-pem: "${join(dir, 'cert.pem')}"
  log-queries: yes`, records);
  return {
    url: `https://127.0.0.1:${port}/dns-query`,
    port,
    log: server.log,
    stop: server.stop,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An HTTP server; every request is logged. */
async function httpServer(handler) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push({ host: req.headers.host, url: req.url, method: req.method, origin: req.headers.origin, at: Date.now() });
    handler(req, res);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: server.address().port,
    requests,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/**
 * The real fixture feeds under their official file names.
 *
 * `options.delayMs` (a number, or a function returning one per request; changeable later through
 * the returned `options`) holds each answer back, which widens the window in which a refresh is
 * under way. With `options.anyPrefix`, `/<anything>/<file>` serves `<file>` too, so one mirror
 * can stand for several `feedBase`s (`base + '/a'`, `base + '/b'`). `options.transform(name,
 * buffer)` (changeable later) may return other bytes for a file: the next publication of a feed.
 */
export async function startMirror(dir = fixtures, options = {}) {
  requireFile(join(dir, 'ip-ranges.json'), 'the shared/ folder beside the project holds the feed fixtures');
  const opts = { delayMs: 0, anyPrefix: false, transform: (_name, bytes) => bytes, ...options };
  const s = await httpServer((req, res) => {
    const path0 = decodeURIComponent(req.url.split('?')[0]);
    const name = opts.anyPrefix ? path0.slice(path0.lastIndexOf('/') + 1) : path0.slice(1);
    const path = join(dir, name);
    const answer = () => {
      if (!name || name.includes('/') || name.startsWith('.') || !existsSync(path)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(opts.transform(name, readFileSync(path)));
    };
    const delay = typeof opts.delayMs === 'function' ? opts.delayMs() : opts.delayMs;
    if (delay > 0) setTimeout(answer, delay);
    else answer();
  });
  return { ...s, options: opts, base: `http://127.0.0.1:${s.port}` };
}

/** The test sites: every *.test name maps here (--host-resolver-rules); `down` hosts get 503. */
export async function startSites() {
  const down = new Set();
  const s = await httpServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0];
    if (down.has(host)) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(`<!doctype html><title>${host}</title><h1>${host}</h1>`);
  });
  return { ...s, down, url: (host) => `http://${host}:${s.port}/` };
}

/** Accepts TCP connections and never answers: a resolver that hangs. */
export async function startBlackhole() {
  const sockets = new Set();
  const server = net.createServer((sock) => { sockets.add(sock); sock.on('error', () => {}); });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `https://127.0.0.1:${server.address().port}/dns-query`,
    stop: () => new Promise((ok) => { for (const s of sockets) s.destroy(); server.close(() => ok()); }),
  };
}

/** Debian's unbound as a plain DNS server (UDP) with the given records, for the DoH proxy. */
export async function startDnsServer(records) {
  const dir = mkdtempSync(join(tmpdir(), 'onebasket-dns-'));
  const port = await freePort();
  const server = await spawnUnbound(dir, port, `  interface: 127.0.0.1@${port}`, records);
  return {
    port,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * An RFC 8484 endpoint over plain HTTP/1.1 on loopback that relays each query to a DNS server
 * over UDP: browsers whose fetch cannot speak h2c, or trust a test certificate, reach unbound
 * through it.
 */
export async function startDohProxy(dnsPort, options = {}) {
  // `options.delayMs` (a number or a function returning one) holds each answer back, so
  // look-ups stay in flight long enough to be interrupted.
  const opts = { delayMs: 0, ...options };
  const dgram = await import('node:dgram');
  const relay = (query) => new Promise((ok, fail) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); fail(new Error('DNS timeout')); }, 3000);
    sock.on('message', (msg) => { clearTimeout(timer); sock.close(); ok(msg); });
    sock.on('error', (e) => { clearTimeout(timer); sock.close(); fail(e); });
    sock.send(query, dnsPort, '127.0.0.1');
  });
  const s = await httpServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://x');
      let query;
      if (req.method === 'GET') {
        query = Buffer.from(url.searchParams.get('dns') ?? '', 'base64url');
      } else {
        const chunks = [];
        for await (const c of req) chunks.push(c);
        query = Buffer.concat(chunks);
      }
      const answer = await relay(query);
      const delay = typeof opts.delayMs === 'function' ? opts.delayMs() : opts.delayMs;
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(answer);
    } catch (e) {
      res.writeHead(502).end(String(e));
    }
  });
  return { ...s, options: opts, url: `http://127.0.0.1:${s.port}/dns-query` };
}

/** A self-signed certificate with common name `cn` (the test browsers run with --ignore-certificate-errors). */
function selfSigned(dir, cn) {
  execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

/** A duplex stream over `sock` that first yields `first` (already read from it). */
function replay(sock, first) {
  const stream = new Duplex({
    read() {},
    write(chunk, _enc, done) { sock.write(chunk, done); },
    final(done) { sock.end(); done(); },
    destroy(err, done) { sock.destroy(); done(err); },
  });
  stream.push(first);
  sock.on('data', (chunk) => stream.push(chunk));
  sock.on('end', () => stream.push(null));
  sock.on('close', () => stream.destroy());
  return stream;
}

/**
 * The catch-all: `launch({ catchAll: port })` maps every name the tests do not serve here, so
 * whatever the browser would have sent to the internet arrives here instead, plain HTTP and TLS
 * on the one port. Every connection is logged (`connections`: TLS with its SNI name, even when
 * no request follows), and every request (`requests`: host, method, URL, Origin, TLS or not);
 * each gets a 404, unless `respond(request)` answers it (a test standing in for a real server).
 */
export async function startCatchAll({ respond = () => null } = {}) {
  requireFile('/usr/bin/openssl', 'apt-get install -y openssl');
  const dir = mkdtempSync(join(tmpdir(), 'onebasket-catchall-'));
  const requests = [];
  const connections = [];
  const handler = (tls) => (req, res) => {
    // Sec-Fetch-Dest tells a page load (`document`) or its resources from a fetch (`empty`).
    const r = {
      host: req.headers.host, method: req.method, url: req.url, origin: req.headers.origin,
      dest: req.headers['sec-fetch-dest'] ?? null, tls, at: Date.now(),
    };
    requests.push(r);
    // `respond(request)` may stand in for a real server: `{ status, type, body }`, or null.
    const answer = respond(r);
    if (answer) {
      res.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'text/plain' }).end(answer.body);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('caught');
  };
  const plain = createServer(handler(false));
  const secure = createHttpsServer(selfSigned(dir, 'catch-all'), handler(true));
  secure.on('secureConnection', (sock) => connections.push({ tls: true, sni: sock.servername ?? null, at: Date.now() }));
  secure.on('tlsClientError', () => {});
  const sockets = new Set();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    // The first byte tells TLS (a handshake record, 0x16) from plain HTTP; the connection is
    // handed to the matching server with that first chunk put back. TLS reads its socket's
    // handle directly, past anything unshifted, so it gets a stream that replays the chunk.
    sock.once('data', (buf) => {
      if (buf[0] === 0x16) {
        secure.emit('connection', replay(sock, buf));
      } else {
        sock.pause();
        sock.unshift(buf);
        connections.push({ tls: false, sni: null, at: Date.now() });
        plain.emit('connection', sock);
        sock.resume();
      }
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: server.address().port,
    requests,
    connections,
    stop: () => new Promise((ok) => {
      for (const s of sockets) s.destroy();
      server.close(() => { rmSync(dir, { recursive: true, force: true }); ok(); });
    }),
  };
}
