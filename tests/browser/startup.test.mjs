// Figures of issue 17 (a lighter, faster worker), measured in Debian Chromium with the fixture
// feeds loaded from a mirror on 127.0.0.1: how long a stopped worker takes to answer a page
// (median of 7), where that time goes inside the worker (the line it logs when it is ready),
// the floor under it (probe workers in the same browser that make only the start's reads, and
// compile the wasm: lib/floor), its wasm memory, and the rate of look-ups through its table.
// The figures are printed (and recorded in BENCHMARKS.md); only generous sanity bounds are
// asserted, never the targets.
//
//   cargo xtask dist && cd tests/browser && node --test startup.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMirror } from './lib/servers.mjs';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newProfileDir, until, stopWorkers, extensionPage, extensionDir, message, shutDown } from './lib/browser.mjs';
import { profile } from './lib/profile.mjs';

const RUNS = 7;
const logs = [];
let mirror, browser;
/** The probe extensions' directories: without and with the wasm compile. */
const probeDirs = [probeDir(false), probeDir(true)];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const MIB = 1048576;

/** Replaces every `site:` and `host:` record with `p`'s, written through an extension page. */
async function store(p) {
  const page = await extensionPage(browser);
  await page.evaluate(async ({ records, hosts }) => {
    const all = await chrome.storage.local.get(null);
    await chrome.storage.local.remove(Object.keys(all).filter((k) => k.startsWith('site:') || k.startsWith('host:')));
    const add = { ...hosts };
    for (const r of records) add[`site:${r.site}`] = r;
    await chrome.storage.local.set(add);
  }, p);
}

/**
 * The parts of a start-up line: "started 41.2 ms after the worker began: wasm 12.0, …; wasm
 * memory 3.1 MiB, grown by wasm 1.1, …" (the memory clause is printed as it is, not parsed).
 */
function parseStart(line) {
  const [, total, rest] = line.match(/started ([\d.]+) ms after the worker began: (.*?)(?:; wasm memory .*)?$/);
  const parts = { total: Number(total) };
  for (const p of rest.split(', ')) {
    const at = p.lastIndexOf(' ');
    parts[p.slice(0, at)] = Number(p.slice(at + 1));
  }
  return parts;
}

/**
 * Stops the worker `RUNS` times and times, in an extension page, `request` waking it until its
 * answer arrives; returns those times and the worker's start-up lines.
 */
async function wake(request) {
  const page = await extensionPage(browser);
  const times = [];
  const starts = [];
  let memory = '';
  const startedSince = (mark) => logs.slice(mark).find((l) => /started [\d.]+ ms after the worker began/.test(l));
  for (let i = 0, tries = 0; i < RUNS; ) {
    assert.ok(++tries <= 3 * RUNS, 'the worker keeps being started by something else');
    await stopWorkers(browser.ctx);
    const mark = logs.length;
    // Stopped and idle, as after Chrome's 30 s: nothing of the stop is left to overlap the start.
    await sleep(500);
    // An alarm may have started the worker meanwhile (its start-up line is then logged before
    // the request, which a warm worker answers): not a cold start, so stop it again rather
    // than time it. (The once-a-minute `checks` alarm did, one stop in about a hundred.)
    if (startedSince(mark)) continue;
    const { ms, type } = await page.evaluate(async (r) => {
      const t0 = performance.now();
      const answer = await chrome.runtime.sendMessage(r);
      return { ms: performance.now() - t0, type: answer?.type };
    }, request);
    assert.notEqual(type, 'error', `${request.type} answered an error`);
    times.push(ms);
    const line = await until(() => startedSince(mark), 'the start-up line', 10000);
    i++;
    starts.push(parseStart(line));
    memory = line.match(/wasm memory .*$/)?.[0] ?? memory;
  }
  return { times, starts, memory };
}

/**
 * A probe extension (lib/floor) in a directory of its own, with the dist's `reads.js` (the
 * start's reads) and, when it `compile`s, the worker's wasm.
 */
