// One honest exposure, in a real Chromium, from real look-ups: four sites whose DNS is Route 53,
// one on AWS, one behind Cloudflare (origin unknown) loading a script from an AWS host, one on
// Google Cloud, one on Azure. When Route 53 fails all four break: the headline, the groups, the
// what-if and the site rows must all say so, and the Cloudflare site is never said to run on a
// cloud it may not use.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startResolver, startMirror } from './lib/servers.mjs';
import { launch, newProfileDir, until, settled, badgeOf, setSettings, shutDown } from './lib/browser.mjs';

const ROUTE_53 = 'ns-1.awsdns-01.org.';
const SITES = [
  ['www.one-aws.test', '216.244.7.10', 'AWS'],
  ['www.one-cf.test', '104.16.1.1', 'CF'],
  ['www.one-gcp.test', '8.34.208.5', 'GCP'],
  ['www.one-az.test', '4.156.0.10', 'AZ'],
];
const RECORDS = [
  ...SITES.flatMap(([host, ip]) => [`${host}. 60 IN A ${ip}`, `${host.slice(4)}. 300 IN NS ${ROUTE_53}`]),
  'js.vendor-aws.test. 60 IN A 216.244.7.11',
];

let resolver, mirror, server, port, browser;

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  // The sites' pages; the Cloudflare site's loads a script from the AWS vendor.
  server = createServer((req, res) => {
    const host = (req.headers.host ?? '').split(':')[0];
    if (host === 'js.vendor-aws.test') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end('window.vendor = 1;');
      return;
    }
    const script = host === 'www.one-cf.test' ? `<script src="http://js.vendor-aws.test:${port}/v.js"></script>` : '';
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>${host}</title><link rel="icon" href="data:,">${script}`);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  port = server.address().port;
  browser = await launch(newProfileDir());
  await setSettings(browser.ctx, { resolver: resolver.url, feedBase: mirror.base, asnLookups: false });
});

after(async () => {
  await shutDown(browser, resolver, mirror);
  await new Promise((ok) => { server?.closeAllConnections(); server ? server.close(ok) : ok(); });
});

async function extensionTab(name) {
  const page = await browser.ctx.newPage();
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`chrome-extension://${browser.id}/${name}.html`);
  return page;
}

test('four sites on Route 53: one figure in the headline, the groups, what-if and the rows', async () => {
  const tabs = [];
  for (const [host] of SITES) {
    const page = await browser.ctx.newPage();
    await page.goto(`http://${host}:${port}/`);
    tabs.push(page);
  }
  // What the user sees first: each badge names its provider once the ranges are in.
  for (const [i, [host, , badge]] of SITES.entries()) {
    await until(async () => (await badgeOf(browser.ctx, tabs[i]))?.text === badge, `${host}'s ${badge} badge`, 60000);
  }
  const cf = await badgeOf(browser.ctx, tabs[1]);
  assert.match(cf.title, /Cloudflare → origin unknown · DNS: Route 53/);

  // The popup, opened on the Cloudflare site's tab.
  await tabs[1].bringToFront();
  const popup = await extensionTab('popup');
  const headline = 'run on AWS or depend on it (DNS: 3)';
  await until(async () => (await popup.textContent('#headline'))?.includes(headline), 'the headline counting DNS', 20000)
    .catch(async (e) => { throw new Error(`${e.message}: ${await popup.textContent('#headline')}`); });
  assert.equal(await popup.textContent('#headline'),
    '100 % of the sites you visited this week run on AWS or depend on it (DNS: 3); 50 % in us-east-1');
  const groups = await popup.$$eval('.group-row', (rows) => rows.map((r) => [
    r.querySelector('.group-name').textContent, r.querySelector('.group-count').textContent,
    r.querySelector('.group-through')?.textContent ?? null]));
  assert.deepEqual(groups[0], ['Amazon Web Services', '4', '3 through DNS']);
  assert.ok(groups.some(([name, n]) => name === 'Cloudflare' && n === '1'), JSON.stringify(groups));
  // This tab: behind Cloudflare, where it runs is not known, and it says so.
  assert.match(await popup.textContent('#this-tab'), /origin unknown behind the CDN/);
  // DNS grouping: one group, Route 53's, with all four.
  await popup.click('button.seg:has-text("DNS")');
  await settled(() => popup.$$eval('.group-row', (rows) => rows.map((r) => [
    r.querySelector('.group-name').textContent, r.querySelector('.group-count').textContent])),
  [['Amazon Web Services', '4']], 'one DNS group');
  await popup.click('.group-row');
  const siteRows = () => popup.$$eval('#group-0 .site-row', (rs) => rs.map((r) => [
    r.querySelector('.site-name').textContent, r.querySelector('.site-dns')?.textContent ?? null,
    r.querySelector('.origin')?.textContent ?? null]));
  await settled(async () => (await siteRows()).length, 4, 'the group\'s four sites');
  const rows = await siteRows();
  assert.ok(rows.every(([, dns]) => dns === 'DNS on Route 53'), JSON.stringify(rows));
  assert.deepEqual(rows.find(([site]) => site === 'one-cf.test')[2], 'origin unknown behind Cloudflare');

  // The dashboard's what-if: Route 53 alone takes all four down, and AWS says how.
  const dash = await extensionTab('dashboard');
  await dash.waitForSelector('#wi-target');
  await dash.selectOption('#wi-target', 'd:aws');
  assert.equal(await dash.textContent('#what-if-result .headline'), '4 of 4 sites (100 %) would go down with Route 53.');
  assert.equal(await dash.locator('#what-if-result li.site-pill').count(), 4);
  await dash.selectOption('#wi-target', 'p:aws');
  assert.equal(await dash.textContent('#what-if-result .headline'),
    'If Amazon Web Services fails, 4 of your 4 sites break: 1 directly, 3 through DNS.');
  assert.match(await dash.textContent('#headline'), /run on AWS or depend on it \(DNS: 3\)/);
  for (const p of [...tabs, popup, dash]) await p.close();
});
