// Damaged and old stored state: a table snapshot (in IndexedDB) or per-feed snapshot that is
// corrupt, of another version, truncated or not bytes / not base64; one of version 1 (the previous
// version's layout), read and written again as version 2; the table in the layout
// before IndexedDB (base64 under `table` in chrome.storage.local), which is moved; site records of the wrong shape or an older one;
// settings with wrong types or invalid values; `pending` that is no list; a `schema` older or
// newer than this build's, including schema 1, whose records held verdicts instead of evidence. Each is written into chrome.storage.local through an extension page,
// the worker is restarted, and then: it starts, warns once per discarded item, keeps every
// readable record (an older one migrated, never dropped), rebuilds the table from what is valid
// (or refreshes it from the mirror), leaves alone what a newer version wrote, and still badges a
// newly visited site and answers the overview. Last, a write the browser refuses (a full quota):
// one warning per failed write, naming the key, and the worker keeps the site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { startResolver, startMirror, startSites } from './lib/servers.mjs';
import { launch, newProfileDir, until, badgeOf, stopWorkers, extensionPage, message, shutDown, worker } from './lib/browser.mjs';

const NEW = Array.from({ length: 8 }, (_, i) => ({
  host: `www.new${i}-site.test`,
  badge: ['AWS', 'GCP', 'AZ'][i % 3],
  ip: [`216.244.7.${60 + i}`, `8.34.208.${60 + i}`, `4.156.0.${60 + i}`][i % 3],
}));
const RECORDS = [
  'www.base-site.test. 60 IN A 216.244.7.10',
  'base-site.test. 300 IN NS ns-1234.awsdns-12.org.',
  'www.mig-site.test. 60 IN A 8.34.208.20',
  'www.unprof-site.test. 60 IN A 4.156.0.20',
  'www.pend-site.test. 60 IN A 216.244.7.21',
  'www.old-site.test. 60 IN A 8.34.208.30',
  ...NEW.map((n) => `${n.host}. 60 IN A ${n.ip}`),
  'www.quota-site.test. 60 IN A 216.244.7.70',
];

let resolver, mirror, sites, browser, settings, baseline, genuine;

/** The verdict a schema-1 worker stored in a record (this version stores evidence instead). */
const SCHEMA1_PROFILE = {
  name: 'www.old-site.test', site: 'old-site.test', addresses: ['216.244.7.99'], cname_chain: [],
  dns: { provider: null, product: null, nameservers: [] }, edge: { provider: null, service: null },
  hosting: { provider: 'aws', region: 'us-east-1', service: 'EC2', prefix: '216.244.7.0/24', asn: null, asn_holder: null, platform: null },
  cloud: 'aws', confidence: 'high', resolution: { status: 'ok' }, resolved_by: 'doh', evidence: [],
};

/**
 * old-site.test as a first worker wrote it: no status, health, origin or deps, and its verdict
 * (schema 1) profiled `age` ms ago.
 */
function schema1Record(age = 60_000) {
  const old = { ...genuine, site: 'old-site.test', mainHost: 'www.old-site.test', profile: SCHEMA1_PROFILE, profiledAt: Date.now() - age };
  for (const k of ['status', 'health', 'origin', 'deps']) delete old[k];
  return old;
}
const logs = [];
let nextNew = 0;

const extPage = () => extensionPage(browser);

/** A message to the worker, which must not answer with an error. */
async function ask(request) {
  const answer = await message(browser, request);
  assert.notEqual(answer?.type, 'error', JSON.stringify(answer));
  return answer;
}

async function stored(keys = null) {
  const page = await extPage();
  return page.evaluate((k) => chrome.storage.local.get(k), keys);
}

/**
 * The worker's IndexedDB store of bytes (`onebasket` / `bytes`, where the table snapshot is
 * kept), from an extension page: `get` answers `{ base64 }` for bytes and anything else as it
 * is; `put` stores `{ base64 }` as bytes or `{ raw }` as it is; `delete` removes the key.
 */
