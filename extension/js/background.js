// OneBasket background loader: the only hand-written JS of the worker.
//
// Every listener is registered synchronously at top level, so the event that woke a stopped
// service worker is never lost; each event is chained on `ready` and reaches the Rust worker in
// order once the wasm module has started (loaded settings, table and sites). The one exception:
// a page request that woke the worker, which the start itself answers (`first` below).
import init, * as wasm from './onebasket_extension.js';
import initParsers, * as parsers from './onebasket_parsers.js';
import { bytes, startReads } from './reads.js';

const api = globalThis.browser ?? globalThis.chrome;

// When this script began, in ms since the worker did: the start-up line in the log says where
// a start's time went.
const scriptAt = performance.now();

// IndexedDB's bytes (reads.js), for the Rust worker (extension/src/bindings.rs).
globalThis.oneBasketBytes = bytes;

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

// A GET for the Rust worker (feeds, status pages, DoH: extension/src/bindings.rs `get`) whose
// body is kept only up to `limit` bytes and waited for at most `timeoutMs`: a longer body or a
// slower server is an error, so a server that never stops sending grows nothing. Resolves to the
// body; rejects with an Error, whose `status` is the HTTP status when the server answered one
// that is not a success.
globalThis.oneBasketGet = async (url, limit, timeoutMs, credentials, accept) => {
  const headers = accept ? { accept } : {};
  const response = await fetch(url, { credentials, headers, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) {
    response.body?.cancel().catch(() => {});
    throw Object.assign(new Error(`HTTP ${response.status}`), { status: response.status });
  }
  const parts = [];
  let size = 0;
  const tooLong = () => new Error(`the answer is longer than the ${limit} bytes allowed`);
  if (Number(response.headers.get('content-length')) > limit) {
    response.body?.cancel().catch(() => {});
    throw tooLong();
  }
  const reader = response.body?.getReader();
  for (;;) {
    const { done, value } = reader ? await reader.read() : { done: true };
    if (done) break;
    size += value.length;
    if (size > limit) {
      reader.cancel().catch(() => {});
      throw tooLong();
    }
    parts.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    body.set(part, at);
    at += part.length;
  }
  return body;
};

// The one-shot alarms the Rust worker sets (extension/src/shell.rs): `name` at `when` (ms since
// the epoch), or cleared when `when` is null. A refusal is logged, never thrown into the worker
// (and Firefox's alarms.create answers no promise).
globalThis.oneBasketAlarm = (name, when) => {
  Promise.resolve()
    .then(() => (when == null ? api.alarms.clear(name) : api.alarms.create(name, { when })))
    .catch((e) => console.warn(`OneBasket: setting the ${name} alarm:`, e));
};

// Runs the Rust worker's `arm_alarms` (which moves those alarms) once, two seconds after the
// events that may have changed when they are due: their next times go over every site, too much
// for each of a page load's hundred events, and no alarm is set sooner than a minute anyway.
let arming = null;
globalThis.oneBasketArmSoon = () => {
  arming ??= setTimeout(() => {
    arming = null;
    try {
      wasm.arm_alarms();
    } catch (e) {
      console.error('OneBasket:', e);
    }
  }, 2000);
};

// What a start reads (reads.js), asked for at once while the wasm compiles: the wasm starts
// once the reads are asked for, so its first work (the rules) runs while they are answered.
const { asked, stored, table } = startReads(api);

// The page request that woke the worker, kept when it came before any other event: the Rust
// start takes it and answers a view of one tab (the popup opening) as soon as that tab's site
// is read, before every other site is (extension/src/startup.rs `FirstRequest`); any other
// request is answered here once the start is done, before the events queued behind it.
let woken;
const first = {
  open: true,
  // Settled once the event that woke the worker is known (this request, or another event).
  known: new Promise((ok) => { woken = ok; }),
  request: undefined,
  sendResponse: undefined,
  answered: false,
  close() {
    this.open = false;
    woken();
  },
  take() {
    this.close();
    return this.request;
  },
  peek() {
    return this.request;
  },
  respond(answer) {
    this.answered = true;
    try {
      this.sendResponse(answer);
    } catch (e) {
      console.warn('OneBasket: answering the first request:', e);
    }
  },
};
globalThis.oneBasketFirst = first;

// The records and the table reach the start once the waking event is known: a tab's view
// needs one site of the records and a few of the table's, and the start decides on their
// arrival whether to read them whole first. The browser hands the event over some tens of
// milliseconds after the script ran, sometimes after the reads arrived; a start with no event
// of ours (none is known within 200 ms) goes on.
const woke = Promise.race([first.known, new Promise((ok) => setTimeout(ok, 200))]);
const onceWoken = (read) => Promise.all([read, woke]).then(([value]) => value);

let ready = Promise.all([init({ module_or_path: new URL('onebasket_extension_bg.wasm', import.meta.url) }), asked.catch(() => {})])
  .then(() => wasm.start(scriptAt, performance.now(), onceWoken(stored), onceWoken(table)))
  .catch((e) => console.error('OneBasket failed to start:', e))
  .then(() => {
    first.close();
    // Through a promise, as the requests chained on `ready` go: a worker that never started
    // throws at once, and the page still gets its error.
    if (first.request !== undefined && !first.answered) {
      return respond(Promise.resolve().then(() => wasm.on_message(first.request)), first.sendResponse);
    }
  })
  .catch((e) => console.error('OneBasket:', e));

// Run `f` after everything before it; a failing handler never blocks the ones after it.
function later(f) {
  return (...args) => {
    first.close();
    ready = ready.then(() => f(...args)).catch((e) => console.error('OneBasket:', e));
  };
}

// Sends what `answer` (a promise of the worker's answer) settles to.
function respond(answer, sendResponse) {
  return answer.then(sendResponse, (e) => sendResponse({ type: 'error', message: String(e) }));
}

const allUrls = { urls: ['<all_urls>'] };
// Chrome hides Set-Cookie (the AWSALB fingerprint) without 'extraHeaders'; Firefox has no such
// option and rejects unknown ones.
const responseOptions = ['responseHeaders'];
if (api.webRequest.OnResponseStartedOptions?.EXTRA_HEADERS) responseOptions.push('extraHeaders');

api.webRequest.onResponseStarted.addListener(later((d) => wasm.on_response(d)), allUrls, responseOptions);
api.webRequest.onErrorOccurred.addListener(later((d) => wasm.on_request_error(d)), allUrls);
api.tabs.onUpdated.addListener(later((tabId, change, tab) => {
  if (change.status === 'complete' || change.url) {
    wasm.on_tab_updated(tabId, tab?.url ?? change.url, change.status === 'complete', tab?.incognito);
  }
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
  if (first.open) {
    Object.assign(first, { request: message, sendResponse });
    first.close();
  } else {
    const answer = ready.then(() => wasm.on_message(message));
    ready = answer.then(() => undefined, () => undefined);
    respond(answer, sendResponse);
  }
  return true;
});
