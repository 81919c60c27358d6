// The dependency map in a real Chromium: a site "on Cloudflare" (by its DoH answer) loads a login
// script from a third party "on AWS us-west-2" and an image from another "on Google Cloud". The
// worker records both hosts with their resource types, classifies them through the same resolver,
// marks the script critical and the image not, counts the site under AWS, and puts a failure of
// the script's host down to that host. Also the figures of issue 8: a page with 200 third-party
// hosts classified within 2 s of the DoH answers, and the worker's memory with 1,000 sites × 50
// dependencies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startResolver, startMirror } from './lib/servers.mjs';
import { launch, newProfileDir, until, settled, storage, setSettings, message, seedSites, shutDown, view, evidenceOf } from './lib/browser.mjs';

const HEAVY = 200;
// AWS us-west-2 EC2, Google Cloud africa-south1 and Cloudflare addresses from the fixture feeds.
const AWS_W2 = '43.226.27.10';
const GCP = '34.35.1.10';
const CF = '104.16.1.10';
const tpIp = (i) => [AWS_W2, GCP, CF][i % 3].replace(/\.10$/, `.${10 + (i % 200)}`);
const RECORDS = [
  `www.shop-cf.test. 60 IN A ${CF}`,
  `auth.idp-aws.test. 60 IN A ${AWS_W2}`,
  `img.pics-gcp.test. 60 IN A ${GCP}`,
  `www.heavy.test. 60 IN A ${CF}`,
  ...Array.from({ length: HEAVY }, (_, i) => `cdn.tp${i}.test. 60 IN A ${tpIp(i)}`),
];

let resolver, mirror, server, port, browser;
const logs = [];
const failing = new Set();
const served = [];

/** The test sites: the shop's page, the third parties' script and image, the heavy page. */
async function startPages() {
  const s = createServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0];
    served.push(`${host}${req.url}`);
    if (failing.has(host)) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      return;
    }
    if (host === 'www.shop-cf.test') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>shop</title>
<link rel="icon" href="data:,">
<script src="http://auth.idp-aws.test:${port}/login.js?user=alice"></script>
<img src="http://img.pics-gcp.test:${port}/pic.png?size=large" alt="">`);
    } else if (host === 'www.heavy.test') {
      const tags = Array.from({ length: HEAVY }, (_, i) => (i % 2
        ? `<img src="http://cdn.tp${i}.test:${port}/x.png" alt="">`
        : `<script src="http://cdn.tp${i}.test:${port}/x.js"></script>`)).join('\n');
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>heavy</title><link rel="icon" href="data:,">${tags}`);
    } else if (req.url.includes('.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end('window.loaded = (window.loaded || 0) + 1;');
    } else {
      // A 1×1 transparent GIF.
      res.writeHead(200, { 'content-type': 'image/gif' })
        .end(Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64'));
    }
  });
  await new Promise((ok) => s.listen(0, '127.0.0.1', ok));
  return s;
}

const getSite = async (site) => (await message(browser, { type: 'getSite', site })).site;
const overview = async () => (await message(browser, { type: 'getOverview' })).overview;

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  server = await startPages();
  port = server.address().port;
  browser = await launch(newProfileDir(), { logs });
  await setSettings(browser.ctx, {
    resolver: resolver.url, feedBase: mirror.base, asnLookups: false, recordIncognito: false, retentionDays: 30,
    resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
  });
  await until(async () => (await storage(browser.ctx, 'feedStatus')).feedStatus?.records > 50000, 'the feed refresh', 90000);
});

after(async () => {
  await shutDown(browser, resolver, mirror);
  await new Promise((ok) => { server?.closeAllConnections(); server ? server.close(ok) : ok(); });
});

