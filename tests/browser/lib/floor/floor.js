// The worker of startup.test.mjs's probe extension: what a start costs the browser alone. It
// makes exactly the reads OneBasket's worker makes at a start (reads.js, copied from the dist
// next to this file), and in the probe whose mode.js says so it also compiles OneBasket's
// worker wasm (copied too), as background.js does; then it answers a page's message. The time
// from a stopped worker to that answer is the floor under OneBasket's own start.
import { bytes, startReads } from './reads.js';
import { compile } from './mode.js';

const at = {};
const mark = (name) => (v) => { at[name] = performance.now(); return v; };
const { stored, table } = startReads(chrome);
const done = Promise.all([
  stored.then(mark('records')),
  table.then(mark('table')),
  compile ? WebAssembly.compileStreaming(fetch('onebasket_extension_bg.wasm')).then(mark('wasm')) : null,
]);

chrome.runtime.onMessage.addListener((message, _sender, sendResponse) => {
  if (message.type === 'putTable') {
    bytes.put('table', new Uint8Array(message.bytes)).then(() => sendResponse(true), (e) => sendResponse(String(e)));
    return true;
  }
  if (message.type !== 'probe') return false;
  if (!message.wait) {
    sendResponse({ at });
    return false;
  }
  done.then(([records, tableRead]) => sendResponse({
    at,
    records: records.value ? Object.keys(records.value).length : records.error,
    tableBytes: tableRead.value?.byteLength ?? tableRead.error ?? null,
  }));
  return true;
});
