// The extension in Debian's firefox-esr, installed as a temporary add-on through geckodriver:
// the badge names the provider of a test site, state survives a restart of the background page,
// and "resolve with the browser" uses Firefox's own resolver while NS still goes over DoH.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { startDnsServer, startDohProxy, startMirror, startSites, root } from './lib/servers.mjs';
import { startFirefox } from './lib/webdriver.mjs';
import { until } from './lib/browser.mjs';

const UUID = '6f6e6562-6173-6b65-7400-000000000001';
const EXT = `moz-extension://${UUID}`;
const RECORDS = [
  'shop.aws-site.test. 60 IN A 216.244.7.10',
  'aws-site.test. 300 IN NS ns-1234.awsdns-12.org.',
  'www.gcp-site.test. 60 IN A 8.34.208.5',
  'gcp-site.test. 300 IN NS ns-cloud-a1.googledomains.com.',
];

let dns, doh, mirror, sites, ff, settings;

let extTab = null;
let siteTab = null;

/** Runs `body` in the extension's own page (where `browser.*` is available). */
async function inExtension(body, ...args) {
  const handles = await ff.handles();
  if (!extTab || !handles.includes(extTab)) extTab = await ff.openPrivileged(`${EXT}/popup.html`);
  await ff.switchTo(extTab);
  return ff.run(body, ...args);
}


/** Opens `url` in the site tab (the session's first tab). */
async function visit(url) {
  siteTab ??= (await ff.handles())[0];
  await ff.switchTo(siteTab);
  await ff.goto(url);
}

// Match patterns cannot carry a port, so the tab is found by comparing URLs.
const badgeOf = (url) => inExtension(`
  const tab = (await browser.tabs.query({})).find((t) => t.url === arguments[0]);
  if (!tab) return null;
  return { text: await browser.action.getBadgeText({ tabId: tab.id }), title: await browser.action.getTitle({ tabId: tab.id }) };`, url);

before(async () => {
  dns = await startDnsServer(RECORDS);
  doh = await startDohProxy(dns.port);
  mirror = await startMirror();
  sites = await startSites();
  ff = await startFirefox({
    prefs: {
      // Every host name resolves to the test sites' address (Chromium's --host-resolver-rules).
      'network.dns.forceResolve': '127.0.0.1',
      'network.trr.mode': 5,
      'extensions.webextensions.uuids': JSON.stringify({ 'onebasket@onebasket.dev': UUID }),
      'browser.shell.checkDefaultBrowser': false,
      'app.update.disabledForTesting': true,
      'datareporting.policy.dataSubmissionEnabled': false,
      'toolkit.telemetry.reportingpolicy.firstRun': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
    },
  });
  await ff.installAddon(resolve(root, 'dist/firefox'));
  settings = { resolver: doh.url, feedBase: mirror.base, asnLookups: false, recordIncognito: false, retentionDays: 30, resolveWithBrowser: false };
  await inExtension('await browser.storage.local.set({ settings: arguments[0] });', settings);
  await until(() => inExtension('return (await browser.storage.local.get("feedStatus")).feedStatus?.records > 50000;'), 'the feed refresh', 90000);
});

after(async () => {
  await ff?.quit();
  await sites?.stop();
  await mirror?.stop();
  await doh?.stop();
  await dns?.stop();
});

test('firefox: the badge names the provider of a test site', async () => {
  const url = sites.url('shop.aws-site.test');
  await visit(url);
  const badge = await until(async () => {
    const b = await badgeOf(url);
    return b?.text === 'AWS' ? b : null;
  }, 'the AWS badge');
  assert.ok(badge.title.includes('us-east-1'), badge.title);
  assert.ok(badge.title.includes('Route 53'), badge.title);
});

test('firefox: state survives a restart of the background page', async () => {
  await inExtension('setTimeout(() => browser.runtime.reload(), 50);');
  // The reload closes the extension's pages; open one again once the add-on is back.
  await new Promise((r) => setTimeout(r, 1000));
  await until(async () => {
    extTab = null;
    return inExtension('return typeof browser !== "undefined" && !!browser.storage;');
  }, 'the reloaded add-on');
  const stored = await inExtension('return await browser.storage.local.get(null);');
  assert.ok(stored['site:aws-site.test'], 'the site is kept');
  assert.ok(stored['host:shop.aws-site.test']?.resolution, 'its evidence is kept');
  assert.deepEqual(stored.settings, settings);
  // The table is kept as bytes in IndexedDB here too (base64 under `table` only if it failed).
  assert.equal(stored.table, undefined, 'no base64 copy of the table');
  const tableBytes = await inExtension(`return await new Promise((ok, fail) => {
    const open = indexedDB.open('onebasket');
    open.onerror = () => fail(open.error);
    open.onsuccess = () => {
      const get = open.result.transaction('bytes').objectStore('bytes').get('table');
      get.onsuccess = () => { ok(get.result?.byteLength ?? null); open.result.close(); };
      get.onerror = () => fail(get.error);
    };
  });`);
  assert.ok(tableBytes > 100000, `${tableBytes} bytes of table in IndexedDB`);
  const url = sites.url('shop.aws-site.test');
  await visit(url);
  await until(async () => (await badgeOf(url))?.text === 'AWS', 'the badge after the restart');
});

test('firefox: "resolve with the browser" uses dns.resolve and still asks NS over DoH', async () => {
  await inExtension('await browser.storage.local.set({ settings: arguments[0] });', { ...settings, resolveWithBrowser: true });
  await visit(sites.url('www.gcp-site.test'));
  await until(async () => inExtension('return !!(await browser.storage.local.get("host:www.gcp-site.test"))["host:www.gcp-site.test"];'),
    'the gcp-site look-up');
  // The profile as the popup gets it: derived by the worker from the stored evidence.
  const { profile } = (await inExtension('return await browser.runtime.sendMessage({ type: "getTab", url: "https://www.gcp-site.test/" });')).tab;
  assert.equal(profile.resolved_by, 'browser');
  // network.dns.forceResolve answers 127.0.0.1, which is never evidence of a provider ...
  assert.deepEqual(profile.addresses, ['127.0.0.1']);
  assert.equal(profile.hosting.provider, null);
  // ... while the DNS provider still came over DoH.
  assert.equal(profile.dns.provider, 'gcp');
});