test('a third-party script is a critical dependency on AWS, an image a non-critical one on Google Cloud', async () => {
  const page = await browser.ctx.newPage();
  await page.goto(`http://www.shop-cf.test:${port}/`);
  assert.equal(await page.evaluate(() => window.loaded), 1, 'the login script ran');
  const rec = await until(async () => {
    const r = await getSite('shop-cf.test');
    const d = r?.deps ?? {};
    if (!d['auth.idp-aws.test'] || !d['img.pics-gcp.test']) return null;
    for (const h of ['www.shop-cf.test', 'auth.idp-aws.test', 'img.pics-gcp.test']) {
      if (!(await evidenceOf(browser.ctx, h))?.resolution) return null;
    }
    return r;
  }, 'the shop, its script host and its image host looked up');
  const tab = await view(browser, 'www.shop-cf.test');
  assert.equal(tab.profile.edge.provider ?? tab.profile.hosting.provider, 'cloudflare');
  assert.deepEqual(Object.keys(rec.deps).sort(), ['auth.idp-aws.test', 'img.pics-gcp.test']);
  const script = rec.deps['auth.idp-aws.test'];
  assert.equal(script.site, 'idp-aws.test');
  assert.equal(script.thirdParty, true);
  assert.deepEqual(script.types, ['script']);
  assert.equal(script.critical, true);
  assert.equal(script.class, undefined, 'what a host runs on is derived, never stored');
  const image = rec.deps['img.pics-gcp.test'];
  assert.deepEqual(image.types, ['image']);
  assert.equal(image.critical, false);
  // What they run on, derived now from their evidence: the login host on AWS us-west-2, the
  // image host on Google Cloud.
  assert.ok(tab.summary.exposure.critical.some((e) => e.layer === 'region' && e.region === 'us-west-2'
    && e.via.some((v) => v.host === 'auth.idp-aws.test')), JSON.stringify(tab.summary.exposure));
  assert.ok(tab.summary.exposure.nonCritical.some((e) => e.layer === 'cloud' && e.provider === 'gcp'
    && e.via.some((v) => v.host === 'img.pics-gcp.test')), JSON.stringify(tab.summary.exposure));
  // Hostnames only: no path or query of what the page loaded is kept anywhere.
  const stored = JSON.stringify(await storage(browser.ctx));
  for (const secret of ['login.js', 'user=alice', 'pic.png', 'size=large']) assert.ok(!stored.includes(secret), secret);

  // Exposure: AWS (and its region) through the third party, critically; Google Cloud apart.
  const summary = (await overview()).sites.find((s) => s.site === 'shop-cf.test');
  const crit = summary.exposure.critical.map((e) => `${e.layer}:${e.provider}${e.region ? ` ${e.region}` : ''}`);
  assert.ok(crit.includes('cloud:aws'), crit.join());
  assert.ok(crit.includes('region:aws us-west-2'), crit.join());
  assert.ok(!crit.includes('cloud:gcp'), crit.join());
  const aws = summary.exposure.critical.find((e) => e.layer === 'cloud' && e.provider === 'aws');
  assert.deepEqual(aws.via.map((v) => [v.host, v.thirdParty, v.role]), [['auth.idp-aws.test', true, 'login']]);
  assert.ok(summary.exposure.nonCritical.some((e) => e.layer === 'cloud' && e.provider === 'gcp'));

  // The popup says so, as text, for this tab (the shop's page is the last page opened).
  const partly = 'partly on AWS: login through auth.idp-aws.test (AWS us-west-2)';
  const popup = await browser.ctx.newPage();
  await popup.goto(`chrome-extension://${browser.id}/popup.html`);
  await popup.waitForSelector('#this-tab .deps .partly');
  assert.equal(await popup.textContent('#this-tab .deps .partly'), partly);
  assert.deepEqual(await popup.$$eval('#this-tab .deps-critical .deps-name', (els) => els.map((e) => e.textContent)), ['Amazon Web Services']);
  assert.match(await popup.textContent('#this-tab .deps-other'), /^GCPGoogle Cloud\w+ from img\.pics-gcp\.test$/);
  await popup.close();
  // What-if AWS lists the site, through that host.
  const dash = await browser.ctx.newPage();
  await dash.goto(`chrome-extension://${browser.id}/dashboard.html`);
  await dash.waitForSelector('#sites-table tbody tr');
  const cell = await dash.$eval('#sites-table tbody tr:has(th:text-is("shop-cf.test")) .deps-cell .partly', (e) => e.textContent);
  assert.equal(cell, partly);
  await dash.selectOption('#wi-target', 'p:aws');
  const pill = dash.locator('#what-if-result li.site-pill', { hasText: 'shop-cf.test' });
  await settled(() => pill.count(), 1, 'the what-if lists the shop');
  assert.match(await pill.locator('.through').textContent(), /through auth\.idp-aws\.test/);
  assert.match(await dash.textContent('#what-if-result .headline'), /through a third party/);
  await dash.close();
  await page.close();
});

