// Provider status pages end to end: the worker asks the status pages of the providers its sites
// run on (here Azure's RSS feed and the AWS Health events, served by the catch-all in place of
// azure.status.microsoft and health.aws.amazon.com), and the overview and the popup show the
// open incidents. Checked as well: the incidents and the poll times outlive a stopped worker
// (the browser stops an idle one within seconds) without the pages being asked again; a page
// that answers with something else keeps the last good status; a clear feed clears it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startResolver, startMirror, startSites, startCatchAll, root } from './lib/servers.mjs';
import { launch, newProfileDir, until, stopWorkers, extensionPage, message, shutDown, pollStatusNow } from './lib/browser.mjs';

const RECORDS = [
  // 20.42.65.1 is in Azure's eastus ServiceBus range, 216.244.7.10 in AWS's.
  'www.azure-site.test. 60 IN A 20.42.65.1',
  'www.aws-site.test. 60 IN A 216.244.7.10',
];

/** The status sources of the one data file, so the test asks what the product asks. */
const toml = readFileSync(join(root, 'core/data/providers.toml'), 'utf8');
const statusUrl = (id) => {
  const block = toml.split('[[provider]]').find((b) => new RegExp(`^id = "${id}"$`, 'm').test(b));
  return new URL(block.match(/^status = \{ kind = "[^"]+", url = "([^"]+)" \}$/m)[1]);
};
const AZURE = statusUrl('azure');
const AWS = statusUrl('aws');

const TITLE = 'Active - Azure Front Door & CDN \u2013 connectivity issues (Tracking ID QNBQ-5W8)';
const LINK = 'https://azure.status.microsoft/en-us/status/history/?trackingId=QNBQ-5W8';
const rss = (items) => `<?xml version="1.0" encoding="utf-8"?>
<rss xmlns:a10="http://www.w3.org/2005/Atom" version="2.0"><channel><title>Azure Status</title>
<link>https://azure.status.microsoft/en-us/status/</link><description>Azure Status</description>
<language>en-us</language>${items}</channel></rss>`;
const OPEN = rss(`<item><guid isPermaLink="false">QNBQ-5W8</guid><link>${LINK}</link>
<category>Azure Front Door</category><title>Active - Azure Front Door &amp; CDN &#8211; connectivity issues (Tracking ID QNBQ-5W8)</title>
<description><![CDATA[<p>Customers may see latency.</p>]]></description><pubDate>Wed, 29 Oct 2025 16:45:00 Z</pubDate></item>`);

/** What the stand-in status servers answer now. */
const pages = { azure: { type: 'application/rss+xml', body: OPEN }, aws: { type: 'application/json', body: '[]' } };
const asked = (url) => catchAll.requests.filter((r) => r.host === url.host && r.url === url.pathname).length;

let resolver, mirror, sites, catchAll, browser;
const logs = [];
const ask = async (request) => {
  const answer = await message(browser, request);
  assert.notEqual(answer?.type, 'error', JSON.stringify(answer));
  return answer;
};
const overview = async () => (await ask({ type: 'getOverview' })).overview;

/** The worker reads its status pages now (lib/browser.mjs). */
const pollNow = () => pollStatusNow(browser.ctx);

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  sites = await startSites();
  catchAll = await startCatchAll({
    respond: (r) => {
      if (r.host === AZURE.host && r.url === AZURE.pathname) return pages.azure;
      if (r.host === AWS.host && r.url === AWS.pathname) return pages.aws;
      return null;
    },
  });
  browser = await launch(newProfileDir(), { logs, catchAll: catchAll.port });
  const settings = {
    resolver: resolver.url, feedBase: mirror.base, asnLookups: false, recordIncognito: false, retentionDays: 30,
    resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: true, notifyFailures: false,
  };
  await browser.sw.evaluate((s) => chrome.storage.local.set({ settings: s }), settings);
  await until(async () => (await browser.sw.evaluate(() => chrome.storage.local.get('feedStatus'))).feedStatus?.records > 50000, 'the feed refresh', 90000);
});

after(() => shutDown(browser, resolver, mirror, sites, catchAll));

test('Azure incidents from its RSS feed reach the overview and the popup, and outlive a stopped worker', async () => {
  const page = await browser.ctx.newPage();
  for (const host of ['www.azure-site.test', 'www.aws-site.test']) {
    await page.goto(sites.url(host));
  }
  const hosting = async (host) => (await ask({ type: 'getTab', url: `https://${host}/` })).tab.profile?.hosting?.provider;
  await until(async () => (await hosting('www.azure-site.test')) === 'azure', 'the Azure site classified');
  await until(async () => (await hosting('www.aws-site.test')) === 'aws', 'the AWS site classified');
  await page.close();

  await pollNow();
  await until(async () => (await overview()).incidents.length === 1, 'the Azure incident in the overview', 20000)
    .catch((e) => { throw new Error(`${e.message}\ncatch-all: ${catchAll.requests.map((r) => r.host + r.url).join(' ')}\n${logs.slice(-10).join('\n')}`); });
  const [incident] = (await overview()).incidents;
  assert.deepEqual(incident, {
    provider: 'azure', title: TITLE, severity: 'incident', url: LINK,
    started: 'Wed, 29 Oct 2025 16:45:00 Z', affected: ['Azure Front Door'],
  });
  assert.equal(asked(AZURE), 1);
  assert.equal(asked(AWS), 1, 'the AWS page was asked too (no event open there)');

  // The popup lists it, as text, with its link.
  const popup = await extensionPage(browser);
  await popup.goto(`chrome-extension://${browser.id}/popup.html`);
  await popup.locator('#incidents').waitFor();
  assert.match(await popup.locator('#incidents').innerText(), /Azure Front Door & CDN – connectivity issues/);
  assert.equal(await popup.locator(`#incidents a[href="${LINK}"]`).count(), 1);

  // A stopped worker: the next one still shows the incident, and asks no page before its time.
  await stopWorkers(browser.ctx);
  assert.equal((await overview()).incidents[0]?.title, TITLE);
  await pollStatusNow(browser.ctx, { due: false });
  await new Promise((ok) => setTimeout(ok, 1500));
  assert.equal(asked(AZURE), 1, 'not asked again within the hour');
  const stored = (await popup.evaluate(() => chrome.storage.local.get('providerStatus'))).providerStatus;
  assert.deepEqual(Object.keys(stored.polled).sort(), ['aws', 'azure']);
});

test('a status page answering something else keeps the last good status; a clear feed clears it', async () => {
  const popup = await extensionPage(browser);
  // An hour and more later, as far as the worker knows.
  const backdate = async () => {
    await stopWorkers(browser.ctx);
    await popup.evaluate(async () => {
      const { providerStatus: s } = await chrome.storage.local.get('providerStatus');
      for (const p of Object.keys(s.polled)) s.polled[p] -= 61 * 60 * 1000;
      await chrome.storage.local.set({ providerStatus: s });
    });
  };
  await backdate();
  pages.azure = { type: 'text/html', body: '<html><body>Service Unavailable</body></html>' };
  const before = asked(AZURE);
  await pollNow();
  await until(() => asked(AZURE) === before + 1, 'the Azure page asked again');
  await until(() => logs.some((l) => /azure: rss status document: root element <html>, expected <rss>; nothing changed/.test(l)), 'the warning');
  assert.equal((await overview()).incidents[0]?.title, TITLE, 'the last good status stays');

  await backdate();
  pages.azure = { type: 'application/rss+xml', body: rss('') };
  await pollNow();
  await until(async () => (await overview()).incidents.length === 0, 'the incident cleared');
  assert.equal(asked(AZURE), before + 2);
});
