// When the browser starts the worker for active checks: one `checks` alarm set for the next
// round a visited site is due (core's `Tracker::next_checks_at`), none while there is nothing to
// check, none with checks off (the `status` alarm follows `next_status_poll_at` the same way). It
// used to be a periodic alarm that started the worker every minute, visited sites or not: 1,440
// starts a day for a browser left open, each reading every record (1.5 s of work at 1,000 sites).
//
// Seen from the alarms the browser holds (read from an extension page, so reading them wakes no
// worker): the schedule is what decides when the worker runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSites } from './lib/servers.mjs';
import { launch, newProfileDir, until, stopWorkers, extensionPage, message, setSettings, shutDown } from './lib/browser.mjs';

let sites, browser;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The alarms the browser holds for the extension, by name. */
async function alarms() {
  const page = await extensionPage(browser);
  const list = await page.evaluate(() => chrome.alarms.getAll());
  return Object.fromEntries(list.map((a) => [a.name, a]));
}

const SETTINGS = {
  resolver: 'https://127.0.0.1:9/dns-query', feedBase: null, asnLookups: false, recordIncognito: false, retentionDays: 30,
  resolveWithBrowser: false, activeChecks: true, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
};

before(async () => {
  sites = await startSites();
  browser = await launch(newProfileDir());
  await setSettings(browser.ctx, SETTINGS);
});

after(() => shutDown(browser, sites));

test('the worker is woken for checks when a visited site is due, not every minute, and not with checks off', async () => {
  // A fresh install, active checks on (the default): nothing visited, so nothing to wake for.
  // (The worker sets its alarms once it has listed them, a few seconds at most.)
  await until(async () => (await alarms()).feeds, 'the periodic alarms');
  await sleep(3000);
  assert.equal((await alarms()).checks, undefined, 'a checks alarm with no site visited');
  assert.equal((await alarms()).status, undefined, 'a status alarm with status pages off');

  // A visit: its first check is due one check interval (5 min) later, a one-shot alarm.
  const page = await browser.ctx.newPage();
  await page.goto(sites.url('www.one.test'));
  const checks = await until(async () => (await alarms()).checks, 'the checks alarm after a visit');
  assert.equal(checks.periodInMinutes, undefined, 'a periodic checks alarm');
  const minutes = (checks.scheduledTime - Date.now()) / 60000;
  assert.ok(minutes > 4 && minutes <= 5.1, `the first round in ${minutes} min`);
  await page.close();

  // The alarm fires (made due now, as if the 5 minutes had passed) and the round runs: the
  // spent one-shot alarm is set again, for the site's next check 5 minutes on.
  await (await extensionPage(browser)).evaluate(() => chrome.alarms.create('checks', { when: Date.now() + 50 }));
  const next = await until(async () => {
    const c = (await alarms()).checks;
    return c && c.scheduledTime > Date.now() + 3 * 60000 && c;
  }, 'the checks alarm set again after its round');
  assert.equal(next.periodInMinutes, undefined);

  // A profile an older version left with the once-a-minute alarm: the next start replaces it.
  await (await extensionPage(browser)).evaluate(() => chrome.alarms.create('checks', { delayInMinutes: 1, periodInMinutes: 1 }));
  await until(async () => (await alarms()).checks?.periodInMinutes === 1, 'the old alarm set');
  await stopWorkers(browser.ctx);
  assert.notEqual((await message(browser, { type: 'getOverview' })).type, 'error');
  const replaced = await until(async () => {
    const c = (await alarms()).checks;
    return c && c.periodInMinutes === undefined && c;
  }, 'the periodic alarm replaced');
  assert.ok(Math.abs(replaced.scheduledTime - next.scheduledTime) < 5000, 'the same round as before the stop');

  // Checks turned off: no alarm at all.
  await setSettings(browser.ctx, { ...SETTINGS, activeChecks: false });
  await until(async () => (await alarms()).checks === undefined, 'the alarm cleared with checks off');
});
