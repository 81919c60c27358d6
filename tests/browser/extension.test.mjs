// The extension in a real Chromium: badges per provider, state across a killed worker and a
// browser restart, and a resolver that is down. Every server runs on 127.0.0.1 and is started
// and stopped here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startResolver, startMirror, startSites, startBlackhole, freePort, root } from './lib/servers.mjs';
import { launch, newProfileDir, until, badgeOf, storage, setSettings, stopWorkers, rgb, extensionDir, shutDown, view } from './lib/browser.mjs';

// Test names placed in provider ranges taken from the fixture feeds.
const RECORDS = [
  'shop.aws-site.test. 60 IN A 216.244.7.10',
  'aws-site.test. 300 IN NS ns-1234.awsdns-12.org.',
  'www.gcp-site.test. 60 IN A 8.34.208.5',
  'gcp-site.test. 300 IN NS ns-cloud-a1.googledomains.com.',
  'www.cf-site.test. 60 IN CNAME www.cf-site.test.cdn.cloudflare.net.',
  'www.cf-site.test.cdn.cloudflare.net. 60 IN A 104.16.1.1',
  'cf-site.test. 300 IN NS dana.ns.cloudflare.com.',
  'www.azure-site.test. 60 IN A 4.156.0.10',
  'azure-site.test. 300 IN NS ns1-05.azure-dns.com.',
  'www.stuck-site.test. 60 IN A 216.244.7.20',
  'www.wake-site.test. 60 IN A 8.34.208.6',
  'www.offline-site.test. 60 IN A 216.244.7.30',
  '10.7.244.216.origin.asn.cymru.com. 300 IN TXT "16509 | 216.244.0.0/20 | US | arin | 2010-01-01"',
  'AS16509.asn.cymru.com. 300 IN TXT "16509 | US | arin | 2000-05-04 | AMAZON-02, US"',
];

/** Provider colours, read from the one data file so the test and the product agree. */
function colourOf(id) {
  const toml = readFileSync(join(root, 'core/data/providers.toml'), 'utf8');
  const block = toml.split('[[provider]]').find((b) => new RegExp(`^id = "${id}"$`, 'm').test(b));
  return block.match(/^color = "(#[0-9A-Fa-f]{6})"$/m)[1];
}

let resolver, mirror, sites, profileDir, browser;
const logs = [];
let settings;

async function open(host) {
  const page = await browser.ctx.newPage();
  await page.goto(sites.url(host));
  return page;
}

async function badgeSettles(page, text) {
  return until(async () => {
    const b = await badgeOf(browser.ctx, page);
    return b && b.text === text ? b : null;
  }, `badge ${text} on ${page.url()}`);
}

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  sites = await startSites();
  profileDir = newProfileDir();
  browser = await launch(profileDir, { logs });
  settings = { resolver: resolver.url, feedBase: mirror.base, asnLookups: true, recordIncognito: false, retentionDays: 30 };
  await setSettings(browser.ctx, settings);
  // The new mirror triggers a refresh from the fixture feeds.
  await until(async () => (await storage(browser.ctx, 'feedStatus')).feedStatus?.records > 50000, 'the feed refresh', 90000);
});

after(() => shutDown(browser, resolver, mirror, sites));

test('the feeds came from the mirror, dated', async () => {
  const { feedStatus } = await storage(browser.ctx, 'feedStatus');
  const aws = feedStatus.feeds.find((f) => f.file === 'ip-ranges.json');
  assert.equal(aws.date, '2026-08-22');
  assert.ok(feedStatus.feeds.length >= 10, JSON.stringify(feedStatus.errors));
  assert.ok(mirror.requests.some((r) => r.url === '/ServiceTags_Public.json'));
});

test('each tab gets its provider badge, colour and a one-line stack', async () => {
  const cases = [
    { host: 'shop.aws-site.test', text: 'AWS', id: 'aws', title: ['us-east-1', 'Route 53'] },
    { host: 'www.gcp-site.test', text: 'GCP', id: 'gcp', title: ['europe-west1', 'Cloud DNS'] },
    { host: 'www.cf-site.test', text: 'CF', id: 'cloudflare', title: ['Cloudflare'] },
    { host: 'www.azure-site.test', text: 'AZ', id: 'azure', title: ['eastus', 'Azure DNS'] },
  ];
  for (const c of cases) {
    const page = await open(c.host);
    const badge = await badgeSettles(page, c.text);
    assert.deepEqual(badge.color, rgb(colourOf(c.id)), `${c.host} colour`);
    for (const t of c.title) assert.ok(badge.title.includes(t), `${c.host} title "${badge.title}" lacks ${t}`);
    await page.close();
  }
  // What is stored is the evidence; the verdict is derived from it when asked.
  const { 'host:shop.aws-site.test': ev } = await storage(browser.ctx, 'host:shop.aws-site.test');
  assert.deepEqual(ev.addresses, ['216.244.7.10']);
  assert.equal(ev.origin.asns[0], 16509);
  const { 'site:aws-site.test': record } = await storage(browser.ctx, 'site:aws-site.test');
  assert.equal(record.profile, undefined, 'no verdict is stored');
  const aws = await view(browser, 'shop.aws-site.test');
  assert.equal(aws.profile.hosting.provider, 'aws');
  assert.equal(aws.profile.hosting.asn, 16509);
  assert.ok(aws.profile.evidence.some((e) => e.text.includes('216.244.7.10 is in 216.244.7.0/24')));
});

