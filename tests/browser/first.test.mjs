// A stopped worker woken by a page's request answers it as a running worker does: a view of one
// tab (the popup opening) as soon as that tab's site is read, before the other sites are and
// over the table's records around its addresses (extension/src/startup.rs `FirstRead`), any
// other request once the worker has started.
// Each request wakes a stopped worker, then asks the running one again: the answers must be
// the same.
//
//   cargo xtask dist && cd tests/browser && node --test first.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMirror } from './lib/servers.mjs';
import { launch, newProfileDir, until, stopWorkers, extensionPage, message, setSettings, shutDown } from './lib/browser.mjs';
import { profile } from './lib/profile.mjs';

const logs = [];
let mirror, browser;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = (mark) => logs.slice(mark).find((l) => /started [\d.]+ ms after the worker began/.test(l));

/**
 * `request` sent to a stopped worker, then to the running one: both answers and the start-up
 * line of the start it woke.
 */
async function coldAndWarm(request) {
  const page = await extensionPage(browser);
  for (let tries = 0; ; tries++) {
    assert.ok(tries < 5, 'the worker keeps being started by something else');
    await stopWorkers(browser.ctx);
    const mark = logs.length;
    await sleep(500);
    // Started meanwhile by something else (an alarm): not woken by this request.
    if (started(mark)) continue;
    const cold = await page.evaluate((r) => chrome.runtime.sendMessage(r), request);
    const line = await until(() => started(mark), 'the start-up line', 10000);
    const warm = await page.evaluate((r) => chrome.runtime.sendMessage(r), request);
    return { cold, warm, line };
  }
}

before(async () => {
  mirror = await startMirror();
  browser = await launch(newProfileDir(), { logs });
  await setSettings(browser.ctx, {
    feedBase: mirror.base, resolver: 'https://127.0.0.1:9/dns-query', asnLookups: false, activeChecks: false, statusFeeds: false,
  });
  await until(async () => (await message(browser, { type: 'getOverview' })).overview?.feeds.records > 50000, 'the feed refresh', 90000);
  // Twenty sites of ten dependencies each, hosts shared between them, every one classified.
  const { records, hosts } = profile({ sites: 20, deps: 10, vendors: 30 });
  const page = await extensionPage(browser);
  await page.evaluate(async ([recs, evidence]) => {
    const add = { ...evidence };
    for (const r of recs) add[`site:${r.site}`] = r;
    await chrome.storage.local.set(add);
  }, [records, hosts]);
});

after(() => shutDown(browser, mirror));

for (const [what, request] of [
  ['the data of a recorded site\'s tab', { type: 'getTab', url: 'https://www.site3.test/page?q=1' }],
  ['the popup\'s panel, packed, for another host of a site', { type: 'getTabPanel', url: 'https://api.site7.test/x', packed: true }],
  ['the popup\'s panel in JSON', { type: 'getTabPanel', url: 'https://www.site12.test/' }],
  ['a site never visited', { type: 'getTab', url: 'https://never.test/' }],
  ['a page that is no website', { type: 'getTabPanel', url: 'chrome://newtab/', packed: true }],
]) {
  test(`woken for a tab's view, the worker answers it first, as when running: ${what}`, async () => {
    const { cold, warm, line } = await coldAndWarm(request);
    assert.notEqual(cold?.type, 'error', JSON.stringify(cold));
    assert.deepEqual(cold, warm);
    // Answered before the other sites were read (the phases the start-up line names), from
    // the table's records around the tab's addresses, before the whole table was loaded.
    assert.match(line, /table around the tab [\d.]+, first answer [\d.]+, table load [\d.]+, sites [\d.]+/, line);
  });
}

test('a recorded site\'s view names what it depends on (the comparisons above are not of empty views)', async () => {
  const { tab } = await message(browser, { type: 'getTab', url: 'https://www.site3.test/' });
  assert.equal(tab.summary?.site, 'site3.test');
  assert.ok(tab.summary.exposure.critical.length > 0, JSON.stringify(tab.summary.exposure));
  assert.ok(tab.profile, 'the main host\'s profile');
});

for (const [what, request, type] of [
  ['the dashboard\'s overview', { type: 'getOverview' }, 'overview'],
  ['a request the worker does not know', { type: 'noSuchRequest' }, 'error'],
]) {
  test(`woken for anything else, the worker answers once started, as when running: ${what}`, async () => {
    const { cold, warm, line } = await coldAndWarm(request);
    assert.equal(cold?.type, type, JSON.stringify(cold).slice(0, 300));
    assert.deepEqual(cold, warm);
    assert.doesNotMatch(line, /first answer/, line);
  });
}
