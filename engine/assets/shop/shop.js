/*
 * Copper & Thyme, the demo storefront: all page logic, one classic script, no dependencies.
 * Every page says which one it is in <body data-page="…">.
 *
 * Tracking never calls the widget directly: events go through
 *   (window.profferQueue = window.profferQueue || []).push([eventName, properties])
 * so the shop works the same with the widget missing, slow or broken.
 * Prices in events are JSON numbers in major units (price_micros / 1e6).
 *
 * Stable hooks for automated tests (data-testid; the element id is the same unless noted):
 *   every page   home-link, cart-link, cart-count (the badge; its text is the item count)
 *   index.html   category-filter, category-all, category-<slug> (e.g. category-tea,
 *                category-kettles-coffee; aria-pressed tells the active one), list-status,
 *                product-grid, product-card-<ID>, product-link-<ID>, add-to-cart-<ID>
 *   product.html product, product-status, product-image, product-category, product-name,
 *                product-price, product-description, product-qty, add-to-cart, add-status
 *   cart.html    cart, cart-status, cart-lines, cart-line-<ID>, qty-<ID>, remove-<ID>,
 *                line-total-<ID>, cart-items-count, cart-total, go-to-checkout, cart-empty
 *   checkout     checkout-steps, checkout-status, checkout-error, step-shipping, step-payment,
 *                step-review, ship-name, ship-email, ship-address, ship-postcode, ship-city,
 *                ship-country, pay-card, pay-expiry, pay-cvc, review-shipping, review-payment,
 *                checkout-back, checkout-next, place-order, checkout-lines, checkout-total,
 *                checkout-empty; a field's error text is in #<field id>-error
 *   order.html   order-status, order, order-id, order-lines, order-total, order-shipping
 */
