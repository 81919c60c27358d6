// Worker chaos: the service worker is stopped (as Chrome does when it is idle, through the
// DevTools protocol) at random moments while pages of many sites load (look-ups in flight, the
// resolver slowed down) and while feed refreshes run (the mirror slowed down), at least 50 times.
// After every stop the worker is woken and nothing may be lost: every site stored before the
// stop is still stored and in the overview, no verdict or evidence regresses, the settings are the
// ones last written, and once the first table was built it is never empty or smaller. Some stops
// are aimed at the moment a new table is applied (right after the last feed file is served). At
// the end every recorded site's main host has its evidence (interrupted look-ups resumed), every
// site's provider (derived by the worker) is right, the badges are right, and the last feed source
// asked for is the one the table came from.
//
// The moments are drawn from a seeded generator: the seed is printed, and CHAOS_SEED=<seed>
// replays the same choices (the browser's own timing still varies).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startMirror, startSites, startDnsServer, startDohProxy, root } from './lib/servers.mjs';
import { launch, newProfileDir, until, badgeOf, stopWorkers, shutDown } from './lib/browser.mjs';

const KILLS = Number(process.env.CHAOS_KILLS ?? 60);
const SEED = Number(process.env.CHAOS_SEED ?? (Date.now() % 2 ** 31));

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const delays = rng(SEED ^ 0x5bd1e995);
const pick = (list) => list[Math.floor(random() * list.length)];

// Forty sites in three clouds (addresses from the fixture feeds' ranges).
const CLOUDS = [
  { provider: 'aws', badge: 'AWS', ip: (i) => `216.244.7.${10 + i}`, ns: 'ns-1234.awsdns-12.org.' },
  { provider: 'gcp', badge: 'GCP', ip: (i) => `8.34.208.${10 + i}`, ns: 'ns-cloud-a1.googledomains.com.' },
  { provider: 'azure', badge: 'AZ', ip: (i) => `4.156.0.${10 + i}`, ns: 'ns1-05.azure-dns.com.' },
];
const SITES = Array.from({ length: 40 }, (_, i) => ({ host: `www.c${i}-site.test`, site: `c${i}-site.test`, cloud: CLOUDS[i % 3], i }));
/** The feed file a refresh pass asks for last: the last `[[feed]]` of providers.toml. */
const LAST_FEED = [...readFileSync(join(root, 'core/data/providers.toml'), 'utf8').matchAll(/^file = "([^"]+)"$/gm)].pop()[1];
const RECORDS = SITES.flatMap((s) => [`${s.host}. 60 IN A ${s.cloud.ip(s.i)}`, `${s.site}. 300 IN NS ${s.cloud.ns}`]);

let dns, doh, mirror, sites, browser, ext, settings;
const logs = [];
const tabs = [];

/** The extension page the test reads storage and sends messages through (works while the worker is stopped). */
async function extPage() {
  if (!ext || ext.isClosed()) {
    ext = await browser.ctx.newPage();
    await ext.goto(`chrome-extension://${browser.id}/popup.html`);
  }
  return ext;
}

/** A message to the worker, which wakes it; fails after `ms` rather than hanging. */
async function ask(request, ms = 20000) {
  const page = await extPage();
  return page.evaluate(([r, t]) => Promise.race([
    chrome.runtime.sendMessage(r),
    new Promise((_, fail) => setTimeout(() => fail(new Error(`no answer to ${r.type} in ${t} ms`)), t)),
  ]), [request, ms]);
}

/** Fires a message without waiting for the answer (the worker may be stopped before it answers). */
async function fire(request) {
  const page = await extPage();
  await page.evaluate((r) => { chrome.runtime.sendMessage(r).catch(() => {}); }, request);
}

