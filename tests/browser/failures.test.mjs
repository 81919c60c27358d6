// "Failing now" in a real Chromium: a site whose server stops is shown down (red badge, the
// provider label kept) and comes back up; failures of two sites in one region among healthy
// others are reported as a correlation; a stopped resolver makes sites unknown, not down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startResolver, startMirror, startSites } from './lib/servers.mjs';
import { launch, newProfileDir, until, badgeOf, storage, setSettings, message, rgb, shutDown, evidenceOf } from './lib/browser.mjs';

const REGION = ['www.r1-site.test', 'www.r2-site.test'];
// Thirteen healthy sites elsewhere: two failures of fifteen sites in one region are significant
// (p = 1/105 < 0.01); one failing site never is.
const HEALTHY = Array.from({ length: 13 }, (_, i) => `www.ok${i}-site.test`);
const RECORDS = [
  ...REGION.map((h, i) => `${h}. 60 IN A 216.244.7.${40 + i}`),
  ...HEALTHY.map((h, i) => `${h}. 60 IN A ${i % 2 ? '8.34.208.' : '4.156.0.'}${10 + i}`),
];

let resolver, mirror, sites, regionServer, regionPort, browser, settings;

/**
 * A server for the region's sites that can be stopped (connection refused) and restarted. Its page
 * names an inline icon so no favicon request can fail after the stop and add a passive failure
 * to the ones the test counts.
 */
async function startRegion(port = 0) {
  const server = createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<title>r</title><link rel="icon" href="data:,">ok'));
  await new Promise((ok) => server.listen(port, '127.0.0.1', ok));
  return server;
}

/** Stops the region's server now (keep-alive connections included). */
async function stopRegion() {
  const closed = new Promise((ok) => regionServer.close(ok));
  regionServer.closeAllConnections();
  await closed;
}

const regionUrl = (h) => `http://${h}:${regionPort}/`;
const site = (h) => h.replace(/^www\./, '');
const record = async (h) => (await storage(browser.ctx, `site:${site(h)}`))[`site:${site(h)}`];

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  sites = await startSites();
  regionServer = await startRegion();
  regionPort = regionServer.address().port;
  browser = await launch(newProfileDir());
  settings = {
    resolver: resolver.url, feedBase: mirror.base, asnLookups: false, recordIncognito: false, retentionDays: 30,
    // Scheduled rounds are off so that only this test's "check now" rounds run: the sequence of
    // verdicts is then exact.
    resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
  };
  await setSettings(browser.ctx, settings);
  await until(async () => (await storage(browser.ctx, 'feedStatus')).feedStatus?.records > 50000, 'the feed refresh', 90000);
  const page = await browser.ctx.newPage();
  for (const h of REGION) await page.goto(regionUrl(h));
  for (const h of HEALTHY) await page.goto(sites.url(h));
  await page.close();
  for (const h of [...REGION, ...HEALTHY]) await until(async () => (await evidenceOf(browser.ctx, h))?.resolution, `the look-up of ${h}`);
});

after(async () => {
  await shutDown(browser, resolver, mirror, sites);
  if (regionServer?.listening) await stopRegion();
});

test('all sites are up after a check round', async () => {
  assert.deepEqual(await message(browser, { type: 'checkNow' }), { type: 'done' });
  for (const h of [...REGION, ...HEALTHY]) assert.equal((await record(h)).status, 'up', h);
  const { overview } = await message(browser, { type: 'getOverview' });
  assert.deepEqual(overview.correlations, []);
  assert.equal(overview.offline, false);
});

test('a stopped server is shown down with a red badge, the region correlation is reported, and it comes back up', async () => {
  const tab = await browser.ctx.newPage();
  await tab.goto(regionUrl(REGION[0]));
  await until(async () => (await badgeOf(browser.ctx, tab))?.text === 'AWS', 'the AWS badge');
  await stopRegion();
  // Three failed checks in a row make a site down; before that, failures among its recent
  // successes make it degraded (amber).
  await message(browser, { type: 'checkNow' });
  await message(browser, { type: 'checkNow' });
  assert.equal((await record(REGION[0])).status, 'degraded');
  const amber = await badgeOf(browser.ctx, tab);
  assert.deepEqual(amber.color, rgb('#A15C00'));
  assert.ok(amber.title.startsWith('DEGRADED'), amber.title);
  await message(browser, { type: 'checkNow' });
  for (const h of REGION) assert.equal((await record(h)).status, 'down', h);
  for (const h of HEALTHY) assert.equal((await record(h)).status, 'up', h);
  const red = await badgeOf(browser.ctx, tab);
  assert.equal(red.text, 'AWS', 'the provider label is kept');
  assert.deepEqual(red.color, rgb('#B3261E'));
  assert.ok(red.title.startsWith('DOWN'), red.title);

  const { overview } = await message(browser, { type: 'getOverview' });
  const region = overview.correlations.find((c) => c.layer === 'region');
  assert.ok(region, JSON.stringify(overview.correlations));
  assert.equal(region.key, 'aws us-east-1');
  assert.equal(region.failingInGroup, 2);
  assert.match(region.message, /^2 of 2 failing sites are on Amazon Web Services us-east-1; 0 of 13 healthy sites are there/);
  assert.ok(region.pValue < 0.01);
  const statuses = Object.fromEntries(overview.sites.map((s) => [s.site, s.status]));
  for (const h of REGION) assert.equal(statuses[site(h)], 'down', h);

  regionServer = await startRegion(regionPort);
  await message(browser, { type: 'checkNow' });
  for (const h of REGION) assert.equal((await record(h)).status, 'up', h);
  await until(async () => (await badgeOf(browser.ctx, tab))?.color?.join() === rgb('#B35300').join(), 'the AWS colour again');
  await tab.close();
});

test('a stopped resolver makes failing sites unknown, not down', async () => {
  await resolver.stop();
  await stopRegion();
  for (let i = 0; i < 3; i++) await message(browser, { type: 'checkNow' });
  for (const h of REGION) assert.equal((await record(h)).status, 'unknown', h);
  // The healthy sites still answer HTTP: they stay up, and the user is not "offline".
  for (const h of HEALTHY) assert.equal((await record(h)).status, 'up', h);
  const { overview } = await message(browser, { type: 'getOverview' });
  assert.equal(overview.offline, false);
  assert.deepEqual(overview.correlations, []);
});

test('everything failing, the resolver included, is "offline", not an outage', async () => {
  await sites.stop();
  for (let i = 0; i < 3; i++) await message(browser, { type: 'checkNow' });
  const { overview } = await message(browser, { type: 'getOverview' });
  assert.equal(overview.offline, true);
  assert.ok(overview.sites.every((s) => s.status !== 'down'), JSON.stringify(overview.sites.map((s) => s.status)));
  sites = null;
});