function probeDir(compile) {
  const dir = mkdtempSync(join(tmpdir(), 'onebasket-floor-'));
  cpSync(new URL('./lib/floor/', import.meta.url), dir, { recursive: true });
  cpSync(join(extensionDir, 'reads.js'), join(dir, 'reads.js'));
  if (compile) cpSync(join(extensionDir, 'onebasket_extension_bg.wasm'), join(dir, 'onebasket_extension_bg.wasm'));
  writeFileSync(join(dir, 'mode.js'), `export const compile = ${compile};\n`);
  return dir;
}

/** The id Chromium gives an unpacked extension: its directory's SHA-256, in letters a–p. */
function unpackedId(dir) {
  const hex = createHash('sha256').update(dir).digest('hex').slice(0, 32);
  return [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join('');
}

/**
 * Gives each probe a copy of what OneBasket stored (every record, and the table's bytes in
 * IndexedDB); returns a page of each probe, in `probeDirs`' order.
 */
async function seedProbes() {
  const dump = await (await extensionPage(browser)).evaluate(async () => {
    const all = await chrome.storage.local.get(null);
    const table = await new Promise((ok, fail) => {
      const open = indexedDB.open('onebasket');
      open.onerror = () => fail(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('bytes').objectStore('bytes').get('table');
        get.onsuccess = () => ok(Array.from(new Uint8Array(get.result)));
        get.onerror = () => fail(get.error);
      };
    });
    return { all, table };
  });
  const pages = [];
  for (const dir of probeDirs) {
    const id = unpackedId(dir);
    const page = await browser.ctx.newPage();
    await page.goto(`chrome-extension://${id}/page.html`);
    const put = await page.evaluate(async ({ all, table }) => {
      await chrome.storage.local.clear();
      await chrome.storage.local.set(all);
      return chrome.runtime.sendMessage({ type: 'putTable', bytes: table });
    }, dump);
    assert.equal(put, true, `the probe stored the table: ${put}`);
    pages.push(page);
  }
  return pages;
}

/** Stops the workers `RUNS` times and times a probe's page waking its worker until it answers. */
async function wakeProbe(page, wait) {
  const times = [];
  const ats = [];
  for (let i = 0; i < RUNS; i++) {
    await stopWorkers(browser.ctx);
    await sleep(500);
    const { ms, answer } = await page.evaluate(async (w) => {
      const t0 = performance.now();
      const answer = await chrome.runtime.sendMessage({ type: 'probe', wait: w });
      return { ms: performance.now() - t0, answer };
    }, wait);
    times.push(ms);
    ats.push(answer.at);
  }
  const at = (name) => median(ats.map((a) => a[name] ?? NaN)).toFixed(1);
  return { page: median(times), at };
}

/** One line per figure: the page's median, min and max, and the worker's median per phase. */
function report(what, { times, starts, memory }) {
  const ms = (x) => x.toFixed(1);
  console.log(`# start-up, ${what}: stopped worker → answer in the page: median ${ms(median(times))} ms (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))}; ${RUNS} stops)`);
  const phases = Object.keys(starts[0]).filter((k) => k !== 'total');
  const parts = phases.map((p) => `${p} ${ms(median(starts.map((s) => s[p] ?? 0)))}`);
  console.log(`#   in the worker: ready ${ms(median(starts.map((s) => s.total)))} ms after it began (medians: ${parts.join(', ')})`);
  // A tab's view is answered before the other sites are read (extension/src/startup.rs
  // `FirstRead`): when, counted from the phases up to that answer.
  const first = starts.filter((s) => 'first answer' in s).map((s) => {
    const names = Object.keys(s).filter((k) => k !== 'total');
    return names.slice(0, names.indexOf('first answer') + 1).reduce((sum, k) => sum + s[k], 0);
  });
  if (first.length) console.log(`#   answered first, before the other sites were read, in ${first.length} of ${starts.length} starts: median ${ms(median(first))} ms after the worker began`);
  console.log(`#   the last start's ${memory}`);
}

before(async () => {
  mirror = await startMirror();
  browser = await launch(newProfileDir(), { logs, extra: probeDirs });
  const page = await extensionPage(browser);
  await page.evaluate((s) => chrome.storage.local.set({ settings: s }), {
    resolver: 'https://127.0.0.1:9/dns-query', feedBase: mirror.base, asnLookups: false, recordIncognito: false, retentionDays: 30,
    resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
  });
  await until(async () => (await message(browser, { type: 'getOverview' })).overview?.feeds.records > 50000, 'the feed refresh', 90000)
    // What the mirror was asked and what the worker said, for a refresh that never lands.
    .catch((e) => { throw new Error(`${e.message}\nmirror: ${mirror.requests.map((r) => r.url).join(' ')}\n${logs.slice(-30).join('\n')}`); });
});

after(() => shutDown(browser, mirror));

test('a stopped worker answers a page: fixture feeds and 50 sites × 10 dependencies', async () => {
  await store(profile({ sites: 50, deps: 10 }));
  const overview = await wake({ type: 'getOverview' });
  const { overview: o } = await message(browser, { type: 'getOverview' });
  assert.equal(o.sites.length, 50);
  assert.ok(o.feeds.records > 50000);
  report('fixture feeds, 50 sites × 10 deps, getOverview', overview);
  const tab = await wake({ type: 'getTab', url: 'https://www.site1.test/' });
  report('fixture feeds, 50 sites × 10 deps, getTab', tab);
  // The floor: the same browser, records and table, and nothing of OneBasket's own work.
  const [reads, compiles] = await seedProbes();
  const none = await wakeProbe(reads, false);
  const read = await wakeProbe(reads, true);
  const both = await wakeProbe(compiles, true);
  console.log(`#   the floor (probe workers, lib/floor; medians of ${RUNS} stops): a worker that answers at once ${none.page.toFixed(1)} ms; after the start's reads ${read.page.toFixed(1)} ms (records at ${read.at('records')}, table at ${read.at('table')} ms after it began); after those reads and compiling the worker's wasm ${both.page.toFixed(1)} ms (records ${both.at('records')}, table ${both.at('table')}, wasm ${both.at('wasm')} ms)`);
  assert.ok(both.page < 5000, `${both.page} ms`);
  // A sanity bound only (the figure is the median printed above).
  assert.ok(median(overview.times) < 5000, `${median(overview.times)} ms`);
});

test('a stopped worker answers a page: fixture feeds and 1,000 sites × 50 dependencies', async () => {
  const p = profile({ sites: 1000, deps: 50 });
  await store(p);
  const tab = await wake({ type: 'getTab', url: 'https://www.site1.test/' });
  const { tab: t } = await message(browser, { type: 'getTab', url: 'https://www.site1.test/' });
  assert.equal(t.summary?.site, 'site1.test');
  report('fixture feeds, 1,000 sites × 50 deps, getTab', tab);
  const { stats } = await message(browser, { type: 'getStats' });
  assert.equal(stats.sites, 1000);
  assert.equal(stats.deps, 50000);
  const mib = stats.wasmMemoryBytes / MIB;
  console.log(`#   worker wasm memory after that start: ${mib.toFixed(1)} MiB (${Object.keys(p.hosts).length} hosts' evidence)`);
  // Issue 17's target (28.9 MiB measured, BENCHMARKS.md): a wasm heap never shrinks, so what a
  // start grows it to stays for the worker's life.
  assert.ok(mib <= 30, `${mib.toFixed(1)} MiB after a 1,000 × 50 start`);
  assert.ok(median(tab.times) < 10000, `${median(tab.times)} ms`);
});

test('look-ups through the worker\'s table, in the browser\'s wasm: 1M addresses inside the feeds\' IPv4 ranges', async () => {
  // Asked twice: the first answer also builds the index if the worker just woke.
  await message(browser, { type: 'measureLookups', count: 1000 });
  const rates = [];
  for (let i = 0; i < 5; i++) {
    const r = await message(browser, { type: 'measureLookups', count: 1000000 });
    assert.equal(r.type, 'lookups');
    assert.equal(r.count, 1000000);
    // Every address is inside a range of the table: each must match.
    assert.equal(r.matched, r.count);
    rates.push(r.count / r.ms / 1000);
  }
  const m = median(rates);
  console.log(`# wasm look-ups through the worker's table (1M IPv4 addresses inside the fixture feeds' ranges, 65,536 distinct): median ${m.toFixed(1)} M/s (min ${Math.min(...rates).toFixed(1)}, max ${Math.max(...rates).toFixed(1)}; 5 runs)`);
  assert.ok(m > 0.1, `${m} M/s`);
});