/** What is stored, reduced to what the invariants need. */
async function snapshot() {
  const page = await extPage();
  return page.evaluate(async () => {
    const all = await chrome.storage.local.get(null);
    // The table's snapshot is kept as bytes in IndexedDB (`onebasket` / `bytes` / `table`), as
    // base64 under `table` only where IndexedDB refused it.
    const tableBytes = await new Promise((ok, fail) => {
      const open = indexedDB.open('onebasket');
      open.onupgradeneeded = () => open.result.createObjectStore('bytes');
      open.onerror = () => fail(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const req = db.transaction('bytes', 'readonly').objectStore('bytes').get('table');
        req.onsuccess = () => { db.close(); ok(req.result instanceof ArrayBuffer ? req.result.byteLength : 0); };
        req.onerror = () => { db.close(); fail(req.error); };
      };
    });
    const sites = {};
    for (const [k, v] of Object.entries(all)) {
      if (!k.startsWith('site:')) continue;
      // What is stored is the evidence of the main host's look-up; the verdict is derived.
      const evidence = all[`host:${v?.mainHost}`];
      sites[k.slice(5)] = {
        status: v?.status ?? null,
        profiled: evidence?.resolution?.status === 'ok',
        visits: v?.visits ?? 0,
      };
    }
    return {
      sites,
      settings: all.settings,
      tableLen: tableBytes || (typeof all.table === 'string' ? all.table.length : 0),
      records: all.feedStatus?.records ?? 0,
      refreshedAt: all.feedStatus?.refreshedAt ?? 0,
      pending: all.pending,
      refreshing: all.refreshing,
    };
  });
}

async function writeSettings(s) {
  const page = await extPage();
  await page.evaluate((v) => chrome.storage.local.set({ settings: v }), s);
  settings = s;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  console.log(`# chaos seed ${SEED} (CHAOS_SEED=${SEED} replays it), ${KILLS} kills`);
  dns = await startDnsServer(RECORDS);
  // Every DoH answer is held back 30–250 ms: a look-up (A, AAAA, NS, then the AS) stays in flight
  // for about a second, so most stops interrupt one.
  doh = await startDohProxy(dns.port, { delayMs: () => 30 + Math.floor(delays() * 220) });
  mirror = await startMirror(undefined, { anyPrefix: true });
  sites = await startSites();
  browser = await launch(newProfileDir(), { logs });
  settings = {
    resolver: doh.url, feedBase: `${mirror.base}/a`, asnLookups: true, recordIncognito: false, retentionDays: 30,
    resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
  };
  await writeSettings(settings);
  await until(async () => (await snapshot()).records > 50000, 'the first feed refresh', 90000);
  for (let i = 0; i < 4; i++) tabs.push({ page: await browser.ctx.newPage(), loading: Promise.resolve(), site: null });
});

after(() => shutDown(browser, dns, doh, mirror, sites));

