// The pages (popup, dashboard, options) in a real Chromium, against the real worker: state is
// seeded as `site:` records in chrome.storage.local and the worker is restarted to load it
// (seedSites), so every figure shown went through the message protocol.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { startSites, startMirror, root } from './lib/servers.mjs';
import { launch, newProfileDir, until, settled, storage, seedSites, extensionDir, shutDown, setSettings, message } from './lib/browser.mjs';

const shots = join(root, 'target/screenshots');
mkdirSync(shots, { recursive: true });

const EVIL = '<img src=x onerror=alert(1)>';
const now = Date.now();

/** A stored SiteRecord (the protocol's wire names; the profile's own fields are snake_case). */
function record(site, { cloud = null, hosting = cloud, region = null, edge = null, dns = null, status = 'up',
  visits = 1, lastSeen = now - 3600_000, evidence = [], asnHolder = null, mainHost = `www.${site}` } = {}) {
  const known = hosting || edge || dns || cloud;
  return {
    site, mainHost, firstSeen: lastSeen - 86_400_000, lastSeen, visits, hosts: {},
    profile: known ? {
      name: mainHost, site, addresses: ['3.5.140.2'], cname_chain: [],
      dns: { provider: dns, product: dns === 'aws' ? 'Route 53' : null, nameservers: dns ? ['ns-1.example.'] : [] },
      edge: { provider: edge, service: edge ? 'CDN' : null },
      hosting: { provider: hosting, region, service: hosting === 'aws' ? 'EC2' : null, prefix: '3.5.140.0/22',
        asn: hosting === 'aws' ? 16509 : null, asn_holder: asnHolder, platform: null },
      cloud, confidence: 'high', resolution: { status: 'ok' }, evidence,
    } : null,
    profiledAt: now, failures: [], status,
  };
}

/** A site's dependency (SiteRecord.deps value): its site, resource type and what it runs on. */
function dep(site, type, critical, [cloud, hosting, region], thirdParty = true) {
  return {
    site, thirdParty, requests: 3, types: [type], critical, lastSeen: now - 60_000, lastOk: now - 60_000,
    class: { cloud, hosting, region, edge: null, dns: null, resolved: true, at: now - 60_000 },
  };
}

/**
 * n sites: 71 % AWS (40 % of all in us-east-1, the rest eu-west-1), 14 % GCP, 8 % Azure, 7 %
 * unknown; a third on Cloudflare DNS, a third on Route 53; every 25th down, every 25th+1 degraded.
 */
function population(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const p = i % 100;
    const [cloud, region] = p < 40 ? ['aws', 'us-east-1'] : p < 71 ? ['aws', 'eu-west-1']
      : p < 85 ? ['gcp', 'europe-west1'] : p < 93 ? ['azure', 'eastus'] : [null, null];
    out.push(record(`site${String(i).padStart(4, '0')}.example`, {
      cloud, region,
      dns: ['cloudflare', 'aws', null][i % 3],
      edge: i % 10 === 0 ? 'cloudflare' : null,
      status: i % 25 === 0 ? 'down' : i % 25 === 1 ? 'degraded' : 'up',
      visits: (i * 7) % 50 + 1,
      lastSeen: now - (i % 48) * 3600_000,
    }));
  }
  return out;
}

let sites, mirror, browser;
const dialogs = [];
const errors = [];

async function openPage(name, { colorScheme = 'light', width = 400, height = 800 } = {}) {
  const page = await browser.ctx.newPage();
  await page.setViewportSize({ width, height });
  await page.emulateMedia({ colorScheme });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`chrome-extension://${browser.id}/${name}.html`);
  return page;
}

async function popup(opts) {
  const page = await openPage('popup', opts);
  await page.waitForSelector('#sites, .banner-error', { timeout: 30000 });
  return page;
}

/** The first-render figures of a popup: data arrival → render, and since navigation start. */
async function renderTimes(page) {
  await until(() => page.evaluate(() => performance.getEntriesByName('ob-first-render').length > 0), 'first render mark');
  return page.evaluate(() => {
    const data = performance.getEntriesByName('ob-data')[0].startTime;
    const rendered = performance.getEntriesByName('ob-first-render')[0].startTime;
    return { render: rendered - data, sinceStart: rendered };
  });
}

