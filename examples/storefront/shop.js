// The demo shop page's script: plain browser JavaScript, no framework, meant to be copied.
// sluice.js (loaded before this) has already sent shoppers without a ticket to the queue and put
// the ticket at window.sluice. Every call goes to this shop's own server (data-api), which
// forwards it to the Sluice checkout API with the ticket: see checkout-proxy.ts for why.
(() => {
  const api = document.currentScript.dataset.api;
  const $ = (id) => document.getElementById(id);
  const sluice = window.sluice;
  if (!sluice) return; // sluice.js is taking the shopper to the queue.

  // proofHeaders: the ticket, plus a fresh DPoP proof for this request when the event binds
  // tickets to the browser's key. The demo event does not bind them: a shop that relays a bound
  // ticket to checkout must relay a proof made for checkout's URL, which this demo does not do.
  const call = async (path, init = {}) => {
    const url = new URL(api + path, location.href).href;
    const proof = await sluice.proofHeaders(init.method ?? 'GET', url);
    return fetch(url, {
      ...init,
      credentials: 'same-origin',
      headers: { ...proof, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  };
  const money = (cents) => new Intl.NumberFormat(undefined, { style: 'currency', currency: 'EUR' }).format(cents / 100);
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  /** One message area for every outcome; `code` is the checkout's error code (tests read it). */
  function say(kind, text, code = '', action = null) {
    const m = $('message');
    m.hidden = false;
    m.className = kind;
    m.dataset.code = code;
    m.textContent = text + ' ';
    if (action) {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = action.label;
      b.addEventListener('click', action.run);
      m.append(b);
    }
  }
  const toQueue = { label: 'Back to the queue', run: () => sluice.queue() };

  let sub = '';
  let product = null;
  let bought = false;
  // The order in progress survives a reload: its Idempotency-Key makes a repeated Buy return the
  // same order instead of buying twice (or failing with "ticket used").
  const saved = () => JSON.parse(sessionStorage.getItem(`demo.order.${sub}`) || 'null');
  const save = (o) => sessionStorage.setItem(`demo.order.${sub}`, JSON.stringify(o));

  async function showProduct() {
    const res = await call('products');
    if (!res.ok) return say('bad', 'The shop cannot reach the checkout right now; reload in a moment.', 'UNAVAILABLE');
    const cat = await res.json();
    product = cat.products[0];
    if (!product) return;
    $('name').textContent = product.name;
    $('price').textContent = money(product.priceCents);
    $('left').textContent = String(product.remaining);
    const qty = $('qty');
    qty.max = String(Math.max(1, Math.min(product.limitPerShopper, product.remaining)));
    if (Number(qty.value) > Number(qty.max)) qty.value = qty.max;
    $('limit').textContent = `at most ${product.limitPerShopper} per shopper`;
    $('product').hidden = false;
    $('buy').disabled = bought || product.remaining === 0;
    if (product.remaining === 0 && !bought && $('message').dataset.code !== 'SOLD_OUT') {
      say('bad', 'Sold out: every unit has been sold.', 'SOLD_OUT');
    }
  }

  /** Place the order; a busy checkout is retried with the same Idempotency-Key. */
  async function buy() {
    $('buy').disabled = true;
    const qty = Number($('qty').value);
    let o = saved();
    if (!o) {
      o = { key: crypto.randomUUID(), orderId: null };
      save(o);
    }
    for (let attempt = 0; attempt < 6; attempt++) {
      let res = null;
      try {
        res = await call('buy', { method: 'POST', body: JSON.stringify({ sku: product.sku, qty, key: o.key }) });
      } catch {
        // Network error: handled below like a busy checkout.
      }
      if (res?.status === 202) {
        const accepted = await res.json();
        o.orderId = accepted.orderId;
        save(o);
        bought = true;
        $('message').hidden = true;
        return follow(o.orderId);
      }
      const code = res ? ((await res.json().catch(() => null))?.error?.code ?? '') : 'NETWORK';
      if (res && res.status !== 429 && res.status !== 503) return refused(code);
      const wait = 2 ** attempt;
      say('wait', `The checkout is busy; trying again in ${wait} s with the same order key (you will not be charged twice).`, code);
      await sleep(wait * 1000);
    }
    say('bad', 'The checkout is still busy.', 'UNAVAILABLE', { label: 'Try again', run: buy });
    $('buy').disabled = false;
  }

  async function refused(code) {
    const texts = {
      SOLD_OUT: 'Sold out: the last units went before your order.',
      LIMIT_REACHED: 'You already hold as many units as one shopper may buy.',
      TICKET_USED: 'This ticket has already been used for an order (in another tab or browser).',
      EVENT_NOT_OPEN: 'The sale is not open at the moment.',
    };
    if (code === 'TICKET_EXPIRED') return say('bad', 'Your ticket has expired.', code, toQueue);
    if (code.startsWith('TICKET_') && code !== 'TICKET_USED') {
      return say('bad', 'The shop did not accept your ticket.', code, toQueue);
    }
    if (code === 'SOLD_OUT') {
      // Fewer units left than asked for is also SOLD_OUT: show what is left and let them retry.
      await showProduct();
      if (product && product.remaining > 0) {
        $('buy').disabled = false;
        return say('wait', `Only ${product.remaining} left: lower the quantity and click Buy again.`, 'FEWER_LEFT');
      }
    }
    say('bad', texts[code] ?? `The order was refused (${code || 'unknown error'}).`, code);
    bought = code === 'TICKET_USED'; // nothing more to buy with this ticket
    $('buy').disabled = code === 'SOLD_OUT' || bought;
  }

  /** Poll the order until the worker has charged and written it (pending → confirmed | failed). */
  async function follow(orderId) {
    const box = $('order');
    box.hidden = false;
    $('buy').disabled = true;
    for (let i = 0; i < 240; i++) {
      const res = await call(`orders/${encodeURIComponent(orderId)}`).catch(() => null);
      const view = res?.ok ? await res.json() : null;
      const status = view?.status ?? 'pending';
      box.dataset.status = status;
      box.className = status === 'confirmed' ? 'ok' : status === 'failed' ? 'bad' : 'wait';
      if (status === 'confirmed') {
        box.textContent = `Order confirmed: ${view.qty} × ${product?.name ?? view.sku}, ${money(view.amountCents)}. Order ${orderId}.`;
        return showProduct();
      }
      if (status === 'failed') {
        box.textContent = `Order failed (${view.failReason ?? 'unknown'}): the units went back on sale. Order ${orderId}.`;
        return showProduct();
      }
      box.textContent = `Order ${orderId}: pending, the payment is being processed…`;
      await sleep(500);
    }
    box.textContent = `Order ${orderId} is still pending; look again later.`;
  }

  (async () => {
    const v = $('verdict');
    // At once with a ticket, or after an always-on room let the shopper straight through.
    await sluice.ready;
    const res = await call('session');
    if (!res.ok) {
      v.className = 'bad';
      v.textContent = 'The shop did not accept your ticket. Taking you back to the queue…';
      setTimeout(() => sluice.queue(), 3000);
      return;
    }
    const c = await res.json();
    sub = c.sub;
    v.className = 'ok';
    v.dataset.sub = c.sub;
    v.textContent = `You are in: the shop's server verified your ticket. Buy before ${new Date(c.exp * 1000).toLocaleTimeString()}.`;
    $('buy').addEventListener('click', buy);
    await showProduct();
    const o = saved();
    if (o?.orderId) {
      bought = true;
      await follow(o.orderId);
    }
    // Keep "units left" current while the shopper decides (the catalogue is cached for 1 s).
    setInterval(() => {
      if (!bought) showProduct();
    }, 3000);
  })();
})();