test('the third party answering 503 makes the site degraded and is blamed for it', async () => {
  failing.add('auth.idp-aws.test');
  const page = await browser.ctx.newPage();
  await page.goto(`http://www.shop-cf.test:${port}/`);
  const summary = await until(async () => {
    const s = (await overview()).sites.find((x) => x.site === 'shop-cf.test');
    return s?.blame && s;
  }, 'the blame');
  assert.equal(summary.status, 'degraded');
  assert.equal(summary.blame.host, 'auth.idp-aws.test');
  assert.equal(summary.blame.role, 'login');
  assert.equal(summary.blame.error, 'HTTP 503');
  assert.equal(summary.blame.class.region, 'us-west-2');
  failing.delete('auth.idp-aws.test');
  await page.close();
});

test('a page with 200 third-party hosts is classified within 2 s of the DoH answers', async () => {
  const page = await browser.ctx.newPage();
  const start = Date.now();
  await page.goto(`http://www.heavy.test:${port}/`, { waitUntil: 'load' });
  const rec = await until(async () => {
    const r = await getSite('heavy.test');
    const hosts = Object.keys(r?.deps ?? {});
    if (hosts.length !== HEAVY) return null;
    const stored = await storage(browser.ctx, hosts.map((h) => `host:${h}`));
    return hosts.every((h) => stored[`host:${h}`]?.resolution) && r;
  }, `${HEAVY} dependencies looked up`, 60000);
  const wall = Date.now() - start;
  const { stats } = await message(browser, { type: 'getStats' });
  const afterAnswers = stats.lastProfileAt - stats.lastAnswerAt;
  console.log(`# ${HEAVY} third-party hosts: classified ${afterAnswers} ms after the last DoH answer; ${wall} ms from navigation`);
  assert.ok(afterAnswers <= 2000, `${afterAnswers} ms`);
  const critical = Object.values(rec.deps).filter((d) => d.critical).length;
  assert.equal(critical, HEAVY / 2, 'the scripts are critical, the images not');
  const { summary } = await view(browser, 'www.heavy.test');
  const providers = new Set([...summary.exposure.critical, ...summary.exposure.nonCritical]
    .filter((e) => e.layer === 'cloud').map((e) => e.provider));
  assert.deepEqual([...providers].sort(), ['aws', 'cloudflare', 'gcp']);
  await page.close();
});