test(`${KILLS} worker stops during look-ups and feed refreshes lose nothing`, async () => {
  const baseline = (await snapshot()).records;
  // From now on a refresh takes a second or two: each feed file is held back 40–160 ms.
  mirror.options.delayMs = () => 40 + Math.floor(delays() * 120);
  const visited = new Set();
  const everRecorded = new Set();
  const recoveries = [];
  const events = [];
  let refreshes = 0;
  let baseChanges = 0;
  let lastBaseChangeAt = 0;
  let stops = 0;
  // How many stops hit work under way (as stored just before the stop): the test only bites if
  // most do.
  let midLookup = 0;
  let midRefresh = 0;
  let midTableChange = 0;

  const stop = async () => {
    await stopWorkers(browser.ctx);
    stops++;
  };

  for (let k = 0; stops < KILLS; k++) {
    // Every tenth step is a stop aimed at a table being applied, the others drawn: drawn alone
    // (8 % of 60) a seed gave fewer than the three the test needs about one run in seven.
    const roll = k % 10 === 9 ? 0.84 : random();
    let what;
    if (roll < 0.7) {
      // Load pages in one to three tabs (new sites most of the time): each look-up starts when
      // the page's response arrives.
      const hosts = [];
      for (const tab of tabs.slice(0, 1 + Math.floor(random() * 3))) {
        const fresh = SITES.filter((s) => !visited.has(s.site));
        const s = fresh.length && random() < 0.8 ? pick(fresh) : pick(SITES);
        visited.add(s.site);
        await Promise.race([tab.loading, sleep(5000)]);
        tab.site = s;
        tab.loading = tab.page.goto(sites.url(s.host)).catch(() => {});
        hosts.push(s.host);
      }
      what = `visit ${hosts.join(' ')}`;
    } else if (roll < 0.8) {
      await fire({ type: 'refreshFeeds' });
      refreshes++;
      what = 'refreshFeeds';
    } else if (roll < 0.88) {
      // A refresh, with the stop aimed at the new table being applied: right after the last
      // feed file of the pass was served, while the worker rebuilds the table and re-derives
      // every stored verdict.
      const t = Date.now();
      await fire({ type: 'refreshFeeds' });
      refreshes++;
      const served = await until(() => mirror.requests.some((r) => r.at >= t && r.url.endsWith(`/${LAST_FEED}`)), 'the last feed file', 30000)
        .then(() => true, () => false);
      if (served) midTableChange++;
      what = `refreshFeeds, stopped as the table is applied${served ? '' : ' (the last file was not asked)'}`;
    } else {
      // A new feed source: half the time written while the worker is stopped (the storage
      // event then wakes it), half the time while it runs.
      const base = settings.feedBase.endsWith('/a') ? `${mirror.base}/b` : `${mirror.base}/a`;
      const whileStopped = random() < 0.5;
      if (whileStopped) await stop();
      await writeSettings({ ...settings, feedBase: base });
      lastBaseChangeAt = Date.now();
      baseChanges++;
      what = `feedBase → …${base.slice(-2)}${whileStopped ? ' (written while stopped)' : ''}`;
    }
    const wait = what.startsWith('refreshFeeds, stopped') ? Math.floor(random() * 60) : Math.floor(random() * 700);
    await sleep(wait);
    const beforeStop = await snapshot();
    await stop();
    if ((beforeStop.pending ?? []).length > 0) midLookup++;
    if (beforeStop.refreshing === true) midRefresh++;
    const t0 = Date.now();
    const { overview } = await ask({ type: 'getOverview' });
    const recovered = Date.now() - t0;
    recoveries.push(recovered);
    const now = await snapshot();
    events.push(`stop ${stops}: ${what}, ${wait} ms later (${(beforeStop.pending ?? []).length} look-ups pending${beforeStop.refreshing ? ', refresh under way' : ''}); worker answered ${recovered} ms after the stop`);

    const context = `after stop ${stops} (${what}; seed ${SEED})`;
    const inOverview = new Set(overview.sites.map((s) => s.site));
    for (const [site, was] of Object.entries(beforeStop.sites)) {
      everRecorded.add(site);
      const is = now.sites[site];
      assert.ok(is, `${site} was stored before the stop and is gone ${context}`);
      assert.ok(inOverview.has(site), `${site} is missing from the overview ${context}`);
      if (was.status) assert.ok(is.status, `${site} lost its verdict ${context}`);
      if (was.status === 'up') assert.equal(is.status, 'up', `${site} verdict regressed ${context}`);
      if (was.profiled) assert.ok(is.profiled, `${site} lost its profile ${context}`);
      assert.ok(is.visits >= was.visits, `${site} visits went down ${context}`);
    }
    assert.deepEqual(now.settings, settings, `settings changed ${context}`);
    assert.deepEqual(overview.settings, settings, `the worker's settings differ ${context}`);
    assert.ok(now.tableLen > 0, `the table snapshot is gone ${context}`);
    assert.ok(overview.feeds.records >= baseline, `the table shrank to ${overview.feeds.records} of ${baseline} records ${context}`);
  }

  // Everything settles: every site ever recorded gets its profile (interrupted look-ups resume
  // on their own, nothing is visited again), nothing stays pending, and the table comes from
  // the feed source set last.
  // A visit whose event reached a worker stopped before it stored the site is recovered from
  // the tab still showing the page, shortly after the worker starts.
  const settled = await until(async () => {
    const s = await snapshot();
    const missing = Object.entries(s.sites).filter(([, r]) => !r.profiled).map(([k]) => k);
    const unrecorded = [...visited].filter((v) => !s.sites[v]);
    return missing.length === 0 && unrecorded.length === 0 && (s.pending ?? []).length === 0 && s.refreshing === false && s.refreshedAt > lastBaseChangeAt ? s : null;
  }, 'every visited site recorded and profiled, nothing pending, the last refresh done', 60000).catch(async (e) => {
    const s = await snapshot();
    const missing = Object.entries(s.sites).filter(([, r]) => !r.profiled).map(([k]) => k);
    console.log(events.join('\n'));
    console.log(logs.filter((l) => /OneBasket/.test(l)).slice(-40).join('\n'));
    throw new Error(`${e.message}\nunrecorded: ${[...visited].filter((v) => !s.sites[v]).join(', ')}; unprofiled: ${missing.join(', ')}; pending: ${JSON.stringify(s.pending)}; refreshing: ${s.refreshing}; refreshedAt ${s.refreshedAt} vs last feedBase change ${lastBaseChangeAt}`);
  });
  // The provider of every site, as the worker derives it now from the evidence and the table.
  const { overview: final } = await ask({ type: 'getOverview' });
  for (const s of SITES) {
    const row = final.sites.find((r) => r.site === s.site);
    if (settled.sites[s.site]) assert.equal(row?.class?.hosting, s.cloud.provider, s.site);
  }
  for (const site of everRecorded) assert.ok(settled.sites[site], `${site} kept to the end`);
  assert.equal(settled.records, baseline);
  const last = settings.feedBase.slice(mirror.base.length);
  assert.ok(mirror.requests.some((r) => r.at > lastBaseChangeAt && r.url.startsWith(`${last}/`)), `the last feed source (${last}) was fetched from`);
  // The badge of every open tab is its site's provider again (a navigation clears it; the
  // worker sets it again, also after a stop cut that off).
  for (const tab of tabs) {
    await Promise.race([tab.loading, sleep(5000)]);
    if (!tab.site) continue;
    await until(async () => (await badgeOf(browser.ctx, tab.page))?.text === tab.site.cloud.badge, `the ${tab.site.cloud.badge} badge of ${tab.site.host}`);
  }

  recoveries.sort((a, b) => a - b);
  console.log(events.join('\n'));
  console.log(`# chaos: ${stops} stops survived (seed ${SEED}): ${midLookup} with look-ups in flight, ${midRefresh} during a feed refresh, ${midTableChange} aimed at a new table being applied; ${refreshes} refreshes asked, ${baseChanges} feed-source changes, ${mirror.requests.length} feed downloads`);
  assert.ok(midTableChange >= 3, `only ${midTableChange} stops were aimed at a table being applied`);
  const fromTabs = logs.filter((l) => /recorded from an open tab/.test(l)).length;
  console.log(`# chaos: ${Object.keys(settled.sites).length} sites recorded and profiled of ${visited.size} visited (${fromTabs} recovered from an open tab after the stop cut their visit)`);
  console.log(`# chaos: stop → worker answering: median ${recoveries[recoveries.length >> 1]} ms, max ${recoveries[recoveries.length - 1]} ms`);
});

