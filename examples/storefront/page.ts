// The demo shop's one HTML page: sluice.js first (no ticket → the queue), then shop.js, which
// shows the product, places the order and follows it. The favicon is inline, so the browser
// asks the shop for no /favicon.ico.
import { FAVICON_LINK } from '@sluice/shared';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export interface PageOptions {
  event: string;
  sluiceJsUrl: string;
  queuePageUrl: string;
  gateUrl: string;
  /** Path of the shop's API (`/demo-store/api/`) and of shop.js. */
  apiPath: string;
  shopJsPath: string;
  /** Cookie-mode hand-over endpoint, or null in fragment mode. */
  cookieEndpoint: string | null;
}

export function shopPage(o: PageOptions): string {
  const cookieAttrs = o.cookieEndpoint
    ? ` data-mode="cookie" data-cookie-endpoint="${esc(o.cookieEndpoint)}"`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo store</title>
${FAVICON_LINK}
<style>body{font:1.0625rem/1.5 system-ui,sans-serif;max-width:34rem;margin:2.5rem auto;padding:0 1.25rem;color:#1b1b1f}
.ok,.bad,.wait{padding:1rem;border-radius:.5rem}.ok{background:#e3f5e1;color:#0f3d0c}.bad{background:#fde7e6;color:#5c0f0a}
.wait{background:#fff4d6;color:#4a3500}#product{border:1px solid #d0d0d7;border-radius:.5rem;padding:1rem 1.25rem;margin:1.25rem 0}
#price{font-size:1.5rem;font-weight:600}button{font:inherit;padding:.5rem 1.25rem;border-radius:.375rem;border:0;background:#1f5fbf;color:#fff;cursor:pointer}
button:disabled{background:#9aa3b5;cursor:default}input{font:inherit;width:4rem;padding:.25rem}.row{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}</style>
<script src="${esc(o.sluiceJsUrl)}" data-event="${esc(o.event)}" data-queue="${esc(o.queuePageUrl)}" data-gate="${esc(o.gateUrl)}"${cookieAttrs}></script>
</head><body>
<h1>Demo store</h1>
<p id="verdict" role="status">Checking your admission with the shop…</p>
<section id="product" hidden>
  <h2 id="name"></h2>
  <p><span id="price"></span> · <span id="left"></span> left</p>
  <div class="row">
    <label>Quantity <input id="qty" type="number" min="1" max="1" value="1"></label>
    <small id="limit"></small>
    <button id="buy" type="button" disabled>Buy</button>
  </div>
</section>
<p id="message" role="alert" hidden></p>
<p id="order" role="status" hidden></p>
<script src="${esc(o.shopJsPath)}" data-api="${esc(o.apiPath)}"></script>
</body></html>`;
}
