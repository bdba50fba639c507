// Headless Chromium for the web integration tests, driven one JSON line at a time.
//
//   node driver.mjs            → prints {"ok":true,"ready":true,...} once the browser is up
//   stdin:  {"cmd":"open","url":"http://127.0.0.1:PORT/"}
//   stdout: {"ok":true,"url":...,"status":200}   or   {"ok":false,"error":"..."}
//
// Commands (an optional "id" is echoed back; "timeout_ms" overrides the 10 s default of any wait):
//   open {url}                 reload                  back
//   click {testid|selector}    fill {testid|selector, value}    check {…, checked?}
//   press {testid|selector, key}
//   select {testid|selector, value}    text {testid|selector}    value {testid|selector}
//   wait_for {testid|selector, text?, state?}  or  wait_for {js}  (a truthy expression)
//   widget_click / widget_fill / widget_check / widget_text / widget_value / widget_wait_for:
//                              the same, inside the widget's shadow root (#proffer-widget)
//   eval {js}                  an expression (promises are awaited) → {value}
//   state                      window.Proffer.state() → {value} (null without a widget)
//   cookies                    every cookie of the browser context, HttpOnly ones included
//   console {clear?}           console errors/warnings and uncaught exceptions so far
//   sockets                    every WebSocket opened: {sockets:[{url, nav, open, received, sent}],
//                              navs}; `nav` numbers the main-frame navigation it belongs to
//                              (a socket of a page left behind may still say open)
//   serve {html, path?}        serves `html` at http://127.0.0.1:<free port><path, / by default>
//                              → {url} (the origin); serve {url, path, html} adds or replaces a
//                              page of that server (a page that must name its own origin)
//   screenshot {path}          full-page PNG
//   quit
//
// Everything is bounded in time, and the driver exits when stdin closes, so a crashed test never
// leaves a browser behind.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const DEFAULT_TIMEOUT = 10000;
const CHROMIUM = process.env.PROFFER_CHROMIUM || '/usr/bin/chromium';

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

let browser = null;
let context = null;
let page = null;
const servers = new Map(); // origin → {server, pages}
const messages = [];    // console errors and warnings, page errors, failed requests
const sockets = [];     // every WebSocket any page of the context opened, in order
let loads = 0;          // main-frame load events
let navs = 0;           // main-frame navigations: a socket's `nav` tells a new page from a reconnect

function watch(p) {
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      const loc = m.location() || {};
      messages.push({ type: m.type(), text: m.text(), url: loc.url || '', line: loc.lineNumber || 0 });
    }
  });
  p.on('pageerror', (e) => messages.push({ type: 'pageerror', text: String((e && e.stack) || e) }));
  p.on('requestfailed', (r) => {
    const f = r.failure();
    messages.push({ type: 'requestfailed', text: `${r.method()} ${r.url()}: ${f ? f.errorText : ''}` });
  });
  p.on('load', () => { loads++; });
  p.on('framenavigated', (f) => { if (f === p.mainFrame()) navs++; });
  p.on('websocket', (ws) => {
    const rec = { url: ws.url(), nav: navs, open: true, received: 0, sent: 0, error: '' };
    sockets.push(rec);
    ws.on('framereceived', () => { rec.received++; });
    ws.on('framesent', () => { rec.sent++; });
    ws.on('socketerror', (e) => { rec.error = String(e); });
    ws.on('close', () => { rec.open = false; });
  });
  p.on('dialog', (d) => d.dismiss().catch(() => {}));
}

async function launch() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false, // runs as root in CI containers
    timeout: 30000,
    args: [
      '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required',
    ],
  });
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(DEFAULT_TIMEOUT);
  context.setDefaultNavigationTimeout(20000);
  page = await context.newPage();
  watch(page);
}

function target(c) {
  const scope = c.widget ? page.locator('#proffer-widget') : page;
  if (c.testid) return scope.getByTestId(c.testid);
  if (c.selector) return scope.locator(c.selector);
  throw new Error('give testid or selector');
}

