// Brew & Bean page script. The cart lives on the store's server (its own session cookie); pages only call the
// store's JSON API. Cart events reach CartCall from the server, never from here.
(() => {
  'use strict';
  const $ = (sel) => document.querySelector(sel);
  const money = (n, c) => new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).format(n);
  const status = (text, isError) => { const s = $('#status'); if (s) { s.textContent = text; s.classList.toggle('error', !!isError); } };
  const el = (tag, props, ...kids) => { const e = Object.assign(document.createElement(tag), props); e.append(...kids); return e; };

  async function api(method, path, body) {
    const r = await fetch('/store/api' + path, {
      method, credentials: 'same-origin',
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await r.json().catch(() => null);
    if (!r.ok) throw new Error((data && data.detail) || 'Request failed (' + r.status + ')');
    return data;
  }

  const showCount = (cart) => { $('#cart-count').textContent = cart.itemCount; };

  function summary(cart) {
    const box = $('#summary');
    if (!box) return;
    box.replaceChildren(el('h2', { textContent: 'Order summary' }),
      ...cart.items.map((i) => el('p', { textContent: `${i.quantity} × ${i.title}: ${money(i.lineTotal, cart.currency)}` })),
      el('p', { textContent: 'Shipping: ' + (cart.shipping ? money(cart.shipping.price, cart.currency) : 'chosen next') }),
      el('p', {}, el('strong', { textContent: 'Total: ' + money(cart.total, cart.currency) })));
  }

  const pages = {
    async products() {
      const [{ products, currency }, cart] = await Promise.all([api('GET', '/products'), api('GET', '/cart')]);
      showCount(cart);
      $('#products').replaceChildren(...products.map((p) => el('li', {},
        el('h2', { textContent: p.title }), el('p', { textContent: p.description }),
        el('p', { className: 'price', textContent: money(p.unitPrice, currency) }),
        el('button', {
          type: 'button', className: 'primary', textContent: 'Add to cart', ariaLabel: 'Add ' + p.title + ' to cart',
          onclick: async () => {
            try { showCount(await api('POST', '/cart/items', { sku: p.sku, quantity: 1 })); status(p.title + ' added to your cart.'); }
            catch (e) { status(e.message, true); }
          },
        }))));
    },

    async cart() {
      const render = (cart) => {
        showCount(cart);
        $('#to-checkout').hidden = $('#coupon').hidden = cart.items.length === 0;
        if (!cart.items.length) return $('#cart').replaceChildren(el('p', { textContent: 'Your cart is empty.' }));
        const rows = cart.items.map((i) => el('tr', {},
          el('td', { textContent: i.title }), el('td', { className: 'num', textContent: i.quantity }),
          el('td', { className: 'num', textContent: money(i.lineTotal, cart.currency) }),
          el('td', {}, el('button', {
            type: 'button', textContent: 'Remove', ariaLabel: 'Remove ' + i.title,
            onclick: async () => { render(await api('DELETE', '/cart/items/' + encodeURIComponent(i.sku))); status(i.title + ' removed.'); },
          }))));
        $('#cart').replaceChildren(el('table', {},
          el('thead', {}, el('tr', {}, el('th', { textContent: 'Item' }), el('th', { className: 'num', textContent: 'Qty' }),
            el('th', { className: 'num', textContent: 'Price' }), el('th', {}))),
          el('tbody', {}, ...rows),
          el('tfoot', {}, el('tr', {}, el('th', { textContent: 'Subtotal', colSpan: 2 }),
            el('th', { className: 'num', textContent: money(cart.subtotal, cart.currency) }), el('th', {})))));
      };
      render(await api('GET', '/cart'));
      $('#coupon').addEventListener('submit', async (e) => {
        e.preventDefault();
        try { await api('POST', '/cart/coupon', { code: $('#coupon-code').value }); } catch (err) { status(err.message, true); }
      });
    },

    // Each checkout step takes over its form's submit before it awaits anything: a quick shopper's press must never
    // fall through to the browser's own form submission (a reload that loses what was typed).
    async details() {
      const form = $('#details');
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        try { await api('POST', '/checkout/details', Object.fromEntries(new FormData(form))); location.href = '/checkout/shipping'; }
        catch (err) { status(err.message, true); }
      });
      const cart = await api('GET', '/cart');
      showCount(cart);
      summary(cart);
      // Saved details fill only fields the shopper has not typed into meanwhile.
      if (cart.details) Object.entries(cart.details).forEach(([k, v]) => { if (form.elements[k] && !form.elements[k].value) form.elements[k].value = v; });
    },

    async shipping() {
      const form = $('#shipping');
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (!form.elements.option) return; // the options are still loading
        try { await api('POST', '/checkout/shipping', { option: form.elements.option.value }); location.href = '/checkout/payment'; }
        catch (err) { status(err.message, true); }
      });
      const cart = await api('GET', '/cart');
      showCount(cart);
      summary(cart);
      $('#shipping-options').replaceChildren(...cart.shippingOptions.map((s, i) => el('label', {},
        el('input', { type: 'radio', name: 'option', value: s.id, checked: cart.shipping ? cart.shipping.id === s.id : i === 0 }),
        el('span', { textContent: `${s.label}: ${money(s.price, cart.currency)}` }))));
    },

    async payment() {
      const form = $('#payment');
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        status('');
        $('#pay').disabled = true;
        try { const r = await api('POST', '/checkout/payment', Object.fromEntries(new FormData(form))); location.href = r.url; }
        catch (err) { status(err.message, true); $('#pay').disabled = false; }
      });
      const cart = await api('GET', '/cart');
      showCount(cart);
      summary(cart);
    },

    async order() {
      const id = decodeURIComponent(location.pathname.split('/').pop());
      const o = await api('GET', '/orders/' + encodeURIComponent(id));
      $('#cart-count').textContent = '0';
      $('#order').replaceChildren(
        el('p', { textContent: `Order ${o.orderId} is confirmed. A receipt is on its way.` }),
        ...o.items.map((i) => el('p', { textContent: `${i.quantity} × ${i.title}: ${money(i.lineTotal, o.currency)}` })),
        el('p', { textContent: `Shipping (${o.shipping.label}): ${money(o.shipping.price, o.currency)}` }),
        el('p', {}, el('strong', { textContent: 'Total paid: ' + money(o.total, o.currency) })));
    },
  };

  const run = pages[document.body.dataset.page];
  if (run) run().catch((e) => status(e.message, true));
})();
