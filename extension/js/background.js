// OneBasket background loader: the only hand-written JS of the worker.
//
// Every listener is registered synchronously at top level, so the event that woke a stopped
// service worker is never lost; each event is chained on `ready` and reaches the Rust worker in
// order once the wasm module has started (loaded settings, table and sites).
import init, * as wasm from './onebasket_extension.js';

const api = globalThis.browser ?? globalThis.chrome;

let ready = init({ module_or_path: new URL('onebasket_extension_bg.wasm', import.meta.url) })
  .then(() => wasm.start())
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