async function bytesStore(op, key, value) {
  const page = await extPage();
  return page.evaluate(async ([op, key, value]) => {
    const db = await new Promise((ok, fail) => {
      const open = indexedDB.open('onebasket');
      open.onupgradeneeded = () => open.result.createObjectStore('bytes');
      open.onsuccess = () => ok(open.result);
      open.onerror = () => fail(open.error);
    });
    try {
      const tx = db.transaction('bytes', op === 'get' ? 'readonly' : 'readwrite');
      const s = tx.objectStore('bytes');
      const stored = value && 'base64' in value ? Uint8Array.from(atob(value.base64), (c) => c.charCodeAt(0)).buffer : value?.raw;
      const req = op === 'get' ? s.get(key) : op === 'put' ? s.put(stored, key) : s.delete(key);
      await new Promise((ok, fail) => { tx.oncomplete = ok; tx.onerror = () => fail(tx.error); });
      const v = req.result;
      if (!(v instanceof ArrayBuffer)) return v;
      const bytes = new Uint8Array(v);
      let text = '';
      for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { base64: btoa(text) };
    } finally {
      db.close();
    }
  }, [op, key, value]);
}

/**
 * Stops the worker, writes `values` (and removes `remove`) in storage as an older or damaged
 * version might have left them, and wakes the worker; returns the warnings its start logged.
 * `table`: the table snapshot's IndexedDB entry is replaced by it (`bytesStore` put), or
 * removed when `null`.
 */
async function restartWith(values, remove = [], expectWarnings = 0, table = undefined) {
  // Each storage write wakes the worker (its storage listener), and a worker woken halfway
  // would read half the change: so one write per start. The values go first, read by a start
  // that still sees the keys to remove; that worker is stopped, and the removal wakes the one
  // whose start is checked. IndexedDB is written while no worker runs (it wakes none).
  await stopWorkers(browser.ctx);
  let mark = logs.length;
  const page = await extPage();
  if (table === null) await bytesStore('delete', 'table');
  else if (table !== undefined) await bytesStore('put', 'table', table);
  if (Object.keys(values).length) await page.evaluate((v) => chrome.storage.local.set(v), values);
  if (remove.length) {
    await stopWorkers(browser.ctx);
    mark = logs.length;
    await page.evaluate((r) => chrome.storage.local.remove(r), remove);
  }
  const { overview } = await ask({ type: 'getOverview' });
  // Console messages of the worker arrive through the DevTools protocol, a little after.
  await until(() => logs.slice(mark).filter((l) => l.startsWith('warn:')).length >= expectWarnings, `${expectWarnings} warnings`, 5000).catch(() => {});
  const warnings = logs.slice(mark).filter((l) => l.startsWith('warn:')).map((l) => l.slice(5));
  assert.ok(!logs.slice(mark).some((l) => /failed to start|panicked|RuntimeError/.test(l)), logs.slice(mark).join('\n'));
  return { overview, warnings };
}

/** A site not seen before gets its provider badge: look-ups, the table and badges all work. */
async function newSiteIsBadged() {
  const n = NEW[nextNew++ % NEW.length];
  const page = await browser.ctx.newPage();
  await page.goto(sites.url(n.host));
  await until(async () => (await badgeOf(browser.ctx, page))?.text === n.badge, `the ${n.badge} badge of ${n.host}`);
  await page.close();
}

/** The stored table snapshot's bytes (IndexedDB), changed by `f`, as `{ base64 }`. */
async function tableVariant(f) {
  const { base64 } = await bytesStore('get', 'table');
  return { base64: Buffer.from(f(Buffer.from(base64, 'base64'))).toString('base64') };
}

const count = (warnings, re) => warnings.filter((w) => re.test(w)).length;

/**
 * The table snapshot `b` (version 2: tags, then fixed-width records) in version 1's layout, as
 * the version before it stored the table: the same strings and feeds, then one list of records
 * each a code, the prefix's leading bytes and three varint ids (core/src/table/mod.rs).
 */
