// What the extension sends, and to whom, while the test sites are browsed: every request of its
// worker (Playwright reports a service worker's requests as the context's `request` events),
// every query the DoH resolver receives (unbound's `log-queries`), the mirror's and the sites'
// logs, and a catch-all to which every other hostname is mapped, so a request to anywhere else
// arrives somewhere that logs it instead of failing unseen. Checked:
// - the worker contacts only the configured resolver(s), the feed mirror, the status pages of
//   its providers (statusFeeds) and the origins of the visited sites (activeChecks);
// - no query names a private or loopback address (Team Cymru look-ups only for public
//   addresses, though the browser connects to 127.0.0.1), the resolver is asked only about the
//   visited sites, and a private name is never sent to a resolver that is not on this machine;
// - an incognito tab the extension can see is not recorded, nor looked up, by default, and is
//   once recordIncognito is on;
// - a negative control: a request the worker is made to send anywhere else is caught and
//   flagged, so the checks above can fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startResolver, startMirror, startSites, startCatchAll, startBlackhole, root } from './lib/servers.mjs';
import { launch, allowIncognito, newProfileDir, until, worker, stopWorkers, badgeOf, extensionPage, message, shutDown, pollStatusNow } from './lib/browser.mjs';

const NORMAL = ['www.aws-site.test', 'www.gcp-site.test', 'www.lan-site.test', 'www.mixed-site.test', 'www.loop-site.test'];
const RECORDS = [
  'www.aws-site.test. 60 IN A 216.244.7.10',
  'aws-site.test. 300 IN NS ns-1234.awsdns-12.org.',
  '10.7.244.216.origin.asn.cymru.com. 300 IN TXT "16509 | 216.244.0.0/20 | US | arin | 2010-01-01"',
  'AS16509.asn.cymru.com. 300 IN TXT "16509 | US | arin | 2000-05-04 | AMAZON-02, US"',
  'www.gcp-site.test. 60 IN A 8.34.208.5',
  'gcp-site.test. 300 IN NS ns-cloud-a1.googledomains.com.',
  // Private and loopback addresses in DNS answers: never sent on to Team Cymru.
  'www.lan-site.test. 60 IN A 192.168.1.20',
  'www.mixed-site.test. 60 IN A 10.0.0.5',
  'www.mixed-site.test. 60 IN A 4.156.0.10',
  'www.loop-site.test. 60 IN A 127.0.0.1',
  'www.loop-site.test. 60 IN AAAA fd00::1',
  'www.incog-site.test. 60 IN A 8.34.208.7',
  'www.incog2-site.test. 60 IN A 8.34.208.8',
  'www.after-site.test. 60 IN A 8.34.208.9',
];
/** A name under a real public suffix, served by the catch-all: what a non-local resolver may see. */
const PUBLIC_HOST = 'www.onebasket-privacy-check.com';
const OFFSITE_RESOLVER = 'https://doh.offsite-resolver.example/dns-query';

let resolver, mirror, sites, catchAll, hole, browser, settings;
const logs = [];
const workerRequests = [];
/** Which resolver was configured when: `{ at, url }`, oldest first. */
const resolvers = [];

/** Status-page and feed URLs from the one data file, so the test and the product agree. */
const toml = readFileSync(join(root, 'core/data/providers.toml'), 'utf8');
const STATUS = Object.fromEntries(toml.split('[[provider]]').slice(1).flatMap((block) => {
  const id = block.match(/^id = "([^"]+)"$/m)?.[1];
  const m = block.match(/^status = \{ kind = "([^"]+)", url = "([^"]+)" \}$/m);
  return id && m ? [[id, { kind: m[1], url: m[2] }]] : [];
}));
const STATUS_URLS = Object.values(STATUS).map((s) => s.url);
/** The kinds of status page the worker reads (`StatusFormat::from_kind`); others are not polled. */
const POLLED_KINDS = ['statuspage', 'google-cloud', 'aws-health', 'rss'];

function isPrivate(ip) {
  if (ip.includes(':')) {
    const h = ip.toLowerCase();
    return h === '::1' || h === '::' || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || h.startsWith('::ffff:');
  }
  const [a, b] = ip.split('.').map(Number);
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254)
    || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19)) || a >= 224;
}