test('1,000 sites × 50 dependencies: the worker memory stays bounded, a new table re-derives them all', async () => {
  const now = Date.now();
  const clouds = [['aws', 'us-east-1', '216.244.7'], ['gcp', 'europe-west1', '8.34.208'], ['azure', 'eastus', '4.156.0'], ['cloudflare', null, '104.16.1']];
  // What a look-up leaves: the evidence of each host, from which the worker derives the rest.
  const evidence = (name, n) => ({
    name, site: name.split('.').slice(-2).join('.'), at: now, ttl: 60,
    addresses: [`${clouds[n % clouds.length][2]}.${10 + (n % 200)}`], cnameChain: [], nameservers: [],
    headers: [], resolution: { status: 'ok' }, resolvedBy: 'doh',
  });
  const hosts = {};
  const records = Array.from({ length: 1000 }, (_, i) => {
    const deps = {};
    for (let j = 0; j < 50; j++) {
      const host = `cdn${j}.vendor${(i * 7 + j) % 400}.test`;
      deps[host] = {
        site: `vendor${(i * 7 + j) % 400}.test`, thirdParty: true, requests: 3, types: j % 2 ? ['image'] : ['script'],
        critical: j % 2 === 0, lastSeen: now, lastIp: null, lastOk: now, lastFailure: null, lastError: null,
      };
      hosts[`host:${host}`] ??= evidence(host, i + j);
    }
    hosts[`host:www.site${i}.test`] = evidence(`www.site${i}.test`, i);
    return {
      site: `site${i}.test`, mainHost: `www.site${i}.test`, firstSeen: now - 86_400_000, lastSeen: now - i * 1000, visits: 1,
      hosts: {}, failures: [], status: 'up', deps,
    };
  });
  const page0 = await browser.ctx.newPage();
  await page0.goto(`chrome-extension://${browser.id}/popup.html`);
  await page0.evaluate((h) => chrome.storage.local.set(h), hosts);
  await page0.close();
  await seedSites(browser.ctx, browser.id, records);
  const { stats } = await until(async () => {
    const r = await message(browser, { type: 'getStats' });
    return r.stats?.sites === 1000 && r;
  }, 'the worker to load 1,000 sites');
  assert.equal(stats.deps, 50_000);
  const hostCount = Object.keys(hosts).length;
  assert.ok(stats.classes >= hostCount, `${stats.classes} classes for ${hostCount} hosts' evidence`);
  // Each page's request as the page sends it, from an extension page: the answer's size (JSON)
  // and its round trip through the message API (median of 5), beside the whole overview.
  const page = browser.ctx.pages().find((p) => p.url().startsWith(`chrome-extension://${browser.id}/`));
  const asked = await page.evaluate(async () => {
    const measure = async (msg) => {
      const times = [];
      let answer;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        answer = await chrome.runtime.sendMessage(msg);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      return { answer, ms: Math.round(times[2]), kb: Math.round(JSON.stringify(answer).length / 1024) };
    };
    const popup = await measure({ type: 'getPopup', query: { groupBy: 'cloud', filter: '', open: [] } });
    const biggest = popup.answer.popup.groups[0].key;
    const opened = await measure({ type: 'getPopup', query: { groupBy: 'cloud', filter: '', open: [biggest] } });
    // As the popup asks: the same view packed (postcard in base64), which its wasm decodes.
    const packed = await measure({ type: 'getPopup', query: { groupBy: 'cloud', filter: '', open: [biggest] }, packed: true });
    const dashboard = await measure({ type: 'getDashboard', query: { sort: 'lastSeen', descending: true, filter: '', limit: 250, whatIf: 'p:aws' } });
    // What the pages' own requests leave, before the whole overview (no page asks for it).
    const pagesMemory = (await chrome.runtime.sendMessage({ type: 'getStats' })).stats.wasmMemoryBytes;
    const overview = await measure({ type: 'getOverview' });
    const o = overview.answer.overview;
    return {
      sites: o.sites.length, exposed: o.sites.filter((s) => s.exposure.critical.length > 0).length,
      members: opened.answer.popup.groups[0].members.length, rows: dashboard.answer.dashboard.rows.length,
      hits: dashboard.answer.dashboard.whatIf.hits.length,
      packedType: packed.answer.type, pagesMemory,
      figures: Object.fromEntries(Object.entries({ popup, opened, 'opened packed': packed, dashboard, overview }).map(([k, v]) => [k, [v.kb, v.ms]])),
    };
  });
  assert.equal(asked.sites, 1000);
  assert.equal(asked.exposed, 1000);
  assert.equal(asked.members, 100, 'an opened group lists its first 100 sites');
  assert.equal(asked.rows, 250);
  assert.equal(asked.packedType, 'packed');
  const said = Object.entries(asked.figures).map(([k, [kb, ms]]) => `${k} ${kb} KB in ${ms} ms`).join('; ');
  const after = (await message(browser, { type: 'getStats' })).stats;
  const mib = after.wasmMemoryBytes / 1048576;
  const pagesMib = asked.pagesMemory / 1048576;
  console.log(`# 1,000 sites × 50 dependencies: worker wasm memory ${pagesMib.toFixed(1)} MiB after the pages' requests, ${mib.toFixed(1)} MiB after the whole overview too; ${said}`);
  assert.ok(mib <= 96, `${mib.toFixed(1)} MiB`);
  // Issue 17's target is 30 MiB (29.8–29.9 measured, BENCHMARKS.md); the bound leaves a MiB for
  // run-to-run variation, so a change that makes the worker hold more per site fails here.
  assert.ok(pagesMib <= 31, `${pagesMib.toFixed(1)} MiB after the pages' requests`);
  // What a page asks for stays small whatever the profile holds (budget: 300 KB).
  for (const k of ['popup', 'opened', 'opened packed', 'dashboard']) assert.ok(asked.figures[k][0] <= 300, `${k}: ${said}`);
  // A new table re-derives every host's verdict in the worker (wasm), without a query.
  const mark = logs.length;
  await message(browser, { type: 'refreshFeeds' }, 120000);
  const line = await until(() => logs.slice(mark).find((l) => /new table applied/.test(l)), 'the worker\'s re-derivation figure', 10000);
  const [, n, ms] = line.match(/(\d+) hosts re-derived in ([\d.]+) ms/);
  console.log(`# 1,000 sites × 50 dependencies: a new table re-derives ${n} hosts in ${ms} ms (worker wasm)`);
  assert.ok(Number(n) >= hostCount);
});