(function () {
  'use strict';

  const PENDING_ORDER_KEY = 'shop_pending_order';
  const MAX_QTY = 99;

  // ---------- small helpers ----------

  function track(event, properties) {
    try {
      (window.profferQueue = window.profferQueue || []).push([event, properties]);
    } catch (e) {
      // A broken widget must never break the shop.
    }
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }

  function slug(s) {
    return String(s).toLowerCase().replace(/&/g, ' ').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  }

  function microsOf(p) {
    if (Number.isInteger(p.price_micros)) return p.price_micros;
    return Math.round(Number(p.price) * 1e6);
  }

  // Exact for any micro amount a shop uses: both operands are exact doubles and division rounds once.
  function major(micros) { return micros / 1e6; }

  const formatters = {};
  function money(micros, currency) {
    const cur = currency || 'EUR';
    try {
      formatters[cur] = formatters[cur] || new Intl.NumberFormat('en-IE', { style: 'currency', currency: cur });
      return formatters[cur].format(major(micros));
    } catch (e) {
      return major(micros).toFixed(2) + ' ' + cur;
    }
  }

  function imageFor(id, product) {
    return (product && product.image) || '/shop/img/' + encodeURIComponent(id) + '.svg';
  }

  class ApiError extends Error {
    constructor(status, body) {
      const e = (body && body.error) || {};
      super(e.message || (status ? 'The shop answered ' + status : 'The shop cannot be reached'));
      this.status = status;
      this.code = e.code || null;
      this.field = e.field || null;
    }
  }

  async function api(method, path, body) {
    let res;
    try {
      res = await fetch('/shop/api' + path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new ApiError(0, null);
    }
    let data = null;
    try { data = await res.json(); } catch (e) { /* an empty or non-JSON answer */ }
    if (!res.ok) throw new ApiError(res.status, data);
    return data;
  }

  let productsPromise = null;
  // The product list is only decoration on the cart pages (pictures, categories), so failure is tolerated there.
  function loadProducts() {
    productsPromise = productsPromise || api('GET', '/products').then((d) => (d && d.products) || []);
    return productsPromise;
  }
  function productMap(list) {
    const m = new Map();
    for (const p of list || []) m.set(p.id, p);
    return m;
  }

  function cartCount(cart) {
    return ((cart && cart.items) || []).reduce((n, i) => n + (i.quantity || 0), 0);
  }

  function setBadge(cart) {
    const badge = $('cart-count');
    if (!badge) return;
    const n = String(cartCount(cart));
    if (badge.textContent !== n) {
      badge.textContent = n;
      badge.classList.remove('bump');
      void badge.offsetWidth; // restart the animation
      badge.classList.add('bump');
    }
  }

  async function refreshBadge() {
    try { setBadge(await api('GET', '/cart')); } catch (e) { /* the badge just stays at 0 */ }
  }

  function setStatus(id, text, isError) {
    const node = $(id);
    if (!node) return;
    node.textContent = text || '';
    node.classList.toggle('error', !!isError);
  }

  // Segment's product object, built from either a catalogue product or a cart/order line.
  function segProduct(line, products, extra) {
    const id = line.product_id || line.id;
    const p = products && products.get(id);
    const out = {
      product_id: id,
      sku: id,
      name: line.name || (p && p.name),
      price: major(microsOf(line.price_micros !== undefined ? line : (p || line))),
    };
    const category = line.category || (p && p.category);
    if (category) out.category = category;
    if (line.quantity !== undefined) out.quantity = line.quantity;
    return Object.assign(out, extra || {});
  }

  function cartProducts(cart, products) {
    return (cart.items || []).map((i) => segProduct(i, products));
  }

  function readSession(key) {
    try { return JSON.parse(sessionStorage.getItem(key) || 'null'); } catch (e) { return null; }
  }
  function writeSession(key, value) {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
      return true;
    } catch (e) { return false; }
  }

  // ---------- index.html: catalogue ----------

  async function pageIndex() {
    let products;
    try {
      products = (await api('GET', '/products')).products || [];
    } catch (e) {
      setStatus('list-status', 'The catalogue could not be loaded. Please try again in a moment.', true);
      return;
    }
    const categories = [...new Set(products.map((p) => p.category))];
    const filter = $('category-filter');
    const grid = $('product-grid');
    const wanted = new URLSearchParams(location.search).get('category');
    let current = categories.find((c) => slug(c) === wanted) || null;

    const chips = [];
    function chip(label, category) {
      const b = el('button', {
        type: 'button', class: 'chip', text: label,
        'data-testid': 'category-' + (category ? slug(category) : 'all'),
        id: 'category-' + (category ? slug(category) : 'all'),
        onclick: () => select(category),
      });
      b._category = category;
      chips.push(b);
      return b;
    }
    filter.append(chip('All', null), ...categories.map((c) => chip(c, c)));

    function select(category) {
      current = category;
      const url = new URL(location.href);
      if (category) url.searchParams.set('category', slug(category));
      else url.searchParams.delete('category');
      history.replaceState(null, '', url);
      render();
    }

    function render() {
      for (const b of chips) b.setAttribute('aria-pressed', String(b._category === current));
      const shown = current ? products.filter((p) => p.category === current) : products;
      grid.replaceChildren(...shown.map(card));
      setStatus('list-status', current ? shown.length + ' products in ' + current : '');
      grid.setAttribute('aria-label', current ? 'Products in ' + current : 'All products');
      const props = {
        list_id: current ? slug(current) : 'all',
        products: shown.map((p, i) => segProduct(p, null, { position: i + 1 })),
      };
      if (current) props.category = current;
      track('Product List Viewed', props);
    }

    function card(p) {
      const href = '/product.html?id=' + encodeURIComponent(p.id);
      const add = el('button', {
        type: 'button', class: 'btn small', text: 'Add to cart',
        'data-testid': 'add-to-cart-' + p.id, 'aria-label': 'Add ' + p.name + ' to cart',
      });
      add.addEventListener('click', () => addToCart(p, 1, add, (text, isError) => setStatus('list-status', text, isError)));
      return el('li', { class: 'card', 'data-testid': 'product-card-' + p.id },
        el('img', { src: imageFor(p.id, p), alt: '', width: 400, height: 400, loading: 'lazy' }),
        el('div', { class: 'card-body' },
          el('p', { class: 'card-cat', text: p.category }),
          el('h2', {}, el('a', { href, text: p.name, 'data-testid': 'product-link-' + p.id })),
          el('div', { class: 'card-foot' },
            el('span', { class: 'price', text: money(microsOf(p), p.currency) }),
            add)));
    }

    render();
  }

  async function addToCart(p, quantity, button, report) {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      const cart = await api('POST', '/cart/items', { product_id: p.id, quantity });
      setBadge(cart);
      track('Product Added', Object.assign({ cart_id: cart.cart_id },
        segProduct(p, null, { quantity, currency: cart.currency || p.currency || 'EUR' })));
      report('Added ' + quantity + ' × ' + p.name + ' to your cart.', false);
    } catch (e) {
      report('Sorry, ' + p.name + ' could not be added: ' + e.message, true);
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  // ---------- product.html ----------

  async function pageProduct() {
    const id = new URLSearchParams(location.search).get('id');
    if (!id) {
      setStatus('product-status', 'No product was chosen. Have a look at the whole shop instead.', true);
      return;
    }
    let p;
    try {
      p = await api('GET', '/products/' + encodeURIComponent(id));
    } catch (e) {
      setStatus('product-status', e.status === 404 ? 'We could not find that product. It may have sold out for good.' : 'The product could not be loaded: ' + e.message, true);
      return;
    }
    document.title = p.name + ' · Copper & Thyme';
    const img = $('product-image');
    img.src = imageFor(p.id, p);
    img.alt = p.name;
    $('product-category').textContent = p.category || '';
    $('product-name').textContent = p.name;
    $('product-price').textContent = money(microsOf(p), p.currency);
    $('product-description').textContent = p.description || '';
    const crumb = $('crumb-category');
    if (p.category) {
      crumb.textContent = p.category;
      crumb.href = '/?category=' + encodeURIComponent(slug(p.category));
    }
    setStatus('product-status', '');
    $('product').hidden = false;

    track('Product Viewed', segProduct(p, null, {
      currency: p.currency || 'EUR',
      url: location.href,
      image_url: new URL(imageFor(p.id, p), location.href).href,
    }));

    const qty = $('product-qty');
    const qtyErr = $('product-qty-error');
    $('add-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const n = Number(qty.value);
      if (!Number.isInteger(n) || n < 1 || n > MAX_QTY) {
        qty.setAttribute('aria-invalid', 'true');
        qtyErr.textContent = 'Choose a quantity from 1 to ' + MAX_QTY + '.';
        qty.focus();
        return;
      }
      qty.removeAttribute('aria-invalid');
      qtyErr.textContent = '';
      const status = $('add-status');
      addToCart(p, n, $('add-to-cart'), (text, isError) => {
        status.replaceChildren(text);
        status.classList.toggle('error', isError);
        if (!isError) status.append(' ', el('a', { href: '/cart.html', text: 'View cart' }));
      });
    });
  }

  // ---------- cart.html ----------

  async function pageCart() {
    let cart;
    let products = new Map();
    try {
      const [c, list] = await Promise.all([api('GET', '/cart'), loadProducts().catch(() => [])]);
      cart = c;
      products = productMap(list);
    } catch (e) {
      setStatus('cart-status', 'Your cart could not be loaded: ' + e.message, true);
      return;
    }
    setStatus('cart-status', '');
    render();
    track('Cart Viewed', { cart_id: cart.cart_id, products: cartProducts(cart, products) });

    // Changes run one after another so each difference is computed against the cart the server last returned.
    let chain = Promise.resolve();
    function serial(task) {
      chain = chain.then(task, task);
      return chain;
    }

    function lineOf(id) { return (cart.items || []).find((i) => i.product_id === id); }

    function render() {
      const items = cart.items || [];
      setBadge(cart);
      $('cart').hidden = items.length === 0;
      $('cart-empty').hidden = items.length !== 0;
      const focusedId = document.activeElement && document.activeElement.id;
      $('cart-lines').replaceChildren(...items.map(line));
      $('cart-items-count').textContent = String(cartCount(cart));
      $('cart-total').textContent = money(cart.total_micros, cart.currency);
      if (focusedId && $(focusedId)) $(focusedId).focus();
    }

    function line(item) {
      const id = item.product_id;
      const p = products.get(id);
      const name = item.name || (p && p.name) || id;
      const href = '/product.html?id=' + encodeURIComponent(id);
      const qty = el('input', {
        id: 'qty-' + id, 'data-testid': 'qty-' + id, type: 'number', inputmode: 'numeric',
        min: 0, max: MAX_QTY, value: item.quantity,
      });
      qty.addEventListener('change', () => {
        const n = Number(qty.value);
        if (!Number.isInteger(n) || n < 0 || n > MAX_QTY) {
          setStatus('cart-status', 'Choose a quantity from 0 to ' + MAX_QTY + ' for ' + name + '.', true);
          qty.value = String((lineOf(id) || item).quantity);
          return;
        }
        serial(() => setQuantity(id, n));
      });
      const remove = el('button', {
        type: 'button', class: 'btn link', id: 'remove-' + id, 'data-testid': 'remove-' + id,
        text: 'Remove', 'aria-label': 'Remove ' + name,
      });
      remove.addEventListener('click', () => serial(() => setQuantity(id, 0)));
      return el('li', { class: 'cart-line', id: 'cart-line-' + id, 'data-testid': 'cart-line-' + id },
        el('img', { src: imageFor(id, p), alt: '', width: 88, height: 88 }),
        el('div', {},
          el('h2', {}, el('a', { href, text: name })),
          el('p', { class: 'line-meta', text: money(item.price_micros, cart.currency) + ' each' }),
          el('div', { class: 'line-controls' },
            el('label', { for: 'qty-' + id, text: 'Quantity' }, el('span', { class: 'visually-hidden', text: ' of ' + name })),
            qty, remove)),
        el('div', {
          class: 'line-total', id: 'line-total-' + id, 'data-testid': 'line-total-' + id,
          text: money(item.price_micros * item.quantity, cart.currency),
        }));
    }

    async function setQuantity(id, n) {
      const before = lineOf(id);
      if (!before) return;
      const diff = n - before.quantity;
      if (diff === 0) return;
      try {
        cart = n === 0
          ? await api('DELETE', '/cart/items/' + encodeURIComponent(id))
          : await api('PUT', '/cart/items/' + encodeURIComponent(id), { quantity: n });
      } catch (e) {
        setStatus('cart-status', 'Your cart could not be updated: ' + e.message, true);
        render();
        return;
      }
      track(diff > 0 ? 'Product Added' : 'Product Removed', Object.assign({ cart_id: cart.cart_id },
        segProduct(before, products, { quantity: Math.abs(diff), currency: cart.currency || 'EUR' })));
      const name = before.name || id;
      const wasFocused = document.activeElement;
      render();
      if (n === 0) {
        setStatus('cart-status', 'Removed ' + name + ' from your cart.');
        // The focused control has just left the page; give focus a sensible place to land.
        if (!document.body.contains(wasFocused)) {
          const next = document.querySelector('.cart-line input');
          (next || $('cart-heading')).focus();
        }
      } else {
        setStatus('cart-status', 'Quantity of ' + name + ' is now ' + n + '.');
      }
    }
  }

  // ---------- checkout.html ----------

  const FIELDS = {
    1: [
      ['ship-name', 'name', (v) => (v ? '' : 'Please enter your full name.')],
      ['ship-email', 'email', (v) => (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) ? '' : 'Please enter an email address like name@example.com.')],
      ['ship-address', 'address', (v) => (v ? '' : 'Please enter your street address.')],
      ['ship-postcode', 'postcode', (v) => (v ? '' : 'Please enter your postcode.')],
      ['ship-city', 'city', (v) => (v ? '' : 'Please enter your city.')],
      ['ship-country', 'country', (v) => (v ? '' : 'Please choose a country.')],
    ],
    2: [
      ['pay-card', 'card_number', (v) => (/^\d{12,19}$/.test(v.replace(/[\s-]/g, '')) ? '' : 'Please enter the 12 to 19 digits of your card number.')],
      ['pay-expiry', 'expiry', checkExpiry],
      ['pay-cvc', 'cvc', (v) => (/^\d{3,4}$/.test(v) ? '' : 'Please enter the 3 or 4 digit security code.')],
    ],
  };

  function checkExpiry(v) {
    const m = /^(\d{1,2})\s*\/\s*(\d{2}|\d{4})$/.exec(v);
    if (!m || +m[1] < 1 || +m[1] > 12) return 'Please enter the expiry date as MM/YY.';
    const year = m[2].length === 2 ? 2000 + +m[2] : +m[2];
    const now = new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && +m[1] < now.getMonth() + 1)) return 'This card has expired.';
    return '';
  }

  function fieldError(id, message) {
    const input = $(id);
    const err = $(id + '-error');
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
    if (err) err.textContent = message || '';
  }

  async function pageCheckout() {
    let cart;
    let products = new Map();
    try {
      const [c, list] = await Promise.all([api('GET', '/cart'), loadProducts().catch(() => [])]);
      cart = c;
      products = productMap(list);
    } catch (e) {
      setStatus('checkout-status', 'Your cart could not be loaded: ' + e.message, true);
      return;
    }
    setBadge(cart);
    setStatus('checkout-status', '');
    if (!cart.items || cart.items.length === 0) {
      $('checkout-empty').hidden = false;
      $('checkout-steps').hidden = true;
      return;
    }
    $('checkout').hidden = false;
    renderSummary($('checkout-lines'), cart.items, cart.currency, products);
    $('checkout-total').textContent = money(cart.total_micros, cart.currency);

    const currency = cart.currency || 'EUR';
    const value = major(cart.total_micros);
    track('Checkout Started', { value, currency, products: cartProducts(cart, products) });

    const form = $('checkout-form');
    const errorBox = $('checkout-error');
    let step = 0;
    let placing = false;

    function showError(text) {
      errorBox.textContent = text || '';
      errorBox.hidden = !text;
    }

    function show(n, focusTarget) {
      step = n;
      for (const i of [1, 2, 3]) {
        $('step-' + i).hidden = i !== n;
        const li = $('steps-' + i);
        if (i === n) li.setAttribute('aria-current', 'step');
        else li.removeAttribute('aria-current');
        li.classList.toggle('done', i < n);
      }
      $('checkout-back').hidden = n === 1;
      $('checkout-next').hidden = n === 3;
      $('place-order').hidden = n !== 3;
      if (n === 3) fillReview();
      track('Checkout Step Viewed', stepProps(n));
      // On arrival the page itself is the context; afterwards focus follows the step so it is announced.
      if (focusTarget !== false) (focusTarget || $('step-' + n + '-title')).focus();
    }

    function stepProps(n) {
      const props = { step: n };
      if (n >= 2) props.shipping_method = 'standard';
      if (n >= 3) props.payment_method = 'card';
      return props;
    }

    function validate(n) {
      let first = null;
      for (const [id, , check] of FIELDS[n] || []) {
        const message = check($(id).value.trim());
        fieldError(id, message);
        if (message && !first) first = id;
      }
      if (first) $(first).focus();
      return !first;
    }

    function values(n) {
      const out = {};
      for (const [id, key] of FIELDS[n]) out[key] = $(id).value.trim();
      return out;
    }

    function fillReview() {
      const s = values(1);
      const country = $('ship-country').selectedOptions[0];
      $('review-shipping').textContent = [s.name, s.address, s.postcode + ' ' + s.city, country ? country.textContent : s.country, s.email].join('\n');
      const digits = values(2).card_number.replace(/\D/g, '');
      $('review-payment').textContent = 'Card ending in ' + digits.slice(-4) + '\nExpires ' + values(2).expiry;
    }

    for (const b of document.querySelectorAll('[data-goto]')) {
      b.addEventListener('click', () => { showError(''); show(Number(b.dataset.goto)); });
    }
    $('checkout-back').addEventListener('click', () => { showError(''); if (step > 1) show(step - 1); });
    // Card digits are easier to check grouped in fours.
    $('pay-card').addEventListener('blur', (ev) => {
      const d = ev.target.value.replace(/[\s-]/g, '');
      if (/^\d{12,19}$/.test(d)) ev.target.value = d.replace(/(\d{4})(?=\d)/g, '$1 ');
    });

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      if (placing) return;
      showError('');
      if (step < 3) {
        if (!validate(step)) return;
        if (step === 2) track('Payment Info Entered', { step: 2, shipping_method: 'standard', payment_method: 'card' });
        track('Checkout Step Completed', stepProps(step));
        show(step + 1);
        return;
      }
      placeOrder();
    });

    async function placeOrder() {
      if (!validate(1)) { show(1); validate(1); return; }
      if (!validate(2)) { show(2); validate(2); return; }
      placing = true;
      const button = $('place-order');
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = 'Placing your order…';
      track('Checkout Step Completed', stepProps(3));
      const payment = values(2);
      payment.card_number = payment.card_number.replace(/[\s-]/g, '');
      let order;
      try {
        order = await api('POST', '/orders', { shipping: values(1), payment });
      } catch (e) {
        placing = false;
        button.disabled = false;
        button.removeAttribute('aria-busy');
        button.textContent = 'Place order';
        orderFailed(e);
        return;
      }
      const pending = {
        order_id: order.order_id, cart_id: cart.cart_id,
        total_micros: order.total_micros, currency: order.currency || currency,
        items: order.items || cart.items,
      };
      // Order Completed is sent from the confirmation page, once, so a slow widget still sees it.
      if (!writeSession(PENDING_ORDER_KEY, pending)) track('Order Completed', orderCompletedProps(pending, products));
      location.assign('/order.html?id=' + encodeURIComponent(order.order_id));
    }

    function orderFailed(e) {
      if (e.status === 402 || e.code === 'payment_declined') {
        track('Payment Failed', {
          cart_id: cart.cart_id, value, currency, payment_method: 'card',
          reason: e.code || 'payment_declined', message: e.message,
        });
        show(2, $('pay-card'));
        fieldError('pay-card', 'Your card was declined. Please check the number or use another card.');
        showError('Your payment was declined and you have not been charged. Please try again or use another card.');
        $('pay-card').focus();
        return;
      }
      const target = e.field && fieldForServerName(e.field);
      if (target) {
        show(target.step, $(target.id));
        fieldError(target.id, e.message);
        showError('Please check the highlighted field.');
        $(target.id).focus();
        return;
      }
      showError(e.status === 0
        ? 'We could not reach the shop. Check your connection and press "Place order" again.'
        : 'Your order could not be placed: ' + e.message + '. Please try again.');
      errorBox.focus();
    }

    function fieldForServerName(name) {
      const key = String(name).split('.').pop();
      for (const n of [1, 2]) for (const [id, k] of FIELDS[n]) if (k === key) return { id, step: n };
      return null;
    }

    show(1, false);
  }

  function renderSummary(list, items, currency, products) {
    list.replaceChildren(...items.map((i) => {
      const p = products.get(i.product_id);
      return el('li', { 'data-testid': 'summary-line-' + i.product_id },
        el('img', { src: imageFor(i.product_id, p), alt: '', width: 48, height: 48 }),
        el('span', {}, i.name || (p && p.name) || i.product_id, el('span', { class: 'q', text: 'Qty ' + i.quantity })),
        el('span', { class: 'price', text: money(i.price_micros * i.quantity, currency) }));
    }));
  }

  function orderCompletedProps(order, products) {
    const total = major(order.total_micros);
    return {
      order_id: order.order_id,
      cart_id: order.cart_id,
      total,
      revenue: total,
      currency: order.currency || 'EUR',
      products: (order.items || []).map((i) => segProduct(i, products)),
    };
  }

  // ---------- order.html ----------

  async function pageOrder() {
    const id = new URLSearchParams(location.search).get('id');
    if (!id) {
      setStatus('order-status', 'No order number was given.', true);
      return;
    }
    const pending = readSession(PENDING_ORDER_KEY);
    const mine = pending && String(pending.order_id) === id ? pending : null;
    let order = null;
    let products = new Map();
    try {
      const [o, list] = await Promise.all([api('GET', '/orders/' + encodeURIComponent(id)), loadProducts().catch(() => [])]);
      order = o;
      products = productMap(list);
    } catch (e) {
      if (!mine) {
        setStatus('order-status', e.status === 404 ? 'We could not find order ' + id + '.' : 'Your order could not be loaded: ' + e.message, true);
        refreshBadge();
        return;
      }
    }
    const shown = Object.assign({}, mine || {}, order || {});
    shown.order_id = shown.order_id || shown.id || id;
    const currency = shown.currency || 'EUR';
    setStatus('order-status', '');
    $('order').hidden = false;
    $('order-id').textContent = String(shown.order_id);
    renderSummary($('order-lines'), shown.items || [], currency, products);
    if (Number.isInteger(shown.total_micros)) $('order-total').textContent = money(shown.total_micros, currency);
    const s = shown.shipping;
    if (s && typeof s === 'object') {
      $('order-shipping').textContent = 'Delivering to ' + [s.name, s.address, [s.postcode, s.city].filter(Boolean).join(' '), s.country].filter(Boolean).join(', ') + '.';
    }
    $('order-heading').focus();

    if (mine) {
      writeSession(PENDING_ORDER_KEY, null);
      track('Order Completed', orderCompletedProps(Object.assign({}, shown, { cart_id: mine.cart_id }), products));
    }
    refreshBadge();
  }

  // ---------- start ----------

  const pages = { index: pageIndex, product: pageProduct, cart: pageCart, checkout: pageCheckout, order: pageOrder };

  function start() {
    const page = document.body.dataset.page;
    if (page !== 'cart' && page !== 'checkout' && page !== 'order') refreshBadge();
    const run = pages[page];
    if (run) run().catch((e) => { if (window.console) console.error(e); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
