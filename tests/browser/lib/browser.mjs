import assert from 'node:assert/strict';
// Launches Debian's Chromium with the unpacked extension (playwright-core drives it; no browser
// is ever downloaded) and gives the tests handles on the worker.
import { chromium } from 'playwright-core';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { root, requireFile } from './servers.mjs';

export const extensionDir = resolve(root, 'dist/chrome');
export const CHROMIUM = '/usr/bin/chromium';

export function newProfileDir() {
  return mkdtempSync(join(tmpdir(), 'onebasket-profile-'));
}

/**
 * Launches Chromium with the extension. With `catchAll` (a port of `startCatchAll`), every name
 * other than the test sites and 127.0.0.1 goes to that server instead of failing, so a request
 * to any other host is seen and logged rather than merely refused. `ONEBASKET_CHROMIUM_ARGS`
 * (space-separated) adds flags, for figures under other V8 settings (`--js-flags=…`). `extra`
 * lists more unpacked extensions to load beside it (startup.test.mjs's probes).
 */
export async function launch(userDataDir, { logs = [], catchAll = null, extra = [] } = {}) {
  requireFile(CHROMIUM, 'apt-get install -y chromium (cargo xtask test installs it)');
  if (!existsSync(join(extensionDir, 'manifest.json'))) {
    throw new Error(`${extensionDir} is missing: run cargo xtask dist first`);
  }
  const extensions = [extensionDir, ...extra].join(',');
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: false,
    ignoreDefaultArgs: ['--disable-extensions'],
    args: [
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--disable-extensions-except=${extensions}`, `--load-extension=${extensions}`,
      // Test sites on 127.0.0.1; every other name fails at once, so nothing leaves the machine.
      `--host-resolver-rules=MAP *.test 127.0.0.1, EXCLUDE 127.0.0.1, MAP * ${catchAll ? `127.0.0.1:${catchAll}` : '~NOTFOUND'}`,
      // The test resolver's certificate is self-signed for 127.0.0.1.
      '--ignore-certificate-errors',
      ...(process.env.ONEBASKET_CHROMIUM_ARGS ?? '').split(' ').filter(Boolean),
    ],
  });
  const sw = ctx.serviceWorkers().find(ours) ?? (await ctx.waitForEvent('serviceworker', { predicate: ours, timeout: 30000 }));
  ctx.on('console', (m) => logs.push(m.text()));
  return { ctx, sw, id: new URL(sw.url()).host };
}

/**
 * Lets the unpacked extension run in incognito windows of the profile in `userDataDir` (as the
 * user would in chrome://extensions → Details → "Allow in Incognito"): Chromium reloads the
 * extension when this changes and disables a command-line extension it reloads, so the setting is
 * made in a launch of its own and takes effect in the next. `setup(browser)` runs first in that
 * launch (to store settings, say).
 */
export async function allowIncognito(userDataDir, setup = async () => {}) {
  const b = await launch(userDataDir);
  await setup(b);
  const page = await b.ctx.newPage();
  await page.goto('chrome://extensions');
  // The change makes the extension an unpacked one of the profile (no longer the command
  // line's), which Chromium 148 disables at the next launch ("unsupported developer extension")
  // unless developer mode is on, as it is for anyone who loads an unpacked extension.
  await page.evaluate(() => chrome.developerPrivate.updateProfileConfiguration({ inDeveloperMode: true }));
  const error = await page.evaluate((id) => new Promise((ok) => chrome.developerPrivate.updateExtensionConfiguration(
    { extensionId: id, incognitoAccess: true }, () => ok(chrome.runtime.lastError?.message ?? null))), b.id);
  if (error) throw new Error(`allowing incognito: ${error}`);
  await b.ctx.close();
}

/** Whether a service worker is OneBasket's (not a probe `launch` loaded beside it). */
const ours = (w) => w.url().endsWith('/background.js');

/** The current service worker (a stopped one is woken by the caller first). */
export async function worker(ctx) {
  const live = ctx.serviceWorkers().filter(ours);
  return live[live.length - 1] ?? (await ctx.waitForEvent('serviceworker', { predicate: ours, timeout: 30000 }));
}

/** Polls `f` until it returns a truthy value. */
export async function until(f, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await f();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What the user sees after an action, once the page has its answer: reads `read()` until it
 * deep-equals `want` (or `timeoutMs` passes), then asserts it, so a failure shows the diff.
 * A page asks the worker after each click (the view is computed there), so what it shows
 * changes a few milliseconds later, as a user sees it.
 */
export async function settled(read, want, what, timeoutMs = 5000) {
  const same = (a) => { try { assert.deepStrictEqual(a, want); return true; } catch { return false; } };
  let last;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    last = await read();
    if (same(last) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepStrictEqual(last, want, what);
  return last;
}

/** The badge of the tab showing `page`, read through the worker. */
export async function badgeOf(ctx, page) {
  const sw = await worker(ctx);
  const url = page.url();
  return sw.evaluate(async (u) => {
    const [tab] = await chrome.tabs.query({ url: u });
    if (!tab) return null;
    return {
      text: await chrome.action.getBadgeText({ tabId: tab.id }),
      color: await chrome.action.getBadgeBackgroundColor({ tabId: tab.id }),
      title: await chrome.action.getTitle({ tabId: tab.id }),
    };
  }, url);
}

export async function storage(ctx, keys = null) {
  const sw = await worker(ctx);
  return sw.evaluate((k) => chrome.storage.local.get(k), keys);
}

/** The evidence the worker stored for `host` (what its last look-up observed), if any. */
export async function evidenceOf(ctx, host) {
  return (await storage(ctx, `host:${host}`))[`host:${host}`];
}

export async function setSettings(ctx, settings) {
  const sw = await worker(ctx);
  await sw.evaluate((s) => chrome.storage.local.set({ settings: s }), settings);
}

/**
 * Makes the worker read the status pages now, as if the time had passed for which it set its
 * one-shot `status` alarm: waits until the worker has set that alarm — for a page due, a minute
 * on at most, unless `due` is false — then brings it forward, so the worker's own setting never
 * replaces the test's.
 */
export async function pollStatusNow(ctx, { due = true } = {}) {
  const set = async () => (await worker(ctx)).evaluate(async (soon) => {
    const alarm = await chrome.alarms.get('status');
    return alarm !== undefined && (!soon || alarm.scheduledTime - Date.now() <= 61000);
  }, due);
  await until(set, "the worker's status alarm");
  await (await worker(ctx)).evaluate(() => chrome.alarms.create('status', { when: Date.now() + 50 }));
}

/** Stops every service worker through the DevTools protocol (what Chrome does when idle). */
export async function stopWorkers(ctx) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
}

export function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 255];
}

/** An open page of the extension (the popup, opened on first use) to reach the worker and storage from. */
export async function extensionPage(browser) {
  let page = browser.ctx.pages().find((p) => !p.isClosed() && p.url().startsWith(`chrome-extension://${browser.id}/`));
  if (!page) {
    page = await browser.ctx.newPage();
    await page.goto(`chrome-extension://${browser.id}/popup.html`);
  }
  return page;
}

/**
 * Sends a protocol request to the worker from one of the extension's own pages (which wakes it),
 * failing after `timeoutMs` rather than hanging on a worker that never answers.
 */
export async function message(browser, request, timeoutMs = 20000) {
  const page = await extensionPage(browser);
  return page.evaluate(([r, ms]) => Promise.race([
    chrome.runtime.sendMessage(r),
    new Promise((_, fail) => setTimeout(() => fail(new Error(`no answer to ${r.type}`)), ms)),
  ]), [request, timeoutMs]);
}

/**
 * The worker's view of a tab showing `https://<host>/` (`getTab`): the site key, the site's row
 * and its main host's profile, derived now from the stored evidence, as the popup gets it.
 */
export async function view(browser, host) {
  const r = await message(browser, { type: 'getTab', url: `https://${host}/` });
  if (r.type !== 'tab') throw new Error(`getTab answered ${JSON.stringify(r)}`);
  return r.tab;
}

/**
 * Replaces every stored `site:` record with `records` (and writes the other keys in `extra`, as
 * a worker would have stored them: `providerStatus`…) and restarts the worker so it loads them
 * (the worker reads sites only when it starts). The write goes through an extension page, not
 * the worker, so it works whether the worker is running or stopped; the next message wakes it.
 */
export async function seedSites(ctx, id, records, extra = {}) {
  const page = await ctx.newPage();
  await page.goto(`chrome-extension://${id}/popup.html`);
  await page.evaluate(async ([recs, more]) => {
    const all = await chrome.storage.local.get(null);
    await chrome.storage.local.remove(Object.keys(all).filter((k) => k.startsWith('site:')));
    const add = { ...more };
    for (const r of recs) add[`site:${r.site}`] = r;
    await chrome.storage.local.set(add);
  }, [records, extra]);
  await stopWorkers(ctx);
  await page.close();
}

/**
 * Ends a test file: closes the browser, then stops each server given (and removes a resolver's
 * files); any of them may be missing, as when `before` failed halfway.
 */
export async function shutDown(browser, ...servers) {
  await browser?.ctx.close();
  for (const s of servers) {
    await s?.stop();
    s?.cleanup?.();
  }
}
