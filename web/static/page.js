// OneBasket pages' loader: the only hand-written JS of the pages (MV3 allows no inline script).
// Starts the Yew module with the page named by <body data-page>.
import init, { start } from './onebasket_web.js';

init({ module_or_path: new URL('onebasket_web_bg.wasm', import.meta.url) })
  .then(() => start(document.body.dataset.page))
  .catch((e) => {
    console.error('OneBasket page failed to start:', e);
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = `OneBasket failed to start: ${e}`;
    document.body.append(p);
  });