function asVersion1(b) {
  let at = 14;
  const varint = () => {
    let v = 0;
    for (let shift = 1; ; shift *= 128) {
      const x = b[at++];
      v += (x & 0x7f) * shift;
      if (x < 0x80) return v;
    }
  };
  const put = (out, v) => {
    for (; v >= 0x80; v = Math.floor(v / 128)) out.push((v % 128) | 0x80);
    out.push(v);
  };
  // (Not `at += varint()`: that adds to `at` as it was before the varint was read.)
  const skip = (n) => { at += n; };
  for (let table = 0; table < 3; table++) for (let n = varint(); n > 0; n--) skip(varint());
  for (let n = varint(); n > 0; n--) {
    skip(varint());
    skip(varint());
    for (let opt = 0; opt < 2; opt++) skip(Math.max(varint() - 1, 0));
    varint();
  }
  const body = [...b.subarray(14, at)];
  const tags = Array.from({ length: varint() }, () => [varint(), varint(), varint()]);
  let width = 1;
  while ((tags.length - 1) >= 256 ** width) width++;
  const records = [];
  for (const [bytes, code] of [[4, 0], [16, 33]]) {
    for (let n = varint(); n > 0; n--) {
      const len = b[at + bytes];
      let tag = 0;
      for (let k = width - 1; k >= 0; k--) tag = tag * 256 + b[at + bytes + 1 + k];
      records.push([code + len, b.subarray(at, at + Math.ceil(len / 8)), tags[tag]]);
      at += bytes + 1 + width;
    }
  }
  assert.equal(at, b.length, 'a version 2 snapshot read to its end');
  put(body, records.length);
  for (const [code, prefix, ids] of records) {
    body.push(code, ...prefix);
    ids.forEach((id) => put(body, id));
  }
  const head = Buffer.alloc(14);
  head.write('OBPT');
  head.writeUInt16LE(1, 4);
  head.writeUInt32LE(body.length, 6);
  head.writeUInt32LE(zlib.crc32(Buffer.from(body)), 10);
  return Buffer.concat([head, Buffer.from(body)]);
}

before(async () => {
  resolver = await startResolver(RECORDS);
  mirror = await startMirror();
  sites = await startSites();
  browser = await launch(newProfileDir());
  browser.ctx.on('console', (m) => logs.push(`${m.type() === 'warning' ? 'warn' : m.type()}:${m.text()}`));
  settings = {
    resolver: resolver.url, feedBase: mirror.base, asnLookups: false, recordIncognito: false, retentionDays: 30,
    resolveWithBrowser: false, activeChecks: false, checkIntervalMinutes: 5, statusFeeds: false, notifyFailures: false,
  };
  const page = await extPage();
  await page.evaluate((s) => chrome.storage.local.set({ settings: s }), settings);
  await until(async () => (await stored('feedStatus')).feedStatus?.records > 50000, 'the feed refresh', 90000);
  baseline = (await stored('feedStatus')).feedStatus.records;
  const tab = await browser.ctx.newPage();
  await tab.goto(sites.url('www.base-site.test'));
  await until(async () => (await badgeOf(browser.ctx, tab))?.text === 'AWS', 'the first badge');
  await tab.close();
  genuine = (await stored('site:base-site.test'))['site:base-site.test'];
  assert.ok(genuine.status && genuine.deps && genuine.health, JSON.stringify(genuine));
  assert.equal(genuine.profile, undefined, 'no verdict is stored');
  assert.ok((await stored('host:www.base-site.test'))['host:www.base-site.test'].resolution, 'the evidence is');
});

after(() => shutDown(browser, resolver, mirror, sites));

test('a damaged table snapshot is discarded and rebuilt from the per-feed snapshots', async () => {
  const good = await bytesStore('get', 'table');
  assert.ok(good?.base64, 'the table is kept as bytes in IndexedDB');
  assert.equal((await stored('table')).table, undefined, 'not in chrome.storage.local');
  const variants = {
    'bad CRC': await tableVariant((b) => { b[b.length - 3] ^= 0xff; return b; }),
    'older version': await tableVariant((b) => { b[4] = 0; b[5] = 0; return b; }),
    'newer version': await tableVariant((b) => { b[4] = 3; b[5] = 0; return b; }),
    truncated: await tableVariant((b) => b.subarray(0, b.length >> 1)),
    'not bytes': { raw: 'a string where the bytes were' },
    'a number': { raw: 42 },
  };
  for (const [what, table] of Object.entries(variants)) {
    const t0 = Date.now();
    const { overview, warnings } = await restartWith({}, [], 1, table);
    assert.equal(count(warnings, /stored table discarded/), 1, `${what}: ${warnings.join(' | ')}`);
    assert.equal(overview.feeds.records, baseline, `${what}: the rebuilt table is whole`);
    // The rebuilt table is stored again, so the next start reads it directly.
    assert.deepEqual(await bytesStore('get', 'table'), good, `${what}: the table written back is the one that was damaged`);
    console.log(`# table ${what}: discarded and rebuilt, worker answering in ${Date.now() - t0} ms`);
  }
  await newSiteIsBadged();
});