test('a feed source written while the worker is stopped and idle is fetched from when it wakes', async () => {
  mirror.options.delayMs = 0;
  await until(async () => (await snapshot()).refreshing === false, 'no refresh under way', 60000);
  await stopWorkers(browser.ctx);
  const base = `${mirror.base}/c`;
  const at = Date.now();
  // The options page writes the settings; the storage event wakes the worker, which must notice
  // that its table came from another source even though the settings it loads are already new.
  await writeSettings({ ...settings, feedBase: base });
  await until(async () => {
    const s = await snapshot();
    return s.refreshing === false && s.refreshedAt > at && mirror.requests.filter((r) => r.at > at && r.url.startsWith('/c/')).length >= 10;
  }, 'a refresh from the new feed source', 30000);
});

// Found by the test above (one run in several): a visit cut off by a stop, whose tab its user
// leaves as soon as the restarted worker answers. The worker listed the open tabs 50 ms after
// its start, by which time the tab showed the next page and the visit was gone for good; it now
// lists them before any page has its answer.
test('a visit a stop cut off is recovered from its tab though its user moves on as soon as the worker answers', async () => {
  const s = SITES[7];
  const tab = await browser.ctx.newPage();
  await tab.goto(sites.url(s.host));
  await until(async () => (await snapshot()).sites[s.site], `${s.site} recorded`);
  // What a stop before the site was stored leaves: the tab showing the page, no record.
  await stopWorkers(browser.ctx);
  const mark = logs.length;
  const page = await extPage();
  await page.evaluate((key) => chrome.storage.local.remove(key), `site:${s.site}`);
  // The worker starts (woken by that write, and by this message), and the user moves on.
  await ask({ type: 'getOverview' });
  await tab.goto('about:blank');
  await until(async () => (await snapshot()).sites[s.site], `${s.site} recorded again from its tab`, 5000);
  assert.ok(logs.slice(mark).some((l) => l.includes(`${s.site} recorded from an open tab`)), logs.slice(mark).join('\n'));
  await tab.close();
});