async function noHorizontalOverflow(page) {
  const m = await page.evaluate(() => ({
    doc: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    main: [document.querySelector('#main').scrollWidth, document.querySelector('#main').clientWidth],
  }));
  assert.ok(m.doc[0] <= m.doc[1], `document overflows horizontally: ${m.doc}`);
  assert.ok(m.main[0] <= m.main[1], `the scroll area overflows horizontally: ${m.main}`);
}

before(async () => {
  sites = await startSites();
  mirror = await startMirror();
  browser = await launch(newProfileDir());
  // The test sites' names are private (`.test`, `.example`): the worker records them, and finds
  // a tab's site among them, only with a resolver on this machine. Nothing answers there; the
  // seeded verdicts are fresh, so nothing is looked up anyway.
  await setSettings(browser.ctx, { resolver: 'https://127.0.0.1:1/dns-query' });
});

after(() => shutDown(browser, sites, mirror));

test('0 sites: an empty popup says so', async () => {
  await seedSites(browser.ctx, browser.id, []);
  const page = await popup();
  assert.match(await page.textContent('#sites'), /No sites yet/);
  assert.equal(await page.textContent('#this-tab'), 'This tabThis tab is not a website.');
  await page.screenshot({ path: join(shots, 'popup-empty-light.png') });
  await page.close();
});