// A page server on a free loopback port: another origin for the widget to be embedded in.
function serve(html, path) {
  const pages = new Map([[path, html]]);
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      const page = pages.get(new URL(req.url, 'http://x').pathname);
      // No favicon, and no 404 for it in the console the tests read.
      if (page === undefined) { res.writeHead(req.url === '/favicon.ico' ? 204 : 404).end(); return; }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(page);
    });
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}`;
      servers.set(url, { server, pages });
      resolve(url);
    });
  });
}

const commands = {
  async open(c, t) {
    const r = await page.goto(c.url, { waitUntil: c.wait_until || 'load', timeout: t });
    return { url: page.url(), status: r ? r.status() : 0 };
  },
  async reload(c, t) {
    const r = await page.reload({ waitUntil: 'load', timeout: t });
    return { url: page.url(), status: r ? r.status() : 0 };
  },
  async back(c, t) { await page.goBack({ waitUntil: 'load', timeout: t }); return { url: page.url() }; },
  async click(c, t) { await target(c).click({ timeout: t }); return {}; },
  async fill(c, t) { await target(c).fill(String(c.value ?? ''), { timeout: t }); return {}; },
  async press(c, t) { await target(c).press(String(c.key), { timeout: t }); return {}; },
  async check(c, t) { await target(c).setChecked(c.checked !== false, { timeout: t }); return {}; },
  async select(c, t) { return { selected: await target(c).selectOption(String(c.value), { timeout: t }) }; },
  async text(c, t) { return { text: await target(c).textContent({ timeout: t }) }; },
  async value(c, t) { return { value: await target(c).inputValue({ timeout: t }) }; },
  async wait_for(c, t) {
    if (c.js) {
      const h = await page.waitForFunction(c.js, null, { timeout: t, polling: 100 });
      return { value: await h.jsonValue().catch(() => true) };
    }
    let loc = target(c);
    if (c.text !== undefined) loc = loc.filter({ hasText: String(c.text) });
    await loc.first().waitFor({ state: c.state || 'visible', timeout: t });
    return {};
  },
  async eval(c) { return { value: await page.evaluate(String(c.js)) }; },
  async state() {
    return { value: await page.evaluate(() => (window.Proffer ? window.Proffer.state() : null)) };
  },
  async cookies(c) { return { cookies: await context.cookies(c.urls || []) }; },
  async console(c) {
    const copy = messages.slice();
    if (c.clear) messages.length = 0;
    return { messages: copy };
  },
  async sockets() { return { sockets, loads, navs, url: page.url() }; },
  async serve(c) {
    const path = String(c.path || '/');
    const html = String(c.html ?? '');
    if (!c.url) return { url: await serve(html, path) };
    const known = servers.get(String(c.url));
    if (!known) throw new Error(`serve: no server at ${c.url}`);
    known.pages.set(path, html);
    return { url: c.url };
  },
  async screenshot(c, t) { await page.screenshot({ path: c.path, fullPage: true, timeout: t }); return { path: c.path }; },
};

let closing = false;
async function shutdown(code) {
  if (closing) return;
  closing = true;
  const hard = setTimeout(() => process.exit(code), 5000);
  hard.unref();
  for (const { server } of servers.values()) server.close();
  try { if (browser) await browser.close(); } catch (e) { /* already gone */ }
  process.exit(code);
}

async function run(line) {
  let c;
  try { c = JSON.parse(line); } catch (e) { return { ok: false, error: 'not JSON: ' + e.message }; }
  const id = c && c.id !== undefined ? { id: c.id } : {};
  let name = String((c && c.cmd) || '');
  if (name.startsWith('widget_')) { name = name.slice(7); c.widget = true; }
  if (name === 'quit') return { ...id, ok: true, quit: true };
  const fn = Object.prototype.hasOwnProperty.call(commands, name) ? commands[name] : null;
  if (!fn) return { ...id, ok: false, error: `unknown command "${c && c.cmd}"` };
  const t = Number.isFinite(c.timeout_ms) && c.timeout_ms > 0 ? c.timeout_ms : DEFAULT_TIMEOUT;
  try {
    // The outer bound catches the rare call that has no timeout of its own (evaluate, cookies).
    let timer;
    const bound = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${name}: no answer in ${t + 5000} ms`)), t + 5000); });
    const r = await Promise.race([fn(c, t), bound]).finally(() => clearTimeout(timer));
    return { ...id, ok: true, ...r };
  } catch (e) {
    const text = String((e && e.message) || e).replace(/\u001b\[[0-9;]*m/g, '');
    return { ...id, ok: false, error: text.split('\n').slice(0, 6).join('\n') };
  }
}

process.on('unhandledRejection', (e) => { process.stderr.write(`driver: unhandled ${e && e.stack}\n`); });
process.on('SIGTERM', () => shutdown(0));

try {
  await launch();
} catch (e) {
  out({ ok: false, error: 'chromium did not start: ' + String(e && e.message).split('\n')[0] });
  await shutdown(1);
}
out({ ok: true, ready: true, browser: browser.version() });

// One command at a time, in order: each answer belongs to the line before it.
let chain = Promise.resolve();
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  chain = chain.then(async () => {
    if (closing) return;
    const r = await run(line);
    out(r);
    if (r.quit) await shutdown(0);
  });
});
rl.on('close', () => { chain.then(() => shutdown(0)); });