/** The address a reverse-style name (`4.3.2.1.origin.asn.cymru.com`, `…in-addr.arpa`) asks about. */
function reverseAddress(name) {
  let m = name.match(/^(.+)\.(?:origin\.asn\.cymru\.com|in-addr\.arpa)$/i);
  if (m) return m[1].split('.').reverse().join('.');
  m = name.match(/^(.+)\.(?:origin6\.asn\.cymru\.com|ip6\.arpa)$/i);
  if (m) {
    const nibbles = m[1].split('.').reverse().join('');
    return nibbles.match(/.{1,4}/g).join(':').replace(/(^|:)0{1,3}/g, '$1');
  }
  return null;
}

/** The question name of an RFC 8484 GET (`?dns=` base64url wire format). */
function dohName(url) {
  const param = new URL(url).searchParams.get('dns');
  if (!param) return null;
  const wire = Buffer.from(param, 'base64url');
  const labels = [];
  for (let i = 12; i < wire.length && wire[i] !== 0; i += wire[i] + 1) labels.push(wire.subarray(i + 1, i + 1 + wire[i]).toString('latin1'));
  return labels.join('.').toLowerCase();
}

/** Every name the test resolver was asked, from unbound's log. */
function resolverNames() {
  return [...resolver.log().matchAll(/info: \S+ (\S+?)\.? (\S+) IN$/gm)].map((m) => ({ name: m[1].toLowerCase(), type: m[2] }));
}

const origin = (url) => new URL(url).origin;
// Chromium's own services: the extension updater, the Google sign-in cookie check and (from
// Chromium 148) the GCM device check-in.
const BROWSER_OWN = [
  /^update\.googleapis\.com\/service\/update2\//, /^accounts\.google\.com\/ListAccounts\?/,
  /^android\.clients\.google\.com\/checkin$/,
];
const siteOf = (host) => host.replace(/^www\./, '');

/**
 * Every contact outside what the settings allow, as lines: from the worker's own requests (as
 * Playwright reports them) and from the catch-all (whatever the browser sent to any other name).
 */
