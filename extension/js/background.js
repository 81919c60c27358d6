// OneBasket background loader: the only hand-written JS of the worker.
//
// Every listener is registered synchronously at top level, so the event that woke a stopped
// service worker is never lost; each event is chained on `ready` and reaches the Rust worker in
// order once the wasm module has started (loaded settings, table and sites).
import init, * as wasm from './onebasket_extension.js';
import initParsers, * as parsers from './onebasket_parsers.js';

const api = globalThis.browser ?? globalThis.chrome;

// When this script began, in ms since the worker did: the start-up line in the log says where
// a start's time went.
const scriptAt = performance.now();

// Bytes kept in IndexedDB: the prefix-table snapshot (about 0.8 MB, read at every start).
// chrome.storage.local holds only JSON, where the snapshot took base64 (a third larger) and a
// string to read, convert and decode; IndexedDB stores and returns the bytes themselves.
let database;
function db() {
  database ??= new Promise((ok, fail) => {
    const open = indexedDB.open('onebasket');
    open.onupgradeneeded = () => open.result.createObjectStore('bytes');
    open.onsuccess = () => ok(open.result);
    open.onerror = () => fail(open.error);
  });
  // A failed open is tried again by the next call.
  database.catch(() => { database = undefined; });
  return database;
}
async function transact(mode, f) {
  const tx = (await db()).transaction('bytes', mode);
  const request = f(tx.objectStore('bytes'));
  return new Promise((ok, fail) => {
    tx.oncomplete = () => ok(request.result);
    tx.onerror = () => fail(tx.error);
    tx.onabort = () => fail(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}
globalThis.oneBasketBytes = {
  /** The bytes under `key` as a Uint8Array; whatever else is stored there as it is. */
  async get(key) {
    const value = await transact('readonly', (s) => s.get(key));
    return value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  },
  /** Stores a copy of `bytes` (a view of the wasm memory, which may move) under `key`. */
  put(key, bytes) {
    const copy = bytes.slice().buffer;
    return transact('readwrite', (s) => s.put(copy, key));
  },
  remove(key) {
    return transact('readwrite', (s) => s.delete(key));
  },
};

// The feed and status-page parsers are a second wasm module (extension/parsers): a start
// needs none of them, so it is compiled only when a refresh or a status poll first asks, then
// kept for the worker's life. A failed load is tried again by the next call.
let parsersLoaded;
function parsersReady() {
  parsersLoaded ??= initParsers({ module_or_path: new URL('onebasket_parsers_bg.wasm', import.meta.url) });
  parsersLoaded.catch(() => { parsersLoaded = undefined; });
  return parsersLoaded;
}
globalThis.oneBasketParsers = {
  /** A downloaded feed as its one-feed table snapshot (Uint8Array); throws why not. */
  async feed(spec, bytes) {
    await parsersReady();
    return parsers.parse_feed(spec, bytes);
  },
  /** A status page as a ProviderStatus; throws why not. */
  async status(format, provider, bytes, now) {
    await parsersReady();
    return parsers.parse_status(format, provider, bytes, now);
  },
};

// What a start reads, asked for at once while the wasm compiles: every record in
// chrome.storage.local but the per-feed snapshots (`feed:`, read only to rebuild the table; the
// key names are extension/src/store.rs's), in two reads in flight together (the browser
// converts one while it reads the other), and the table's bytes. The wasm starts once the
// reads are asked for: its first work (the rules) then runs while they are answered.
const local = api.storage.local;
const asked = (local.getKeys ? local.getKeys() : Promise.resolve(null)).then((keys) => {
  // getKeys (Chrome 130+) reads no values; without it, everything is read.
  if (keys === null) return [local.get(null)];
  const hosts = keys.filter((k) => k.startsWith('host:'));
  const rest = keys.filter((k) => !k.startsWith('host:') && !k.startsWith('feed:'));
  return [local.get(rest), hosts.length ? local.get(hosts) : {}];
});
// Settled into `{value}` or `{error}`: the wasm takes them after it compiled, and a read that
// failed meanwhile must not be reported as an unhandled rejection.
const settled = (p) => p.then((value) => ({ value }), (e) => ({ error: String(e?.message ?? e) }));
const stored = settled(asked.then((reads) => Promise.all(reads)).then((parts) => Object.assign({}, ...parts)));
const table = settled(globalThis.oneBasketBytes.get('table'));

let ready = Promise.all([init({ module_or_path: new URL('onebasket_extension_bg.wasm', import.meta.url) }), asked.catch(() => {})])
  .then(() => wasm.start(scriptAt, performance.now(), stored, table))
  .catch((e) => console.error('OneBasket failed to start:', e));

// Run `f` after everything before it; a failing handler never blocks the ones after it.
function later(f) {
  return (...args) => {
    ready = ready.then(() => f(...args)).catch((e) => console.error('OneBasket:', e));
  };
}

const allUrls = { urls: ['<all_urls>'] };
// Chrome hides Set-Cookie (the AWSALB fingerprint) without 'extraHeaders'; Firefox has no such
// option and rejects unknown ones.
const responseOptions = ['responseHeaders'];
if (api.webRequest.OnResponseStartedOptions?.EXTRA_HEADERS) responseOptions.push('extraHeaders');

api.webRequest.onResponseStarted.addListener(later((d) => wasm.on_response(d)), allUrls, responseOptions);
api.webRequest.onErrorOccurred.addListener(later((d) => wasm.on_request_error(d)), allUrls);
api.tabs.onUpdated.addListener(later((tabId, change, tab) => {
  if (change.status === 'complete' || change.url) wasm.on_tab_updated(tabId, tab?.url ?? change.url);
}));
api.tabs.onRemoved.addListener(later((tabId) => wasm.on_tab_removed(tabId)));
api.alarms.onAlarm.addListener(later((alarm) => wasm.on_alarm(alarm.name)));
api.runtime.onInstalled.addListener(later(() => wasm.on_installed()));
api.storage.onChanged.addListener(later((changes, area) => {
  if (area === 'local' && changes.settings && changes.settings.newValue !== undefined) {
    wasm.on_settings_changed(changes.settings.newValue);
  }
}));
api.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only the extension's own pages may ask; there are no content scripts.
  if (sender.id !== api.runtime.id || (sender.tab && !sender.url?.startsWith(api.runtime.getURL('')))) {
    return false;
  }
  const answer = ready.then(() => wasm.on_message(message));
  ready = answer.then(() => undefined, () => undefined);
  answer.then(sendResponse, (e) => sendResponse({ type: 'error', message: String(e) }));
  return true;
});