test('a table snapshot of version 1, as the previous version stored it, is read and written again as version 2', async () => {
  const good = await bytesStore('get', 'table');
  assert.equal(Buffer.from(good.base64, 'base64').readUInt16LE(4), 2, 'the table is stored as version 2');
  const old = { base64: asVersion1(Buffer.from(good.base64, 'base64')).toString('base64') };
  const hosting = async () => {
    const { tab } = await ask({ type: 'getTab', url: sites.url('www.base-site.test') });
    return [tab.summary?.site, tab.profile?.hosting?.provider, tab.profile?.hosting?.prefix];
  };
  const running = await hosting();
  assert.deepEqual(running.slice(0, 2), ['base-site.test', 'aws']);
  await stopWorkers(browser.ctx);
  const mark = logs.length;
  await bytesStore('put', 'table', old);
  // Woken by a tab's view, as the popup wakes it: answered over version 1 (read whole).
  assert.deepEqual(await hosting(), running);
  await until(async () => (await bytesStore('get', 'table'))?.base64 === good.base64, 'the table written again as version 2');
  assert.deepEqual(logs.slice(mark).filter((l) => /^warn:.*table/.test(l)), []);
  // The next start reads version 2, around the tab.
  await stopWorkers(browser.ctx);
  assert.deepEqual(await hosting(), running);
  const { overview } = await ask({ type: 'getOverview' });
  assert.equal(overview.feeds.records, baseline, 'the table in use is the stored one');
});

test('the table as the layout before IndexedDB kept it (base64 in chrome.storage.local) is read and moved', async () => {
  const good = await bytesStore('get', 'table');
  // Only the older layout's copy: read, moved to IndexedDB, and removed from chrome.storage.
  const { overview, warnings } = await restartWith({ table: good.base64 }, [], 0, null);
  assert.deepEqual(warnings.filter((w) => /table/.test(w)), [], warnings.join(' | '));
  assert.equal(overview.feeds.records, baseline, 'the table in use is the stored one');
  await until(async () => (await stored('table')).table === undefined, 'the base64 copy removed');
  assert.deepEqual(await bytesStore('get', 'table'), good, 'moved to IndexedDB as bytes');
  // Both: IndexedDB's is read, and the older copy removed.
  const { overview: o2 } = await restartWith({ table: good.base64 }, [], 0);
  assert.equal(o2.feeds.records, baseline);
  await until(async () => (await stored('table')).table === undefined, 'the leftover base64 copy removed');
  // The older layout's copy damaged: discarded, and the table rebuilt into IndexedDB.
  for (const [what, table] of Object.entries({ 'not base64': '%%% this is not base64 %%%', 'not a string': 42 })) {
    const { overview: o, warnings: w } = await restartWith({ table }, [], 1, null);
    assert.equal(count(w, /stored table is not (base64|a string)/), 1, `${what}: ${w.join(' | ')}`);
    assert.equal(o.feeds.records, baseline, `${what}: the rebuilt table is whole`);
    assert.deepEqual(await bytesStore('get', 'table'), good, `${what}: rebuilt into IndexedDB`);
  }
  await newSiteIsBadged();
});