function violations() {
  const resolverOrigins = new Set(resolvers.map((r) => origin(r.url)));
  const allowedOrigins = new Set([
    mirror.base,
    `https://${PUBLIC_HOST}`,
    // The visited sites, for the active checks; incog2 only once recordIncognito is on.
    ...NORMAL.concat('www.pending-site.test', 'www.incog2-site.test', 'www.after-site.test').map((h) => origin(sites.url(h))),
  ]);
  const out = [];
  for (const r of workerRequests) {
    // The worker's own files (its wasm), from the extension's origin.
    if (r.url.startsWith(`chrome-extension://${browser.id}/`)) continue;
    const o = origin(r.url);
    if (resolverOrigins.has(o)) {
      // Only the resolver configured at the time (or, for a moment after a change is written
      // and before the worker applies it, the one before).
      const i = resolvers.findLastIndex((c) => c.at <= r.at);
      const allowed = [resolvers[i], i > 0 && r.at - resolvers[i].at < 2000 ? resolvers[i - 1] : null].filter(Boolean).map((c) => origin(c.url));
      if (!allowed.includes(o)) out.push(`worker → ${r.url} (not the configured resolver)`);
      continue;
    }
    const ok = allowedOrigins.has(o) || STATUS_URLS.includes(r.url);
    if (!ok) out.push(`worker → ${r.url}`);
    // An active check asks for the origin's root, never the path or query the user visited.
    if (/^https?:\/\/www\./.test(o) && new URL(r.url).pathname !== '/') out.push(`worker → ${r.url} (a path)`);
  }
  const workerUrls = new Set(workerRequests.map((r) => r.url.replace(/^https?:\/\//, '')));
  for (const r of catchAll.requests) {
    const url = `https://${r.host}${r.url}`;
    const host = r.host.split(':')[0];
    if (STATUS_URLS.includes(url) || host === 'doh.offsite-resolver.example') continue;
    // The visited public site (its page, its favicon, the active check of its root), and the
    // page control.
    if (host === PUBLIC_HOST && (r.dest !== 'empty' || r.url === '/')) continue;
    if (host === 'page-control.example' && r.dest !== 'empty') continue;
    // Chromium's own services (BROWSER_OWN), which no flag turns off; set aside only when the
    // worker did not send them.
    if (BROWSER_OWN.some((re) => re.test(`${r.host}${r.url}`)) && !workerUrls.has(`${r.host}${r.url}`)) continue;
    out.push(`catch-all ← ${r.host}${r.url} (dest ${r.dest})`);
  }
  return out;
}

const extPage = () => extensionPage(browser);
const ask = (request) => message(browser, request);

async function stored(key) {
  const page = await extPage();
  return (await page.evaluate((k) => chrome.storage.local.get(k), key))[key];
}

async function writeSettings(s) {
  const page = await extPage();
  if (s.resolver !== settings.resolver) resolvers.push({ at: Date.now(), url: s.resolver });
  await page.evaluate((v) => chrome.storage.local.set({ settings: v }), s);
  settings = s;
  await until(async () => JSON.stringify((await ask({ type: 'getSettings' })).settings) === JSON.stringify(s), 'the settings applied');
}

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  sites = await startSites();
  catchAll = await startCatchAll();
  hole = await startBlackhole();
  settings = {
    resolver: resolver.url, feedBase: mirror.base, asnLookups: true, recordIncognito: false, retentionDays: 30,
    resolveWithBrowser: false, activeChecks: true, checkIntervalMinutes: 5, statusFeeds: true, notifyFailures: false,
  };
  // First launch: the settings are stored and the table fetched from the mirror, and the
  // extension is allowed in incognito (which needs a launch of its own). Everything after, in
  // the second launch on the same profile, is recorded.
  const dir = newProfileDir();
  await allowIncognito(dir, async (b) => {
    const sw = b.sw;
    await sw.evaluate((s) => chrome.storage.local.set({ settings: s }), settings);
    await until(async () => (await sw.evaluate(() => chrome.storage.local.get('feedStatus'))).feedStatus?.records > 50000, 'the feed refresh', 90000);
  });
  resolvers.push({ at: 0, url: settings.resolver });
  browser = await launch(dir, { logs, catchAll: catchAll.port });
  browser.ctx.on('request', (r) => {
    if (r.serviceWorker()) workerRequests.push({ url: r.url(), method: r.method(), at: Date.now() });
  });
  assert.equal(await browser.sw.evaluate(() => chrome.extension.isAllowedIncognitoAccess()), true);
});

after(() => shutDown(browser, resolver, mirror, sites, catchAll, hole));

test('browsing contacts only the resolver, the mirror, the status pages and the visited sites; no private address is asked about', async () => {
  const page = await browser.ctx.newPage();
  for (const host of NORMAL) {
    await page.goto(sites.url(host));
    await until(async () => (await stored(`host:${host}`))?.resolution, `the look-up of ${host}`);
  }
  // The catch-all really catches: a page's request to a name nobody serves arrives there.
  await page.goto('https://page-control.example/hello').catch(() => {});
  assert.ok(catchAll.requests.some((r) => r.host === 'page-control.example' && r.url === '/hello'), 'the catch-all saw the page control');
  await page.close();
  // An active check round (DoH + HEAD of each visited origin) and a status poll (the status
  // alarm brought forward; an unpacked extension's alarms may fire this soon).
  assert.deepEqual(await ask({ type: 'checkNow' }), { type: 'done' });
  assert.ok(sites.requests.some((r) => r.method === 'HEAD'), 'the checks ran');
  await pollStatusNow(browser.ctx);
  // The status pages of the providers the sites run on (as their profiles, derived by the
  // worker, say).
  const used = new Set();
  for (const host of NORMAL) {
    const p = (await ask({ type: 'getTab', url: `https://${host}/` })).tab.profile;
    for (const id of [p.cloud, p.hosting.provider, p.edge.provider, p.dns.provider]) if (id) used.add(id);
  }
  const wanted = [...used].map((id) => STATUS[id]).filter((st) => st && POLLED_KINDS.includes(st.kind)).map((st) => new URL(st.url).host);
  assert.ok(wanted.length >= 2, `status pages of ${[...used]}`);
  await until(() => wanted.every((h) => catchAll.requests.some((r) => r.host === h)), `the status pages of ${wanted.join(', ')}`, 15000)
    .catch((e) => { throw new Error(`${e.message}\ncatch-all: ${catchAll.requests.map((r) => r.host + r.url).join(' ')}\nworker: ${workerRequests.slice(-20).map((r) => r.url).join(' ')}\n${logs.slice(-20).join('\n')}`); });

  const names = resolverNames();
  assert.ok(names.length > 10, resolver.log().slice(0, 2000));
  // Team Cymru is asked about public addresses only.
  const cymru = names.map((n) => n.name).filter((n) => reverseAddress(n));
  assert.ok(cymru.includes('10.7.244.216.origin.asn.cymru.com'), `the AS of a public address is asked: ${cymru}`);
  assert.ok(cymru.includes('10.0.156.4.origin.asn.cymru.com'), `a site with a private and a public address: the public one: ${cymru}`);
  for (const n of cymru) assert.ok(!isPrivate(reverseAddress(n)), `${n} names a private address`);
  for (const n of ['1.0.0.127.origin.asn.cymru.com', '20.1.168.192.origin.asn.cymru.com', '5.0.0.10.origin.asn.cymru.com']) {
    assert.ok(!names.some((q) => q.name === n), `${n} was asked`);
  }
  // Nothing but the visited sites (their hosts, and their zones for NS) and AS names.
  const allowedNames = new Set(NORMAL.flatMap((h) => [h, siteOf(h)]).concat('page-control.example'));
  for (const { name } of names) {
    assert.ok(allowedNames.has(name) || reverseAddress(name) || /^as\d+\.asn\.cymru\.com$/.test(name), `the resolver was asked about ${name}`);
  }
  // The worker's DoH requests say the same.
  for (const r of workerRequests.filter((q) => q.url.startsWith(resolver.url))) {
    const name = dohName(r.url);
    assert.ok(!reverseAddress(name) || !isPrivate(reverseAddress(name)), `worker asked about ${name}`);
  }
  assert.ok(workerRequests.some((r) => r.url.startsWith(resolver.url)), 'the worker\'s requests are seen');
  // No stop happened here: every visit was recorded by its own event (with the address and
  // headers it carries), none recovered from an open tab.
  assert.ok(!logs.some((l) => /recorded from an open tab/.test(l)), logs.filter((l) => /open tab/.test(l)).join('\n'));
  assert.deepEqual(violations(), []);
  console.log(`# privacy: ${workerRequests.length} worker requests, ${names.length} DoH queries, ${catchAll.requests.length} requests at the catch-all (${catchAll.requests.filter((r) => BROWSER_OWN.some((re) => re.test(`${r.host}${r.url}`))).length} of them Chromium's own updater, sign-in and check-in requests)`);
});

test('a private name pending under a local resolver is never sent to one that is not', async () => {
  // The look-up of a .test name (no public suffix: looked up only through a loopback resolver)
  // hangs on a local resolver that never answers…
  const local = settings;
  await writeSettings({ ...settings, resolver: hole.url });
  const page = await browser.ctx.newPage();
  await page.goto(sites.url('www.pending-site.test'));
  await until(async () => (await stored('pending'))?.includes('www.pending-site.test'), 'the pending look-up');
  // …then the worker is stopped and the user picks a resolver elsewhere.
  await stopWorkers(browser.ctx);
  const mark = logs.length;
  await writeSettings({ ...settings, resolver: OFFSITE_RESOLVER });
  try {
  // A site under a public suffix is looked up there: the catch-all sees those queries…
  await page.goto(`https://${PUBLIC_HOST}/`).catch(() => {});
  await until(() => catchAll.requests.some((r) => r.host === 'doh.offsite-resolver.example' && dohName(`https://x${r.url}`) === PUBLIC_HOST), 'the look-up of a public name at the off-site resolver', 15000);
  // …but never the pending private name, which the restarted worker declined to resume there.
  const offsite = catchAll.requests.filter((r) => r.host === 'doh.offsite-resolver.example').map((r) => dohName(`https://x${r.url}`));
  assert.ok(!offsite.some((n) => n.endsWith('.test')), `private names sent off-site: ${offsite}`);
  assert.ok(logs.slice(mark).some((l) => /cannot look up www\.pending-site\.test: a private name/.test(l)), logs.slice(mark).join('\n'));
  } finally {
    await page.close();
    await writeSettings(local);
  }
  assert.deepEqual(violations(), []);
});

test('an incognito tab is not recorded by default, though the extension sees it; it is once recordIncognito is on', async () => {
  const sw = await worker(browser.ctx);
  const win = await sw.evaluate((u) => chrome.windows.create({ incognito: true, url: u }).then((w) => ({ id: w.id, incognito: w.incognito })), sites.url('www.incog-site.test'));
  assert.equal(win.incognito, true);
  await until(() => sites.requests.some((r) => r.host?.startsWith('www.incog-site.test')), 'the incognito page loaded');
  // The extension sees the tab (it is allowed in incognito)…
  await until(async () => {
    const tabs = await (await worker(browser.ctx)).evaluate(() => chrome.tabs.query({}).then((ts) => ts.map((t) => ({ url: t.url, incognito: t.incognito, status: t.status }))));
    return tabs.some((t) => t.incognito && t.status === 'complete' && t.url?.includes('www.incog-site.test'));
  }, 'the extension to see the incognito tab, loaded');
  // …and handles what follows it: a normal visit afterwards is recorded, so the incognito one
  // had its turn.
  const page = await browser.ctx.newPage();
  await page.goto(sites.url('www.after-site.test'));
  await until(async () => (await stored('host:www.after-site.test'))?.resolution, 'the visit after the incognito one');
  // A restart while the incognito tab is open records nothing either (open tabs are only
  // recovered when they are not incognito).
  await stopWorkers(browser.ctx);
  await ask({ type: 'getOverview' });
  await until(async () => (await stored('host:www.after-site.test'))?.resolution, 'the worker back');
  assert.equal(await stored('site:incog-site.test'), undefined, 'the incognito site is not recorded');
  assert.ok(!resolverNames().some((q) => q.name.includes('incog')), 'the incognito site is not looked up');
  assert.ok(!workerRequests.some((r) => (dohName(r.url) ?? '').includes('incog')), 'no worker request names it');
  const { overview } = await ask({ type: 'getOverview' });
  assert.ok(!overview.sites.some((s) => s.site.includes('incog')));

  // Opted in, the next incognito page is recorded: the test above was not passing blind.
  await writeSettings({ ...settings, recordIncognito: true });
  const sw2 = await worker(browser.ctx);
  await sw2.evaluate(async ([windowId, u]) => {
    const [tab] = await chrome.tabs.query({ windowId });
    await chrome.tabs.update(tab.id, { url: u });
  }, [win.id, sites.url('www.incog2-site.test')]);
  await until(async () => (await ask({ type: 'getTab', url: 'https://www.incog2-site.test/' })).tab.profile?.hosting?.provider === 'gcp', 'the opted-in incognito visit recorded')
    .catch(async (e) => { throw new Error(`${e.message}\n${JSON.stringify(await stored('site:incog2-site.test'))}\nsites: ${sites.requests.map((r) => r.host).join(' ')}\n${logs.slice(-15).join('\n')}`); });
  await (await worker(browser.ctx)).evaluate((id) => chrome.windows.remove(id), win.id);
  await page.close();
  await writeSettings({ ...settings, recordIncognito: false });
  assert.deepEqual(violations(), []);
});

test('negative control: a request the worker sends anywhere else is caught and flagged', async () => {
  const sw = await worker(browser.ctx);
  await sw.evaluate(() => fetch('https://tracker.example/collect?id=1').catch(() => {}));
  await until(() => catchAll.requests.some((r) => r.host === 'tracker.example'), 'the control request at the catch-all');
  assert.deepEqual(violations(), [
    'worker → https://tracker.example/collect?id=1',
    'catch-all ← tracker.example/collect?id=1 (dest empty)',
  ]);
  // Badges still work at the end (nothing above broke the extension).
  const page = await browser.ctx.newPage();
  await page.goto(sites.url('www.aws-site.test'));
  await until(async () => (await badgeOf(browser.ctx, page))?.text === 'AWS', 'the AWS badge');
});
