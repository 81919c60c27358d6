// What the worker reads at every start, in one module so that a test's probe worker
// (tests/browser/startup.test.mjs) makes exactly the same reads to measure what they cost alone.

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
// The worker's store of bytes (background.js hands it to the Rust worker as `oneBasketBytes`).
export const bytes = {
  /** The bytes under `key` as a Uint8Array; whatever else is stored there as it is. */
  async get(key) {
    const value = await transact('readonly', (s) => s.get(key));
    return value instanceof ArrayBuffer ? new Uint8Array(value) : value;
  },
  /** Stores a copy of `data` (a view of the wasm memory, which may move) under `key`. */
  put(key, data) {
    const copy = data.slice().buffer;
    return transact('readwrite', (s) => s.put(copy, key));
  },
  remove(key) {
    return transact('readwrite', (s) => s.delete(key));
  },
};

// What a start reads, asked for at once while the wasm compiles: every record in
// chrome.storage.local but the per-feed snapshots (`feed:`, read only to rebuild the table; the
// key names are extension/src/store.rs's), in two reads in flight together (the browser
// converts one while it reads the other), and the table's bytes.
//
// Returns `asked` (the key listing, settled once both reads are asked for), `stored` (every
// record but the per-feed snapshots, as one object) and `table` (the snapshot's bytes), the
// last two settled into `{value}` or `{error}`.
export function startReads(api) {
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
  const table = settled(bytes.get('table'));
  return { asked, stored, table };
}
