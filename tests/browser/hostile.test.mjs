// A feed mirror that never stops sending: the user, whose ranges came from a good mirror, points
// `feedBase` at one whose ip-ranges.json is an endless body (JSON whitespace forever; the other
// files are the real fixtures). The worker reads no more than a feed may be (core's
// MAX_FEED_BYTES, 32 MiB), says why that feed failed, keeps the AWS ranges it had, and goes on
// answering. (It used to read the whole body, here the server's 1 GiB, before the parser refused
// it.) Every GET of the worker (feeds, status pages, DoH) goes through the same bounded read
// (`oneBasketGet` in extension/js/background.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMirror, fixtures } from './lib/servers.mjs';
import { launch, newProfileDir, until, storage, setSettings, message, shutDown } from './lib/browser.mjs';

const LIMIT = 32 << 20;
let good, hostile, browser;
/** What the endless answer sent before the worker hung up (`closed`), in bytes. */
const endless = { sent: 0, closed: false };

/** A mirror of the fixtures whose ip-ranges.json never ends (stopped at 1 GiB, far past the limit). */
async function startHostile() {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(req.url.split('?')[0]).slice(1);
    if (name === 'ip-ranges.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 16, 0x20);
      const pump = () => {
        while (!res.destroyed && endless.sent < 1 << 30) {
          endless.sent += chunk.length;
          if (!res.write(chunk)) return;
        }
        res.end();
      };
      res.on('drain', pump);
      res.on('close', () => { endless.closed = true; });
      pump();
      return;
    }
    const path = join(fixtures, name);
    if (!name || name.includes('/') || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(path));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

const SETTINGS = {
  resolver: 'https://127.0.0.1:9/dns-query', feedBase: null, asnLookups: false, recordIncognito: false, retentionDays: 30,
  resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
};

const feedStatus = async () => (await storage(browser.ctx, 'feedStatus')).feedStatus;

before(async () => {
  good = await startMirror();
  hostile = await startHostile();
  browser = await launch(newProfileDir());
  await setSettings(browser.ctx, { ...SETTINGS, feedBase: good.base });
  await until(async () => (await feedStatus())?.records > 50000, 'the ranges from the good mirror', 90000);
});

after(() => shutDown(browser, good, hostile));

test('an endless feed is read no further than the limit; its last good ranges stay', async () => {
  const before = await feedStatus();
  const aws = before.feeds.find((f) => f.file === 'ip-ranges.json');
  assert.ok(aws?.records > 1000, JSON.stringify(before.feeds));
  await setSettings(browser.ctx, { ...SETTINGS, feedBase: hostile.base });
  const after = await until(async () => {
    const s = await feedStatus();
    return s.refreshedAt > before.refreshedAt && s;
  }, 'the refresh from the hostile mirror', 120000);
  const error = after.errors.find((e) => e.includes('ip-ranges.json'));
  assert.match(error ?? '', /longer than the 33554432 bytes allowed/, JSON.stringify(after.errors));
  assert.deepEqual(after.feeds.find((f) => f.file === 'ip-ranges.json'), aws, 'the AWS ranges kept');
  assert.ok(after.records > 50000);
  // The worker hung up: what the server got out before that is the limit and the sockets' buffers.
  await until(() => endless.closed, 'the endless answer abandoned', 10000);
  assert.ok(endless.sent > LIMIT && endless.sent < LIMIT + (32 << 20), `${endless.sent} bytes sent`);
  assert.notEqual((await message(browser, { type: 'getOverview' })).type, 'error');
});