test('damaged per-feed snapshots are discarded, the table rebuilt from the rest, then refreshed from the mirror', async () => {
  const page = await extPage();
  const feeds = await page.evaluate(async () => {
    const all = await chrome.storage.local.get(null);
    return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('feed:')));
  });
  assert.ok(Object.keys(feeds).length >= 10);
  const damaged = {
    'feed:ip-ranges.json': feeds['feed:ip-ranges.json'].slice(0, 1000),
    'feed:cloud.json': 'not base64 at all!',
    'feed:goog.json': 7,
    // A valid snapshot with one body byte changed fails its CRC.
    'feed:meta.json': (() => {
      const b = Buffer.from(feeds['feed:meta.json'], 'base64');
      b[b.length - 1] ^= 0xff;
      return b.toString('base64');
    })(),
  };
  const requestsBefore = mirror.requests.length;
  const at = Date.now();
  const { overview, warnings } = await restartWith(damaged, [], 4, null);
  for (const key of Object.keys(damaged)) assert.equal(count(warnings, new RegExp(`${key.replace('.', '\\.')} discarded`)), 1, `${key}: ${warnings.join(' | ')}`);
  // Rebuilt from the seven good snapshots: a smaller table, never an empty one…
  assert.ok(overview.feeds.records > 0 && overview.feeds.records < baseline, `${overview.feeds.records} records`);
  // …and a refresh brings the four back.
  await until(async () => {
    const s = await stored(['feedStatus', 'refreshing']);
    return s.refreshing === false && s.feedStatus.refreshedAt > at && s.feedStatus.records === baseline;
  }, 'the refresh after discarding feed snapshots', 30000);
  const fetched = mirror.requests.slice(requestsBefore).map((r) => r.url);
  for (const f of ['/ip-ranges.json', '/cloud.json', '/goog.json', '/meta.json']) assert.ok(fetched.includes(f), `${f} fetched again`);
  const after = await stored(Object.keys(damaged));
  for (const [key, value] of Object.entries(after)) assert.equal(value, feeds[key], `${key} restored`);
  await newSiteIsBadged();
});

test('site records: wrong shapes are discarded, older and damaged ones kept and migrated', async () => {
  const old = schema1Record();
  const values = {
    'site:old-site.test': old,
    // Readable but for three fields: the record stays, those fields take their defaults, and
    // the unreadable profile is looked up again.
    'site:mig-site.test': {
      site: 'mig-site.test', mainHost: 'www.mig-site.test', firstSeen: 1, lastSeen: Date.now() - 1000, visits: 7, hosts: {},
      profile: { name: 'www.mig-site.test', layers: 'of a format long gone' }, profiledAt: Date.now(), failures: 'none', status: 'on fire',
    },
    // Stored, but its look-up never finished (a kill before `pending` was written).
    'site:unprof-site.test': { ...old, site: 'unprof-site.test', mainHost: 'www.unprof-site.test', profile: null, profiledAt: null },
    'site:junk1.test': 'a string',
    'site:junk2.test': [1, 2, 3],
    'site:junk3.test': { visits: 3, note: 'no main host, no site' },
  };
  const { overview, warnings } = await restartWith(values, [], 3 + 3 + 1);
  for (const junk of ['junk1', 'junk2', 'junk3']) assert.equal(count(warnings, new RegExp(`site:${junk}\\.test .*discarded`)), 1, `${junk}: ${warnings.join(' | ')}`);
  for (const field of ['profile', 'failures', 'status']) assert.equal(count(warnings, new RegExp(`site:mig-site\\.test\\.${field} = .* discarded`)), 1, `${field}: ${warnings.join(' | ')}`);
  const s = await stored(null);
  for (const junk of ['junk1', 'junk2', 'junk3']) assert.equal(s[`site:${junk}.test`], undefined, `${junk} removed`);
  const listed = new Set(overview.sites.map((x) => x.site));
  for (const site of ['base-site.test', 'old-site.test', 'mig-site.test', 'unprof-site.test']) assert.ok(listed.has(site), `${site} in the overview`);
  // The older record keeps everything it had, its stored verdict included (shown until its next
  // look-up); the newer fields take their defaults.
  const o = (await ask({ type: 'getSite', site: 'old-site.test' })).site;
  assert.deepEqual(o.profile, SCHEMA1_PROFILE);
  assert.equal(o.visits, genuine.visits);
  assert.equal(o.status, 'unknown');
  assert.equal(overview.sites.find((x) => x.site === 'old-site.test').class.cloud, 'aws', 'the stored verdict is shown');
  // The damaged one is rewritten in the current shape, keeps its visits, and is profiled again.
  assert.equal(s['site:mig-site.test'].visits, 7);
  assert.deepEqual(s['site:mig-site.test'].failures, []);
  assert.equal(s['site:mig-site.test'].status, 'unknown');
  const hosting = async (host) => (await ask({ type: 'getTab', url: `https://${host}/` })).tab.profile?.hosting?.provider;
  await until(async () => (await hosting('www.mig-site.test')) === 'gcp', 'the migrated site looked up again');
  await until(async () => (await hosting('www.unprof-site.test')) === 'azure', 'the never-profiled site looked up at start');
  await newSiteIsBadged();
});