test('a worker stopped mid-look-up resumes it when it wakes', async () => {
  const hole = await startBlackhole();
  await setSettings(browser.ctx, { ...settings, resolver: hole.url });
  const stuck = await open('www.stuck-site.test');
  await until(async () => (await storage(browser.ctx, 'pending')).pending?.includes('www.stuck-site.test'), 'the pending look-up');
  assert.equal((await badgeOf(browser.ctx, stuck)).text, '?');
  // Point back at the real resolver, then kill the worker while its query hangs.
  await setSettings(browser.ctx, settings);
  await stopWorkers(browser.ctx);
  await hole.stop();
  // Any event wakes it: a visit to another site.
  const wake = await open('www.wake-site.test');
  await badgeSettles(wake, 'GCP');
  await badgeSettles(stuck, 'AWS');
  const s = await storage(browser.ctx, null);
  assert.equal((await view(browser, 'www.stuck-site.test')).profile.hosting.region, 'us-east-1');
  assert.ok(s['site:aws-site.test'], 'sites seen before the kill are still there');
  assert.deepEqual(s.settings, settings);
  await stuck.close();
  await wake.close();
});

test('a resolver that is down leaves the badge at ?, not an error', async () => {
  const closed = await freePort();
  await setSettings(browser.ctx, { ...settings, resolver: `https://127.0.0.1:${closed}/dns-query` });
  const page = await open('www.offline-site.test');
  await until(async () => (await storage(browser.ctx, 'host:www.offline-site.test'))['host:www.offline-site.test'], 'the failed look-up');
  const badge = await badgeOf(browser.ctx, page);
  assert.equal(badge.text, '?');
  assert.deepEqual(badge.color, rgb('#5F6368'));
  assert.ok(badge.title.includes('look-up failed'), badge.title);
  await setSettings(browser.ctx, settings);
  await page.close();
});

test('state survives relaunching the browser on the same profile', async () => {
  await browser.ctx.close();
  browser = await launch(profileDir, { logs });
  const s = await storage(browser.ctx, null);
  for (const host of ['shop.aws-site.test', 'www.gcp-site.test', 'www.cf-site.test', 'www.azure-site.test', 'www.stuck-site.test']) {
    const site = host.split('.').slice(-2).join('.');
    assert.ok(s[`site:${site}`], `${site} kept`);
    assert.ok(s[`host:${host}`]?.resolution, `${host}'s evidence kept`);
  }
  assert.ok(s['site:aws-site.test'].visits >= 1);
  assert.ok(s.feedStatus.records > 50000, 'the table is kept');
  assert.deepEqual(s.settings, settings);
  const page = await open('shop.aws-site.test');
  await badgeSettles(page, 'AWS');
});

test('figures: worker size (at most 360 KB gzip, issue 17) and answer-to-badge latency', () => {
  const wasm = readFileSync(join(extensionDir, 'onebasket_extension_bg.wasm'));
  const parsers = readFileSync(join(extensionDir, 'onebasket_parsers_bg.wasm'));
  const latencies = logs
    .map((l) => l.match(/badge for \S+ set (\d+) ms after the last DoH answer/))
    .filter(Boolean)
    .map((m) => Number(m[1]));
  assert.ok(latencies.length > 0, 'the worker logs its latency');
  latencies.sort((a, b) => a - b);
  const gz = gzipSync(wasm, { level: 9 }).length;
  console.log(`worker wasm: ${wasm.length} bytes raw, ${gz} bytes gzip`);
  // Every start compiles it, and it ships to every user: a change that grows it past the
  // issue's budget fails here rather than only moving a printed figure.
  assert.ok(gz <= 360_000, `worker wasm ${gz} bytes gzip, over 360,000`);
  console.log(`parsers wasm (compiled on a refresh or status poll): ${parsers.length} bytes raw, ${gzipSync(parsers, { level: 9 }).length} bytes gzip`);
  console.log(`last DoH answer → badge: median ${latencies[latencies.length >> 1]} ms, max ${latencies[latencies.length - 1]} ms over ${latencies.length} look-ups`);
});