test('1 site: this tab\'s stack with its evidence, all of it text', async () => {
  await seedSites(browser.ctx, browser.id, [record('example.test', {
    cloud: 'aws', region: 'us-east-1', dns: 'aws', edge: 'cloudflare', mainHost: 'shop.example.test',
    asnHolder: `AMAZON-02 ${EVIL}`,
    evidence: [
      { layer: 'hosting', text: `3.5.140.2 is in 3.5.140.0/22: AWS us-east-1 EC2 ${EVIL}` },
      { layer: 'dns', text: 'NS ns-1.example. is Route 53' },
    ],
  })]);
  const tab = await browser.ctx.newPage();
  await tab.goto(sites.url('shop.example.test'));
  const page = await popup();
  await page.waitForSelector('#this-tab .stack');
  const layers = await page.$$eval('#this-tab .layer', (ls) => ls.map((l) => l.querySelector('.layer-name').textContent));
  assert.deepEqual(layers, ['Amazon Web Services', 'Cloudflare', 'Amazon Web Services', 'Amazon Web Services']);
  assert.match(await page.textContent('#this-tab'), /us-east-1 · EC2 · AS16509 AMAZON-02 <img src=x onerror=alert\(1\)>/);
  await page.click('button[aria-controls="ev-hosting"]');
  assert.equal(await page.getAttribute('button[aria-controls="ev-hosting"]', 'aria-expanded'), 'true');
  assert.equal(await page.textContent('#ev-hosting li'), `3.5.140.2 is in 3.5.140.0/22: AWS us-east-1 EC2 ${EVIL}`);
  assert.equal(await page.locator('img').count(), 0, 'no element was made from site data');
  assert.equal(await page.textContent('#headline'), '100 % of the sites you visited this week run on AWS; 100 % in us-east-1');
  await page.screenshot({ path: join(shots, 'popup-one-site-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(shots, 'popup-one-site-dark.png') });
  assert.deepEqual(dialogs, [], 'nothing ran');
  await page.close();
  await tab.close();
});

test('dependencies: "partly on" in the list and the detail, depends-on groups, blame, what-if split', async () => {
  const evilHost = `${EVIL}.evil.test`;
  const shop = record('shop.test', { cloud: 'gcp', region: 'europe-west1' });
  shop.deps = {
    'api.shop.test': dep('shop.test', 'xmlhttprequest', true, ['aws', 'aws', 'us-east-1'], false),
    'auth.idp.test': dep('idp.test', 'script', true, ['aws', 'aws', 'us-west-2']),
    [evilHost]: dep('evil.test', 'script', true, ['aws', 'aws', 'us-west-2']),
    'p.pics.test': dep('pics.test', 'image', false, ['fastly', 'fastly', null]),
  };
  const blog = record('blog.test', { cloud: 'aws', region: 'us-east-1', status: 'down' });
  // The login failed a minute ago, after answering before: the worker blames it.
  blog.deps = { 'auth.idp.test': { ...dep('idp.test', 'script', true, ['aws', 'aws', 'us-west-2']),
    lastOk: now - 600_000, lastFailure: now - 60_000, lastError: 'net::ERR_CONNECTION_REFUSED' } };
  await seedSites(browser.ctx, browser.id, [shop, blog,
    record('news.test', { cloud: 'aws', region: 'us-west-2' }), record('plain.test', { cloud: 'gcp', region: 'europe-west1' })]);
  const shopPartly = `partly on AWS: api.shop.test (us-east-1); scripts through ${evilHost} (AWS us-west-2); login through auth.idp.test (AWS us-west-2)`;
  const blame = 'fails because login through auth.idp.test (AWS us-west-2) does not answer: net::ERR_CONNECTION_REFUSED';
  const tab = await browser.ctx.newPage();
  await tab.goto(sites.url('www.shop.test'));
  const page = await browser.ctx.newPage();
  await page.setViewportSize({ width: 400, height: 800 });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`chrome-extension://${browser.id}/popup.html`);
  await page.waitForSelector('#this-tab .deps');
  // This tab: the "partly on" line, the needed hosts by cloud, the others apart.
  assert.equal(await page.textContent('#this-tab .deps .partly'), shopPartly);
  assert.deepEqual(await page.$$eval('#this-tab .deps-critical .deps-name', (els) => els.map((e) => e.textContent)), ['Amazon Web Services']);
  assert.deepEqual(await page.$$eval('#this-tab .deps-critical .dep', (els) => els.map((e) => e.textContent)),
    [`api.shop.test (us-east-1); scripts through ${evilHost} (AWS us-west-2); login through auth.idp.test (AWS us-west-2)`]);
  assert.deepEqual(await page.$$eval('#this-tab .deps-other .deps-group', (els) => els.map((e) => e.textContent)), ['FSTLFastlyimages from p.pics.test']);
  // Concentration counts a site under every cloud it needs.
  assert.equal(await page.textContent('#headline'), '75 % of the sites you visited this week run on AWS or depend on it (other hosts: 1); 75 % in us-west-2');
  // The failing site says why; its status stays the row's last word.
  assert.equal(await page.textContent('#failing .site-row .blame'), blame);
  assert.ok((await page.textContent('#failing .site-row')).endsWith('down'));
  await page.click('button.seg:has-text("Region")');
  await settled(() => page.$eval('.group-row', (r) => [r.querySelector('.group-name').textContent, r.querySelector('.group-count').textContent, r.querySelector('.group-through')?.textContent]),
    ['AWS us-west-2', '3', '2 through a third party'], 'the first region group');
  await page.click('.group-row');
  await settled(async () => (await page.$$eval('#group-0 .site-row', (rs) => rs.map((r) => [r.querySelector('.site-name').textContent, r.querySelector('.partly')?.textContent ?? null]))).sort(),
    [['blog.test', 'also on AWS: login through auth.idp.test (AWS us-west-2)'], ['news.test', null], ['shop.test', shopPartly]], 'the opened group\'s sites');
  assert.equal(await page.locator('img').count(), 0, 'no element was made from a dependency\'s name');
  await noHorizontalOverflow(page);
  await page.screenshot({ path: join(shots, 'popup-deps-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.querySelector('#main').scrollTo(0, 0));
  await page.screenshot({ path: join(shots, 'popup-deps-dark.png') });
  await page.close();
  await tab.close();
  // The dashboard: the "Also depends on" column and the what-if split.
  const dash = await browser.ctx.newPage();
  await dash.setViewportSize({ width: 1280, height: 900 });
  dash.on('pageerror', (e) => errors.push(String(e)));
  await dash.goto(`chrome-extension://${browser.id}/dashboard.html`);
  await dash.waitForSelector('#sites-table tbody tr');
  const cells = await dash.$$eval('#sites-table tbody tr', (rs) => Object.fromEntries(rs.map((r) => [r.querySelector('th').textContent, [r.querySelector('.deps-cell .partly').textContent, r.querySelector('.deps-cell .also')?.textContent ?? null, r.querySelector('.blame')?.textContent ?? null]])));
  assert.deepEqual(cells['shop.test'], [shopPartly, 'Also loads images from p.pics.test (Fastly) — not needed for the site to work', null]);
  assert.deepEqual(cells['blog.test'], ['also on AWS: login through auth.idp.test (AWS us-west-2)', null, blame]);
  assert.deepEqual(cells['plain.test'], ['—', null, null]);
  await dash.selectOption('#wi-target', 'r:aws:us-west-2');
  assert.equal(await dash.textContent('#what-if-result .headline'), 'If AWS us-west-2 fails, 3 of your 4 sites break: 1 hosted there, 2 through a third party.');
  assert.deepEqual((await dash.$$eval('#what-if-result li', (ls) => ls.map((l) => l.textContent))).sort(),
    ['AWSblog.testthrough auth.idp.test', 'AWSnews.test', `GCPshop.testthrough ${evilHost}`]);
  await dash.selectOption('#wi-target', 'r:aws:us-east-1');
  assert.equal(await dash.textContent('#what-if-result .headline'), '2 of 4 sites (50 %) would go down with AWS us-east-1.');
  assert.equal(await dash.locator('img').count(), 0);
  await dash.screenshot({ path: join(shots, 'dashboard-deps-light.png') });
  await dash.close();
});

test('53 sites: failing first, correlation and incidents, literal hostnames, keyboard', async () => {
  const recs = population(48);
  recs.push(record(`${EVIL}.evil`, { cloud: 'aws', region: 'us-east-1', status: 'down' }));
  recs.push(record('=cmd|calc.example', { cloud: 'gcp', region: 'europe-west1' }));
  // Three sites, all down, are all of Azure eastus: a common cause the worker finds itself.
  for (const n of [1, 2, 3]) recs.push(record(`az${n}.example`, { cloud: 'azure', region: 'eastus', status: 'down' }));
  // AWS's status page, as the worker stored it when it last asked: its words are hostile text.
  const providerStatus = {
    polled: { aws: now },
    providers: { aws: { provider: 'aws', indicator: 'major', description: null, degradedComponents: [],
      incidents: [{ provider: 'aws', title: `Increased error rates ${EVIL}`, severity: 'major',
        url: 'javascript:alert(2)', started: '2026-11-22T10:00Z', affected: ['us-east-1'] }] } },
  };
  await seedSites(browser.ctx, browser.id, recs, { providerStatus });
  const page = await browser.ctx.newPage();
  await page.setViewportSize({ width: 400, height: 800 });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await page.goto(`chrome-extension://${browser.id}/popup.html`);
  await page.waitForSelector('#sites');
  const order = await page.$$eval('#main > *', (els) => els.map((e) => e.id).filter(Boolean));
  assert.deepEqual(order, ['correlation', 'incidents', 'this-tab', 'failing', 'sites']);
  assert.match(await page.textContent('#correlation'), /^Common cause\? 3 of 8 failing sites are on (Microsoft )?Azure/);
  assert.ok((await page.textContent('#incidents')).includes(`Increased error rates ${EVIL}`), 'the title as literal text');
  assert.equal(await page.locator('#incidents a').count(), 0, 'a javascript: URL is not a link');
  const failing = await page.$$eval('#failing .site-row', (rs) => rs.map((r) => r.textContent));
  assert.ok(failing.every((t) => t.endsWith('down') || t.endsWith('degraded')), 'down before degraded');
  assert.ok(failing.findLastIndex((t) => t.endsWith('down')) < failing.findIndex((t) => t.endsWith('degraded')));
  assert.ok(failing.some((t) => t.includes(EVIL)), 'the hostname is shown as literal text');
  assert.match(await page.textContent('#fail-h'), /Failing now \(8\)/);
  // Keyboard: Tab to the first group and open it with Enter.
  await page.focus('.group-row');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('.group-row', 'aria-expanded'), 'true');
  assert.ok((await page.textContent('#group-0')).includes(EVIL));
  assert.equal(await page.locator('img').count(), 0);
  // Filter.
  await page.fill('.search', 'google');
  await until(async () => (await page.$$('.group-row')).length === 1, 'the filter', 5000).catch(async (e) => {
    throw new Error(`${e.message}: ${await page.$$eval('.group-row', (rs) => rs.map((r) => r.textContent).join(' | '))}`);
  });
  assert.match(await page.textContent('.group-row'), /Google Cloud/);
  await page.fill('.search', '');
  await noHorizontalOverflow(page);
  await page.screenshot({ path: join(shots, 'popup-50-failing-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(shots, 'popup-50-failing-dark.png') });
  assert.deepEqual(dialogs, []);
  // The next tests' workers start without the seeded status page.
  await page.evaluate(() => chrome.storage.local.remove('providerStatus'));
  await page.close();
});

test('53 sites: the dashboard exports CSV (neutralized) and JSON', async () => {
  const page = await openPage('dashboard', { width: 1280, height: 900 });
  await page.waitForSelector('#sites-table tbody tr');
  assert.equal(await page.locator('#sites-table tbody tr').count(), 53);
  const [csv] = await Promise.all([page.waitForEvent('download'), page.click('text=Export CSV')]);
  assert.equal(csv.suggestedFilename(), 'onebasket-sites.csv');
  const text = readFileSync(await csv.path(), 'utf8');
  assert.ok(text.startsWith('site,main_host,cloud,hosting,region,edge,dns,status,last_seen,visits,failures,depends_on\r\n'));
  assert.ok(text.includes('"\'=cmd|calc.example","www.=cmd|calc.example","gcp"'), 'formula neutralized and quoted');
  assert.equal(text.trim().split('\r\n').length, 54);
  const [json] = await Promise.all([page.waitForEvent('download'), page.click('text=Export JSON')]);
  const rows = JSON.parse(readFileSync(await json.path(), 'utf8'));
  assert.equal(rows.length, 53);
  assert.ok(rows.some((r) => r.site === `${EVIL}.evil` && r.status === 'down'));
  assert.ok(rows.every((r) => Array.isArray(r.dependsOn)));
  await page.close();
});

test('1,000 sites: headline, groups, first render within 100 ms, no overflow', async () => {
  const recs = population(1000);
  await seedSites(browser.ctx, browser.id, recs);
  // A warm-up popup wakes the worker and loads the 1,000 records; the measured one is the next.
  await (await popup()).close();
  const figures = [];
  for (let run = 0; run < 3; run++) {
    const page = await popup();
    figures.push(await renderTimes(page));
    await page.close();
  }
  const page = await popup();
  // 710 run on AWS; 96 more (a third of the others) have their DNS on Route 53.
  assert.equal(await page.textContent('#headline'), '81 % of the sites you visited this week run on AWS or depend on it (DNS: 96); 40 % in us-east-1');
  assert.equal(await page.textContent('#sites-h'), 'Your sites (1000)');
  // A site counts under every cloud it needs: the 23 of unknown hosting on Route 53 are AWS's,
  // "Unknown" keeps the 47 that depend on no cloud anyone knows.
  const groups = async () => page.$$eval('.group-row', (rs) => rs.map((r) => [r.querySelector('.group-name').textContent, r.querySelector('.group-count').textContent]));
  assert.deepEqual((await groups()).slice(0, 4), [['Amazon Web Services', '806'], ['Google Cloud', '140'], ['Microsoft Azure', '80'], ['Unknown', '47']]);
  await page.click('button.seg:has-text("Region")');
  assert.equal(await page.getAttribute('button.seg:has-text("Region")', 'aria-pressed'), 'true');
  await settled(async () => (await groups())[0], ['AWS us-east-1', '400'], 'the first region group');
  await page.click('button.seg:has-text("DNS")');
  await settled(async () => (await groups()).map((g) => g[0]), ['Cloudflare', 'Amazon Web Services', 'Unknown'], 'the DNS groups');
  await page.click('button.seg:has-text("Cloud")');
  await settled(() => page.getAttribute('svg.chart', 'aria-label'),
    'Concentration: Amazon Web Services 81 %, Google Cloud 14 %, Microsoft Azure 8 %, Unknown 5 %', 'the chart');
  assert.match(await page.textContent('#fail-h'), /Failing now \(80\)/);
  await noHorizontalOverflow(page);
  const box = await page.evaluate(() => document.querySelector('.popup').getBoundingClientRect().height);
  assert.ok(box <= 600, `popup is ${box}px tall`);
  await page.screenshot({ path: join(shots, 'popup-1000-light.png') });
  await page.click('.group-row');
  await page.evaluate(() => document.querySelector('#sites').scrollIntoView());
  await page.screenshot({ path: join(shots, 'popup-1000-groups-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(shots, 'popup-1000-groups-dark.png') });
  await page.evaluate(() => document.querySelector('#main').scrollTo(0, 0));
  await page.screenshot({ path: join(shots, 'popup-1000-dark.png') });
  await page.close();
  console.log(`first render with 1,000 sites: data → render ${figures.map((f) => f.render.toFixed(1)).join(', ')} ms; since navigation start ${figures.map((f) => f.sinceStart.toFixed(0)).join(', ')} ms`);
  const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
  assert.ok(median(figures.map((f) => f.render)) <= 100, 'data → first render within 100 ms');
  // The popup's own first render (data in hand → DOM) is the 100 ms budget. From navigation
  // start it also includes compiling the wasm and the worker's answer (78–98 ms here, idle);
  // that is bounded more loosely so a busy CI machine does not fail a correct build.
  assert.ok(median(figures.map((f) => f.sinceStart)) <= 250, 'navigation → first render within 250 ms');
});

test('1,000 sites: dashboard sorting and what-if', async () => {
  const page = await openPage('dashboard', { width: 1280, height: 900 });
  await page.waitForSelector('#sites-table tbody tr');
  assert.equal(await page.locator('#sites-table tbody tr').count(), 250, 'first page of rows');
  await page.click('th button:has-text("Visits")');
  assert.equal(await page.getAttribute('th:has(button:has-text("Visits"))', 'aria-sort'), 'descending');
  await settled(() => page.textContent('#sites-table tbody tr:first-child td.num'), '50', 'the most visited first');
  await page.click('th button:has-text("Site")');
  await settled(() => page.textContent('#sites-table tbody tr:first-child th'), 'site0000.example', 'sorted by site');
  await page.selectOption('#wi-target', 'p:aws');
  // AWS at any layer: 710 hosted there plus the non-AWS sites on Route 53.
  const pop = population(1000);
  const direct = pop.filter((r) => r.profile?.cloud === 'aws').length;
  const dns = pop.filter((r) => r.profile && r.profile.cloud !== 'aws' && r.profile.dns.provider === 'aws').length;
  assert.equal(await page.textContent('#what-if-result .headline'),
    `If Amazon Web Services fails, ${direct + dns} of your 1000 sites break: ${direct} directly, ${dns} through DNS.`);
  await page.selectOption('#wi-target', 'r:aws:us-east-1');
  assert.equal(await page.textContent('#what-if-result .headline'), '400 of 1000 sites (40 %) would go down with AWS us-east-1.');
  assert.equal(await page.locator('#what-if-result li').count(), 400);
  await page.click('text=Show all 1000 rows');
  await settled(() => page.locator('#sites-table tbody tr').count(), 1000, 'every row');
  await page.selectOption('#wi-target', 'p:azure');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(shots, 'dashboard-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(shots, 'dashboard-dark.png') });
  await page.close();
});

test('options: validation, the worker\'s settings, refresh feeds, clear data', async () => {
  // A new user's settings.
  await setSettings(browser.ctx, { resolver: 'https://cloudflare-dns.com/dns-query' });
  await until(async () => (await message(browser, { type: 'getSettings' })).settings.resolver.startsWith('https://cloudflare'), 'the default resolver');
  const page = await openPage('options', { width: 900, height: 1100 });
  await page.waitForSelector('#settings-form');
  assert.equal(await page.isChecked('input[value="https://cloudflare-dns.com/dns-query"]'), true);
  // A plain-http custom resolver is refused before anything is sent.
  await page.check('#resolver-custom');
  await page.fill('#custom-url', 'http://dns.example/dns-query');
  await page.click('#save');
  assert.match(await page.textContent('#save-note'), /must be https/);
  assert.equal((await storage(browser.ctx, 'settings')).settings?.resolver ?? 'https://cloudflare-dns.com/dns-query', 'https://cloudflare-dns.com/dns-query');
  // Loopback http is allowed; the mirror triggers a refresh.
  await page.fill('#custom-url', 'http://127.0.0.1:1/dns-query');
  await page.fill('#feed-base', mirror.base);
  await page.fill('#retention', '14');
  await page.click('#save');
  await until(async () => (await page.textContent('#save-note')) === 'Saved.', 'saved');
  const { settings } = await storage(browser.ctx, 'settings');
  assert.deepEqual(settings, {
    resolver: 'http://127.0.0.1:1/dns-query', feedBase: mirror.base, asnLookups: true, recordIncognito: false, retentionDays: 14,
    resolveWithBrowser: false, activeChecks: true, checkIntervalMinutes: 5, statusFeeds: true, notifyFailures: false,
  });
  // The new mirror starts a refresh in the worker; "Refresh feeds now" then runs another.
  await until(async () => (await storage(browser.ctx, 'feedStatus')).feedStatus?.records > 50000, 'the automatic refresh', 120000);
  await page.click('#refresh');
  await until(async () => (await page.textContent('#refresh-note').catch(() => '')) === 'Feeds refreshed.', 'the refresh', 120000);
  const feeds = await page.textContent('#feeds-table');
  assert.ok(feeds.includes('ip-ranges.json') && feeds.includes('2026-08-22'), feeds);
  // The fixture feeds are months old: each past its provider's cadence is named, with its age.
  const days = Math.floor((Date.now() - Date.UTC(2026, 7, 22)) / 86_400_000);
  await until(async () => (await page.textContent('#feed-stale').catch(() => '')).includes(
    `ip-ranges.json (Amazon Web Services) is from 2026-08-22, ${days} days old; it is usually published every`), 'the stale AWS feed named', 10000);
  assert.equal(await page.getAttribute('#feeds-table tr:has(th:text-is("ip-ranges.json"))', 'class'), 'stale');
  await page.screenshot({ path: join(shots, 'options-light.png'), fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: join(shots, 'options-dark.png'), fullPage: true });
  // Clearing asks first.
  await page.click('#clear');
  assert.match(await page.textContent('[role="alert"]'), /^Forget all \d+ sites\?$/);
  await page.click('#clear-cancel');
  assert.ok(Object.keys(await storage(browser.ctx, null)).some((k) => k.startsWith('site:')));
  await page.click('#clear');
  await page.click('#clear-confirm');
  await until(async () => (await page.textContent('#clear-note').catch(() => '')) === 'Every site was forgotten.', 'cleared');
  assert.ok(!Object.keys(await storage(browser.ctx, null)).some((k) => k.startsWith('site:')));
  await page.close();
});

test('figures: pages wasm sizes (popup at most 120 KB gzip, issue 17); nothing threw', () => {
  const lines = [];
  for (const name of ['onebasket_popup', 'onebasket_web']) {
    const wasm = readFileSync(join(extensionDir, `${name}_bg.wasm`));
    const gz = gzipSync(wasm, { level: 9 }).length;
    lines.push(`${name}_bg.wasm: ${wasm.length} bytes raw, ${gz} bytes gzip`);
    if (name === 'onebasket_popup') assert.ok(gz <= 120_000, `popup wasm ${gz} bytes gzip`);
  }
  console.log(lines.join('\n'));
  writeFileSync(join(shots, 'figures.txt'), `${lines.join('\n')}\n`);
  assert.deepEqual(errors, []);
  assert.deepEqual(dialogs, []);
});