test('settings of the wrong type or out of range fall back field by field; the rest is kept', async () => {
  const damaged = { ...settings, asnLookups: 'yes', retentionDays: -5, checkIntervalMinutes: '5', statusFeeds: null, feedBase: 'ftp://nowhere' };
  const { overview, warnings } = await restartWith({ settings: damaged }, [], 5);
  for (const f of ['asnLookups', 'retentionDays', 'checkIntervalMinutes', 'statusFeeds', 'feedBase']) {
    assert.equal(count(warnings, new RegExp(`settings\\.${f} = .* discarded`)), 1, `${f}: ${warnings.join(' | ')}`);
  }
  // The resolver was readable and is kept: look-ups still go to the test resolver (the default
  // one would fail here), so a new site is badged.
  assert.equal(overview.settings.resolver, settings.resolver);
  assert.equal(overview.settings.retentionDays, 30);
  assert.equal(overview.settings.asnLookups, true);
  assert.equal(overview.settings.feedBase, null);
  // Nothing is written back over what the user (or another window) stored.
  assert.deepEqual((await stored('settings')).settings, damaged);
  await newSiteIsBadged();
  // Not an object at all: every default, with one warning.
  const { overview: o2, warnings: w2 } = await restartWith({ settings: 'garbage' }, [], 1);
  assert.equal(count(w2, /settings = "garbage" is not an object/), 1, w2.join(' | '));
  assert.equal(o2.settings.resolver, 'https://cloudflare-dns.com/dns-query');
  const page = await extPage();
  await page.evaluate((s) => chrome.storage.local.set({ settings: s }), settings);
  await until(async () => (await ask({ type: 'getSettings' })).settings.resolver === settings.resolver, 'the settings applied');
});

test('`pending` that is no list is discarded; a list with junk keeps its hostnames', async () => {
  const { warnings } = await restartWith({ pending: { 'www.pend-site.test': true } }, [], 1);
  assert.equal(count(warnings, /pending = .* is not a list; discarded/), 1, warnings.join(' | '));
  assert.ok(Array.isArray((await stored('pending')).pending), 'pending is a list again');
  // The junk entry is dropped and the look-up of the real hostname resumes (the host is not
  // a recorded site, so the profile only shows in the look-up finishing: nothing stays pending).
  const { warnings: w2 } = await restartWith({ pending: ['www.pend-site.test', 42, null] }, [], 1);
  assert.equal(count(w2, /pending: 2 entries that are not hostnames discarded/), 1, w2.join(' | '));
  await until(async () => (await stored('pending')).pending?.length === 0, 'the resumed look-up to finish');
  await newSiteIsBadged();
});

test('feedStatus, feedSource and providerStatus that are unreadable are discarded; the overview describes the table in use', async () => {
  const { overview, warnings } = await restartWith({ feedStatus: 'garbage', feedSource: [1], providerStatus: { polled: 'x' } }, [], 3);
  assert.equal(count(warnings, /feedStatus unreadable/), 1, warnings.join(' | '));
  assert.equal(count(warnings, /feedSource unreadable/), 1, warnings.join(' | '));
  assert.equal(count(warnings, /providerStatus unreadable/), 1, warnings.join(' | '));
  assert.deepEqual(overview.incidents, []);
  assert.equal(overview.feeds.records, baseline);
  assert.ok(overview.feeds.feeds.length >= 10);
});

test('an older or missing schema is migrated (records rewritten in the current shape), then written', async () => {
  for (const schema of [0, 1, undefined, 'one']) {
    const values = { 'site:old-site.test': schema1Record() };
    if (schema !== undefined) values.schema = schema;
    const { overview } = await restartWith(values, schema === undefined ? ['schema'] : [], schema === 'one' ? 1 : 0);
    const s = await stored(['schema', 'site:old-site.test', 'site:base-site.test', 'host:www.base-site.test']);
    assert.equal(s.schema, 2, `schema ${schema} → 2`);
    const r = s['site:old-site.test'];
    for (const k of ['status', 'health', 'origin', 'deps']) assert.ok(k in r, `schema ${schema}: old-site.test rewritten with ${k}`);
    assert.deepEqual(r.profile, SCHEMA1_PROFILE, `schema ${schema}: the stored verdict is kept until the next look-up`);
    assert.ok(s['site:base-site.test'] && s['host:www.base-site.test'], 'current records and evidence are kept');
    assert.equal(overview.sites.find((x) => x.site === 'old-site.test')?.class?.cloud, 'aws', 'and shown');
  }
  await newSiteIsBadged();
});

