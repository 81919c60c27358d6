// OneBasket pages' loader: the only hand-written JS of the pages (MV3 allows no inline script).
// Starts the Yew module with the page named by <body data-page>: the popup has its own, smaller
// build of the crate (onebasket_popup), the dashboard and options page share onebasket_web.
// Both imports are literal so reviewers and linters see exactly what loads.
const page = document.body.dataset.page;
const [glue, wasm] = page === 'popup'
  ? [import('./onebasket_popup.js'), 'onebasket_popup_bg.wasm']
  : [import('./onebasket_web.js'), 'onebasket_web_bg.wasm'];

glue
  .then(({ default: init, start }) => init({ module_or_path: new URL(wasm, import.meta.url) })
    .then(() => start(page)))
  .catch((e) => {
    console.error('OneBasket page failed to start:', e);
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = `OneBasket failed to start: ${e}`;
    document.body.append(p);
  });
