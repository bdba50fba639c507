/*
 * Proffer widget: <script src="https://ENGINE/widget.js" data-site-key="pk_…" async></script>
 * Posts window.profferQueue events to /v1/track, keeps the engage WebSocket up and shows offers,
 * call status, charges and call preferences. The host page must never notice a failing engine:
 * every entry point is guarded, and nothing that arrives over the network becomes markup.
 * Globals: window.Proffer {track, open, close, state}; window.profferQueue (its push is replaced).
 * The UI lives in an open shadow root on #proffer-widget (data-testid proffer-root). Test hooks inside:
 * proffer-help, proffer-panel, proffer-close, proffer-status, proffer-offer, proffer-offer-voip|pstn,
 * proffer-accept, proffer-decline, proffer-talk, proffer-mode-voip, proffer-mode-pstn, proffer-phone,
 * proffer-language, proffer-remember, proffer-save, proffer-prefs-status.
 */
(() => {
  'use strict';
  const W = window, D = document;
  const dbg = (...a) => { try { console.debug('[proffer]', ...a); } catch (e) { /* no console */ } };
  const safe = (fn) => function (...a) { try { return fn.apply(this, a); } catch (e) { dbg(e); } };
  const get = (k) => { try { return localStorage.getItem(k); } catch (e) { return null; } };
  const put = (k, v) => { try { localStorage.setItem(k, v); } catch (e) { /* storage blocked */ } };
  const now = () => Date.now();
  const uuid = () => {
    try { if (crypto.randomUUID) return crypto.randomUUID(); } catch (e) { /* insecure context */ }
    const r = () => { try { return crypto.getRandomValues(new Uint8Array(1))[0]; } catch (e) { return Math.random() * 256 | 0; } };
    return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (c ^ (r() & (15 >> (c / 4)))).toString(16));
  };

  safe(() => {
    if (W.Proffer) return; // included twice
    let script = D.currentScript;
    if (!script || !/widget\.js/.test(script.src || '')) script = [...D.querySelectorAll('script[src]')].filter((s) => /\/widget\.js([?#]|$)/.test(s.src)).pop();
    if (!script) return;
    const base = script.src.replace(/\/widget\.js([?#].*)?$/, '');
    const siteKey = script.getAttribute('data-site-key') || '';
    const anon = get('proffer_anon') || uuid();
    put('proffer_anon', anon);
    let seqState = {};
    try { seqState = JSON.parse(get('proffer_seq')) || {}; } catch (e) { /* garbage in storage */ }
    const S = { connected: false, anonymousId: anon, lastSeq: +seqState.seq || 0, offer: null, preferences: null, sent: 0 };
    const CONSENT = 'This shop may call me about my cart. My choice is kept in a cookie on this device.';
    const ui = {};

    // ---------- events ----------

    const outbox = [];
    let sending = false;
    const post = (path, body, headers) => fetch(base + path, {
      method: 'POST', credentials: 'include', keepalive: true, body: JSON.stringify(body),
      headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
    });
    function track(event, props) {
      if (typeof event !== 'string' || !event) return;
      outbox.push({
        type: 'track', event, properties: props && typeof props === 'object' ? props : {},
        anonymousId: anon, messageId: uuid(), timestamp: new Date().toISOString(), writeKey: siteKey,
        context: { page: { url: location.href, path: location.pathname, title: D.title } },
      });
      pump();
    }
    // One at a time and in order: the engine rebuilds the cart from Added/Removed.
    function pump() {
      if (sending || !outbox.length) return;
      sending = true;
      attempt(outbox[0], 0);
    }
    function attempt(msg, n) {
      const done = (why) => { if (why) dbg('dropped', msg.event, why); outbox.shift(); sending = false; pump(); };
      const retry = (why) => { if (n >= 3) done(why); else setTimeout(() => attempt(msg, n + 1), 1000 << n); };
      Promise.resolve().then(() => post('/v1/track', msg)).then((r) => {
        if (r.ok) { S.sent++; done(); } else if (r.status >= 500 || r.status === 429 || r.status === 408) retry(r.status); else done(r.status);
      }, retry);
    }
    // A navigation strands whatever is queued; hand it over as one keepalive batch (messageId makes repeats harmless).
    W.addEventListener('pagehide', safe(() => {
      if (outbox.length) post('/v1/batch', { batch: outbox.slice(0, 30), writeKey: siteKey }).catch(dbg);
    }));
    const fromQueue = (e) => {
      if (Array.isArray(e)) track(e[0], e[1]);
      else if (e && typeof e === 'object') track(e.event, e.properties);
    };

    // ---------- engage socket ----------

    let ws = null, delay = 500, hb = 20000, beat = 0, lastRx = 0;
    const waiting = [];
    function send(msg, keep) {
      if (ws && ws.readyState === 1) { try { ws.send(JSON.stringify(msg)); return true; } catch (e) { dbg(e); } }
      if (keep) waiting.push(msg);
      return false;
    }
    const saveSeq = () => put('proffer_seq', JSON.stringify({ seq: S.lastSeq, session: seqState.session }));
    function connect() {
      try {
        ws = new WebSocket(`${base.replace(/^http/, 'ws')}/v1/engage?site_key=${encodeURIComponent(siteKey)}&anonymous_id=${encodeURIComponent(anon)}`);
      } catch (e) { dbg(e); ws = null; return later(); }
      ws.onopen = safe(() => {
        S.connected = true; lastRx = now();
        send({ type: 'resume', last_seq: S.lastSeq });
        while (waiting.length) send(waiting.shift());
        heartbeat();
      });
      ws.onmessage = safe((e) => {
        lastRx = now();
        const m = JSON.parse(e.data);
        if (m && typeof m.type === 'string') handle(m);
      });
      ws.onclose = safe(() => { S.connected = false; ws = null; clearInterval(beat); later(); });
    }
    function later() { setTimeout(safe(connect), delay); delay = Math.min(delay * 2, 30000); }
    function heartbeat() {
      clearInterval(beat);
      beat = setInterval(safe(() => {
        // A half-open connection never fires close; two silent heartbeats mean it is gone.
        if (ws && now() - lastRx > 2 * hb + 5000) ws.close(); else send({ type: 'ping' });
      }), hb);
    }
    const statusText = { placing: 'Calling you…', ringing: 'Ringing…', connected: 'You are connected.', queued: 'You are in the queue.', ended: 'The call has ended.' };
    function handle(m) {
      if (typeof m.seq === 'number') {
        if (m.seq <= S.lastSeq) return; // replayed, and seen already
        S.lastSeq = m.seq; saveSeq();
      }
      const t = m.type;
      if (t === 'hello') {
        delay = 500; // reset only here: a server that accepts and drops at once must still be backed off
        if (m.heartbeat_ms > 0) { hb = m.heartbeat_ms; heartbeat(); }
        // Another session, or a server that lost its history: our old seq would hide its messages.
        if (typeof m.last_seq === 'number' && (m.last_seq < S.lastSeq || (seqState.session && m.session !== seqState.session))) S.lastSeq = m.last_seq;
        seqState.session = m.session; saveSeq();
        if (m.preferences && typeof m.preferences === 'object') setPrefs(m.preferences);
      } else if (t === 'offer') { if (m.offer && m.offer.id != null) showOffer(m.offer, true); }
      else if (t === 'offer.withdrawn') { if (S.offer && S.offer.id === m.id) { showOffer(null); say('That offer is no longer available.'); } }
      else if (t === 'call.status') say(str(m.text) || statusText[m.status], 'call');
      else if (t === 'charge') say([money(m.amount_micros, m.currency), str(m.text)].filter(Boolean).join(' · '), 'charge');
      else if (t === 'notice') {
        say(str(m.text));
        // The engine answered Help by asking how to call: show the choice.
        if (m.action === 'ask_preference') open(ui.voip);
      }
      else if (t === 'error') { dbg('engage error', m.code, m.message); say(str(m.message) || 'Something went wrong.', 'error'); }
    }
    const str = (v) => (typeof v === 'string' ? v : '');
    function money(micros, cur) {
      if (!Number.isFinite(micros)) return '';
      try { return new Intl.NumberFormat(D.documentElement.lang || undefined, { style: 'currency', currency: cur }).format(micros / 1e6); } catch (e) { return ''; }
    }

    // ---------- page signals ----------

    const signal = (name, event) => { send({ type: 'signal', name }); track(event, {}); };
    let hideTimer = 0, hiddenSent = false, lastExit = 0;
    D.addEventListener('visibilitychange', safe(() => {
      clearTimeout(hideTimer);
      // Every navigation hides the page too; only a page still hidden a second later was really left.
      if (D.visibilityState === 'hidden') hideTimer = setTimeout(safe(() => { hiddenSent = true; signal('page_hidden', 'Page Hidden'); }), 1000);
      else if (hiddenSent) { hiddenSent = false; signal('page_visible', 'Page Visible'); }
    }));
    D.addEventListener('mouseout', safe((e) => {
      if (e.relatedTarget || e.clientY > 0 || now() - lastExit < 30000) return;
      lastExit = now();
      signal('exit_intent', 'Exit Intent');
    }));

    // ---------- UI ----------

    function h(tag, attrs, kids) {
      const n = D.createElement(tag);
      for (const [k, v] of Object.entries(attrs || {})) {
        if (k === 'text') n.textContent = v;
        else if (k === 'tid') n.dataset.testid = v;
        else if (k.startsWith('on')) n.addEventListener(k.slice(2), safe(v));
        else if (v != null && v !== false) n.setAttribute(k, v === true ? '' : v);
      }
      for (const c of kids || []) if (c) n.append(c);
      return n;
    }
    const CSS = ':host{all:initial}*{box-sizing:border-box}[hidden]{display:none!important}' +
      '.w{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328}' +
      'button,input,select{font:inherit;color:inherit}:focus-visible{outline:3px solid #f0a020;outline-offset:2px}' +
      '.toggle{display:flex;align-items:center;gap:8px;margin-left:auto;padding:12px 20px;border:0;border-radius:999px;background:#1f2328;color:#fff;font-weight:600;cursor:pointer;box-shadow:0 6px 20px #0004}' +
      '.dot::after{content:"";width:9px;height:9px;border-radius:50%;background:#f0a020}' +
      '.panel{width:min(360px,calc(100vw - 40px));max-height:calc(100vh - 110px);overflow:auto;margin-bottom:12px;background:#fff;border-radius:14px;box-shadow:0 12px 40px #0004;padding:16px 18px}' +
      '.head{display:flex;justify-content:space-between;align-items:center;margin-bottom:6px}h2,h3{margin:0;font-size:17px}h3{font-size:15px;margin:14px 0 8px}' +
      '.x{border:0;background:none;font-size:22px;line-height:1;padding:4px 8px;cursor:pointer;border-radius:6px}' +
      '.log p{margin:6px 0;padding:8px 10px;border-radius:8px;background:#f3f4f6}.log .charge{background:#fff5df}.log .error{background:#fdecea;color:#a4161a}' +
      '.offer{border:2px solid #1f2328;border-radius:12px;padding:12px 14px;margin:10px 0;outline:none}.offer:focus-visible{box-shadow:0 0 0 3px #f0a020}' +
      '.offer h3{margin-top:0}.offer p{margin:6px 0 10px}.row{display:flex;gap:8px;flex-wrap:wrap;align-items:center}' +
      '.btn{padding:9px 16px;border-radius:999px;border:1px solid #c9ccd1;background:#fff;font-weight:600;cursor:pointer}.main{background:#1f2328;border-color:#1f2328;color:#fff}.talk{width:100%;margin-top:8px}' +
      'fieldset{border:0;margin:0;padding:0}legend{font-weight:600;padding:0;margin-bottom:4px}' +
      '.choice{display:flex;gap:8px;align-items:flex-start;margin:4px 0}.choice input{margin-top:4px}' +
      '.field{display:flex;flex-direction:column;gap:4px;margin:10px 0}.field label{font-weight:600}' +
      '.field input,.field select{padding:8px 10px;border:1px solid #c9ccd1;border-radius:8px;width:100%}' +
      '[aria-invalid=true]{border-color:#a4161a!important}.err{color:#a4161a;font-size:13px;margin:2px 0 0}.err:empty{display:none}' +
      '.consent{font-size:13px;color:#57606a;margin:2px 0 0 24px}.ok{color:#1a7f37;font-size:14px}.save{margin-top:12px}';

    const err = (id) => h('p', { class: 'err', id, 'aria-live': 'polite' });
    const field = (id, label, input, e) => h('div', { class: 'field' }, [h('label', { for: id, text: label }), input, e]);
    const choice = (input, label) => h('div', { class: 'choice' }, [input, h('label', { for: input.id, text: label })]);
    const LANGS = { en: 'English', de: 'Deutsch', fr: 'Français', es: 'Español', it: 'Italiano', nl: 'Nederlands', pt: 'Português' };

    function build() {
      const host = h('div', { id: 'proffer-widget', tid: 'proffer-root' });
      // Without Shadow DOM the generic class names would be the host page's problem, so no panel at all.
      const root = host.attachShadow({ mode: 'open' });
      ui.toggle = h('button', { type: 'button', class: 'toggle', tid: 'proffer-help', 'aria-expanded': 'false', 'aria-controls': 'proffer-panel', text: 'Help', onclick: () => (ui.panel.hidden ? open() : close()) });
      ui.log = h('div', { class: 'log', role: 'status', 'aria-live': 'polite', tid: 'proffer-status' });
      ui.offer = h('div', { class: 'offer', tabindex: '-1', role: 'group', 'aria-labelledby': 'proffer-offer-title', tid: 'proffer-offer', hidden: true });
      ui.voip = h('input', { type: 'radio', name: 'mode', id: 'proffer-voip', value: 'voip', checked: true, tid: 'proffer-mode-voip', onchange: syncPhone });
      ui.pstn = h('input', { type: 'radio', name: 'mode', id: 'proffer-pstn', value: 'pstn', tid: 'proffer-mode-pstn', onchange: syncPhone });
      ui.phone = h('input', { type: 'tel', id: 'proffer-phone', autocomplete: 'tel', 'aria-describedby': 'proffer-phone-err', tid: 'proffer-phone' });
      ui.lang = h('select', { id: 'proffer-lang', 'aria-describedby': 'proffer-lang-err', tid: 'proffer-language' },
        Object.entries(LANGS).map(([v, t]) => h('option', { value: v, text: t })));
      const nav = (navigator.language || '').slice(0, 2).toLowerCase();
      ui.lang.value = LANGS[nav] ? nav : 'en';
      ui.remember = h('input', { type: 'checkbox', id: 'proffer-remember', 'aria-describedby': 'proffer-consent proffer-remember-err', tid: 'proffer-remember' });
      ui.errs = { mode: err('proffer-mode-err'), phone: err('proffer-phone-err'), language: err('proffer-lang-err'), remember: err('proffer-remember-err') };
      ui.errs.consent_text = ui.errs.remember;
      ui.saved = h('p', { class: 'ok', 'aria-live': 'polite', tid: 'proffer-prefs-status' });
      ui.phoneRow = field('proffer-phone', 'Phone number', ui.phone, ui.errs.phone);
      const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); savePrefs(); } }, [
        h('fieldset', { 'aria-describedby': 'proffer-mode-err' }, [
          h('legend', { text: 'How should we call you?' }),
          choice(ui.voip, 'Call me in the browser'), choice(ui.pstn, 'Call me on my phone'), ui.errs.mode]),
        ui.phoneRow,
        field('proffer-lang', 'Language', ui.lang, ui.errs.language),
        choice(ui.remember, 'Remember my choice'),
        h('p', { class: 'consent', id: 'proffer-consent', text: CONSENT }), ui.errs.remember,
        h('div', { class: 'row save' }, [h('button', { type: 'submit', class: 'btn main', tid: 'proffer-save', text: 'Save' }), ui.saved])]);
      ui.panel = h('div', { class: 'panel', id: 'proffer-panel', role: 'dialog', 'aria-labelledby': 'proffer-title', tid: 'proffer-panel', hidden: true }, [
        h('div', { class: 'head' }, [
          h('h2', { id: 'proffer-title', text: 'How can we help?' }),
          ui.x = h('button', { type: 'button', class: 'x', 'aria-label': 'Close', tid: 'proffer-close', text: '×', onclick: close })]),
        ui.offer, ui.log,
        h('button', { type: 'button', class: 'btn main talk', tid: 'proffer-talk', text: 'Talk to us', onclick: help }),
        h('h3', { text: 'Call preferences' }), form]);
      const wrap = h('div', { class: 'w', onkeydown: (e) => { if (e.key === 'Escape' && !ui.panel.hidden) { e.stopPropagation(); close(); } } }, [ui.panel, ui.toggle]);
      root.append(h('style', { text: CSS }), wrap);
      D.body.append(host);
      syncPhone();
      if (S.preferences) setPrefs(S.preferences);
      if (S.offer) showOffer(S.offer);
    }
    function syncPhone() { ui.phoneRow.hidden = !ui.pstn.checked; }

    function open(focusEl) {
      if (!ui.panel) return;
      ui.panel.hidden = false;
      ui.toggle.setAttribute('aria-expanded', 'true');
      ui.toggle.classList.remove('dot');
      (focusEl || ui.x).focus();
    }
    function close() {
      if (!ui.panel || ui.panel.hidden) return;
      ui.panel.hidden = true;
      ui.toggle.setAttribute('aria-expanded', 'false');
      ui.toggle.focus();
    }
    function say(text, kind) {
      if (!text) return;
      if (!ui.log) return dbg(text);
      ui.log.append(h('p', { class: kind, text }));
      while (ui.log.childNodes.length > 5) ui.log.firstChild.remove();
      if (ui.panel.hidden) ui.toggle.classList.add('dot');
    }
    function help() {
      say(send({ type: 'help' }, true) ? 'Thanks, someone will be with you shortly.' : 'We are reconnecting and will pass this on in a moment.');
    }

    let offerTimer = 0;
    function showOffer(o, fresh) {
      clearTimeout(offerTimer);
      if (o && fresh && +o.expires_ms > 0) {
        // expires_ms read as a lifetime from now, unless it is plainly an epoch time.
        const x = +o.expires_ms;
        o = Object.assign({}, o, { expires_at: x > 1e12 ? x : now() + x });
      }
      if (o && o.expires_at <= now()) o = null;
      S.offer = o || null;
      try { sessionStorage.setItem('proffer_offer', JSON.stringify(S.offer)); } catch (e) { /* storage blocked */ }
      if (o && o.expires_at) offerTimer = setTimeout(safe(() => { if (S.offer === o) showOffer(null); }), Math.min(o.expires_at - now(), 2e9));
      if (!ui.offer) return;
      ui.offer.replaceChildren();
      ui.offer.hidden = !o;
      if (!o) return;
      const modes = (Array.isArray(o.modes) ? o.modes : []).filter((m) => m === 'voip' || m === 'pstn');
      const want = (S.preferences && S.preferences.mode) || (ui.pstn.checked ? 'pstn' : 'voip');
      let chosen = modes.includes(want) ? want : modes[0] || want;
      const picks = modes.length < 2 ? '' : h('div', { class: 'row', role: 'radiogroup', 'aria-label': 'How should we call you?' }, modes.map((m) =>
        choice(h('input', { type: 'radio', name: 'offer-mode', id: 'proffer-om-' + m, value: m, checked: m === chosen, tid: 'proffer-offer-' + m, onchange: () => { chosen = m; } }),
          m === 'pstn' ? 'On my phone' : 'In the browser')));
      const answer = (msg, text) => { send(msg, true); showOffer(null); say(text); ui.x.focus(); };
      ui.offer.append(
        h('h3', { id: 'proffer-offer-title', text: str(o.title) || 'An offer for you' }),
        h('p', { text: str(o.text) }), picks,
        h('div', { class: 'row' }, [
          h('button', { type: 'button', class: 'btn main', tid: 'proffer-accept', text: 'Accept', onclick: () => answer({ type: 'offer.accept', id: o.id, mode: chosen }, 'Thanks! We are setting that up for you.') }),
          h('button', { type: 'button', class: 'btn', tid: 'proffer-decline', text: 'Decline', onclick: () => answer({ type: 'offer.decline', id: o.id }, 'No problem.') })]));
      if (fresh) open(ui.offer);
    }

    // ---------- preferences ----------

    function setPrefs(p) {
      S.preferences = p;
      if (!ui.voip) return;
      (p.mode === 'pstn' ? ui.pstn : ui.voip).checked = true;
      // The server only ever shows a saved number masked: offer it as a hint, and an empty field
      // on save means "keep the saved number".
      if (typeof p.phone === 'string' && p.phone) {
        ui.phone.value = '';
        ui.phone.placeholder = `${p.phone} (saved)`;
      }
      const lang = p.language || p.lang;
      if (LANGS[lang]) ui.lang.value = lang;
      ui.remember.checked = p.remember !== false;
      syncPhone();
    }
    function showErr(name, text) {
      const input = { phone: ui.phone, language: ui.lang, remember: ui.remember, consent_text: ui.remember, mode: ui.voip }[name];
      if (!input) return false;
      ui.errs[name].textContent = text;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return true;
    }
    function savePrefs() {
      for (const e of Object.values(ui.errs)) e.textContent = '';
      for (const i of [ui.phone, ui.lang, ui.remember, ui.voip]) i.removeAttribute('aria-invalid');
      ui.saved.textContent = '';
      const mode = ui.pstn.checked ? 'pstn' : 'voip', phone = ui.phone.value.trim();
      const saved = S.preferences && S.preferences.phone;
      if (mode === 'pstn' && !phone && !saved) return showErr('phone', 'Please enter the number we should call.');
      const body = { mode, language: ui.lang.value, remember: ui.remember.checked, anonymous_id: anon };
      if (mode === 'pstn' && phone) body.phone = phone;
      // Consent is recorded only when the shopper ticked the box beside its text.
      if (body.remember) body.consent_text = CONSENT;
      post('/v1/preferences', body, { 'X-Proffer-Site-Key': siteKey })
        .then((r) => r.json().catch(() => null).then(safe((j) => {
          if (r.ok) {
            setPrefs((j && j.preferences) || { mode, language: body.language, remember: body.remember });
            ui.saved.textContent = 'Saved.';
            return;
          }
          const e = (j && j.error) || {};
          if (!showErr(String(e.field || '').split('.').pop(), String(e.message || 'Please check this field.'))) {
            ui.saved.textContent = String(e.message || 'Your choice could not be saved.');
          }
        })))
        .catch((e) => { dbg(e); ui.saved.textContent = 'Your choice could not be saved. Please try again.'; });
    }

    // ---------- start ----------

    // Click-to-call: links (or buttons) marked data-proffer-call open a call through the engine,
    // which finds this shopper by the anonymous id added here.
    D.addEventListener('click', safe((e) => {
      const el = e.target && e.target.closest ? e.target.closest('[data-proffer-call]') : null;
      if (!el) return;
      const url = `${base}/v1/call?site_key=${encodeURIComponent(siteKey)}&anonymous_id=${encodeURIComponent(anon)}`;
      if (el.tagName === 'A') { el.href = url; return; }
      e.preventDefault();
      W.open(url, '_blank', 'noopener');
    }), true);

    W.Proffer = Object.freeze({
      track: safe(track),
      open: safe(() => open()),
      close: safe(close),
      state: () => ({ connected: S.connected, anonymousId: S.anonymousId, lastSeq: S.lastSeq, offer: S.offer, preferences: S.preferences, sent: S.sent }),
    });
    let q = W.profferQueue;
    if (!Array.isArray(q)) q = W.profferQueue = [];
    const early = q.splice(0, q.length);
    q.push = safe((...entries) => { entries.forEach(safe(fromQueue)); return 0; });
    early.forEach(safe(fromQueue));
    try {
      const o = JSON.parse(sessionStorage.getItem('proffer_offer'));
      if (o && typeof o === 'object' && o.id != null) S.offer = o;
    } catch (e) { /* none kept */ }
    fetch(`${base}/v1/preferences?site_key=${encodeURIComponent(siteKey)}`, { credentials: 'include' })
      .then((r) => (r.ok ? r.json() : null))
      .then(safe((j) => { if (j && j.preferences && typeof j.preferences === 'object' && !S.preferences) setPrefs(j.preferences); }))
      .catch(dbg);
    connect();
    const mount = safe(build);
    if (D.body) mount(); else D.addEventListener('DOMContentLoaded', mount);
  })();
})();