test('a schema-1 record is shown, then gains evidence at its next look-up and drops its stored verdict', async () => {
  // Profiled seven hours ago by a schema-1 worker: its next visit looks it up again.
  await restartWith({ schema: 1, 'site:old-site.test': schema1Record(7 * 3600_000) }, ['host:www.old-site.test'], 0);
  const tab = await browser.ctx.newPage();
  await tab.goto(sites.url('www.old-site.test'));
  // The resolver puts it on Google Cloud now: the badge follows the evidence, not the old verdict.
  await until(async () => (await badgeOf(browser.ctx, tab))?.text === 'GCP', 'the badge derived from the new evidence');
  const s = await stored(['site:old-site.test', 'host:www.old-site.test']);
  assert.deepEqual(s['host:www.old-site.test'].addresses, ['8.34.208.30']);
  assert.equal(s['site:old-site.test'].profile, undefined, 'the stored verdict is gone');
  assert.equal(s['site:old-site.test'].profiledAt, undefined);
  await tab.close();
});

test('a newer schema: what cannot be read is left alone, nothing is downgraded, and the extension keeps working', async () => {
  const old = schema1Record();
  const future = { siteV2: { key: 'future-site.test' }, hostsV2: [] };
  const { overview, warnings } = await restartWith({ schema: 99, 'site:future-site.test': future, 'site:old-site.test': old }, [], 2);
  assert.equal(count(warnings, /written by a newer version \(schema 99/), 1, warnings.join(' | '));
  assert.equal(count(warnings, /site:future-site\.test .*left in storage/), 1, warnings.join(' | '));
  const s = await stored(['schema', 'site:future-site.test', 'site:old-site.test']);
  assert.equal(s.schema, 99, 'the newer schema stays');
  assert.deepEqual(s['site:future-site.test'], future, 'the unreadable record is untouched');
  assert.deepEqual(s['site:old-site.test'], old, 'nothing is rewritten in the older layout');
  assert.ok(overview.sites.some((x) => x.site === 'old-site.test'), 'what can be read is used');
  await newSiteIsBadged();
  // Back to this version's layout for whatever runs next.
  const page = await extPage();
  await page.evaluate(() => chrome.storage.local.remove(['schema', 'site:future-site.test']));
});

test('a failed storage write is logged once per failure, naming its key; the worker keeps what it knows', async () => {
  await ask({ type: 'getOverview' });
  const sw = await worker(browser.ctx);
  const n = { host: 'www.quota-site.test', badge: 'AWS' };
  const site = 'quota-site.test';
  const key = `site:${site}`;
  // The worker's storage refuses every write of this one key, as a full quota would.
  await sw.evaluate((key) => {
    const local = chrome.storage.local;
    const set = local.set.bind(local);
    globalThis.failedWrites = 0;
    globalThis.realSet = set;
    local.set = (items) => {
      if (!Object.keys(items ?? {}).includes(key)) return set(items);
      globalThis.failedWrites += 1;
      return Promise.reject(new Error('QUOTA_BYTES quota exceeded (test)'));
    };
  }, key);
  const mark = logs.length;
  try {
    const page = await browser.ctx.newPage();
    await page.goto(sites.url(n.host));
    await until(async () => (await badgeOf(browser.ctx, page))?.text === n.badge, `the ${n.badge} badge of ${n.host}`);
    await page.close();
    const failed = await sw.evaluate(() => globalThis.failedWrites);
    assert.ok(failed >= 1, 'the visit wrote its site');
    const lines = () => logs.slice(mark).filter((l) => l.includes(key));
    await until(() => lines().length >= failed, `${failed} warnings`, 5000).catch(() => {});
    assert.deepEqual(lines(), Array(failed).fill(`warn:OneBasket: writing ${key} failed: QUOTA_BYTES quota exceeded (test)`));
    assert.equal((await stored(key))[key], undefined, 'nothing was written');
    const { overview } = await ask({ type: 'getOverview' });
    assert.ok(overview.sites.some((x) => x.site === site), 'the worker still knows the site');
  } finally {
    await sw.evaluate(() => { chrome.storage.local.set = globalThis.realSet; });
  }
});
