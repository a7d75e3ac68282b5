namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>
/// The agent workspace's markup and script: one page, no framework. Text from the server is always set with
/// textContent, never as HTML. Words are English; numbers, money and times follow the browser's locale and time zone.
/// </summary>
internal static class AgentWorkspacePage
{
    public const string Html = """
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>CartCall workspace</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<script src="../widget-calling.js"></script>
<script src="../agent-calling.js"></script>
<style>
  :root { --a: #0b57d0; --line: #d9dce1; --muted: #5f6368; --ok: #1e8e3e; --warn: #b06000; --bad: #c5221f; }
  * { box-sizing: border-box; }
  [hidden] { display: none !important; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1f1f1f; background: #f6f7f9; }
  header { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; padding: 12px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; }
  .who { color: var(--muted); }
  .spacer { flex: 1; }
  main { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 7fr); gap: 16px; padding: 16px 24px; max-width: 1400px; margin: 0 auto; }
  @media (max-width: 1000px) { main { grid-template-columns: minmax(0, 1fr); padding: 12px; } header { padding: 12px; } }
  section.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 16px; min-width: 0; }
  section.card h2 { font-size: 16px; margin: 0 0 12px; }
  button, select, input, textarea { font: inherit; }
  button { padding: 7px 14px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
  button.primary { background: var(--a); border-color: var(--a); color: #fff; }
  button:focus-visible, select:focus-visible, input:focus-visible, textarea:focus-visible { outline: 3px solid #8ab4f8; outline-offset: 1px; }
  .state { display: inline-flex; align-items: center; gap: 8px; font-weight: 600; }
  .state::before { content: ""; width: 12px; height: 12px; border-radius: 50%; background: var(--muted); }
  .state[data-state=available]::before { background: var(--ok); }
  .state[data-state=reserved]::before { background: var(--warn); animation: pulse 1s infinite; }
  .state[data-state=busy]::before { background: var(--bad); }
  .state[data-state=wrap_up]::before { background: #7b1fa2; }
  @media (prefers-reduced-motion: reduce) { .state::before { animation: none !important; } }
  @keyframes pulse { 50% { opacity: .3; } }
  .since { color: var(--muted); font-weight: 400; }
  .controls { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-top: 12px; }
  dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 4px 16px; margin: 0 0 12px; }
  dl.facts dt { color: var(--muted); }
  dl.facts dd { margin: 0; overflow-wrap: anywhere; }
  ul.items, ul.reasons { margin: 0; padding-left: 1.1rem; }
  .total { font-weight: 600; }
  table { border-collapse: collapse; width: 100%; }
  th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
  th { font-size: 13px; color: var(--muted); font-weight: 600; }
  td.num { text-align: right; white-space: nowrap; }
  .table-wrap { overflow-x: auto; }
  .empty { color: var(--muted); }
  form.dispo { display: grid; gap: 8px; margin-top: 12px; }
  form.dispo textarea { width: 100%; min-height: 4.5em; }
  .sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  #signin { max-width: 460px; margin: 10vh auto; }
  #signin input { width: 100%; padding: 8px; margin: 6px 0 12px; }
  .error { color: var(--bad); }
  .cc-agent { border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin-bottom: 12px; }
  .cc-agent .cc-ctl button { min-width: 7em; }
  .cc-agent .cc-facts { display: none; }
  .cc-agent .cc-answer { background: var(--ok); border-color: var(--ok); color: #fff; }
</style>
</head>
<body>
<div id="live" class="sr" aria-live="polite" aria-atomic="true"></div>

<section id="signin" class="card" hidden>
  <h1>CartCall workspace</h1>
  <form id="signin-form">
    <label for="key">Your agent key</label>
    <input id="key" type="password" autocomplete="current-password" spellcheck="false" required placeholder="cca_…">
    <button class="primary" type="submit">Sign in</button>
    <p id="signin-error" class="error" role="alert"></p>
    <p class="who">Your admin gives you this key. It is yours alone; the store's admin key is not needed here.</p>
  </form>
</section>

<div id="app" hidden>
<header>
  <h1 id="merchant-name">CartCall</h1>
  <span class="who" id="agent-name"></span>
  <span class="spacer"></span>
  <span class="state" id="state" data-state="" role="status" aria-live="polite"></span>
  <button type="button" id="signout">Sign out</button>
</header>
<main>
  <div>
    <section class="card" aria-labelledby="avail-h">
      <h2 id="avail-h">Availability</h2>
      <p id="state-detail"></p>
      <div class="controls">
        <button type="button" id="toggle" class="primary"></button>
        <button type="button" id="ready" hidden>Ready for the next call</button>
        <label>Take calls <select id="device"><option value="browser">in this browser</option><option value="phone">on my phone</option></select></label>
      </div>
      <p id="device-note" class="who"></p>
      <label><input type="checkbox" id="processing" checked> Echo cancellation and noise suppression (turn off with a good headset)</label>
    </section>
    <section class="card" aria-labelledby="call-h" style="margin-top:16px">
      <h2 id="call-h">Current call</h2>
      <div id="phone"></div>
      <div id="call-none" class="empty">No call right now.</div>
      <div id="call-details" hidden></div>
      <form id="dispo" class="dispo" hidden aria-labelledby="dispo-h">
        <h3 id="dispo-h" style="margin:0;font-size:15px">How did the call go?</h3>
        <label>Outcome
          <select id="dispo-outcome" required>
            <option value="">Choose…</option>
            <option value="sale">Sale</option>
            <option value="follow_up">Follow-up needed</option>
            <option value="question">Question answered</option>
            <option value="not_interested">Not interested</option>
            <option value="no_conversation">No conversation</option>
            <option value="other">Other</option>
          </select>
        </label>
        <label>Note <textarea id="dispo-note" maxlength="1000"></textarea></label>
        <div class="controls"><button class="primary" type="submit">Save</button><span id="dispo-saved" role="status"></span></div>
      </form>
    </section>
  </div>
  <section class="card" aria-labelledby="today-h">
    <h2 id="today-h">Today's calls</h2>
    <div class="table-wrap">
      <table>
        <thead><tr><th scope="col">When</th><th scope="col">Status</th><th scope="col">Mode</th><th scope="col" class="num">Cart</th><th scope="col" class="num">Length</th><th scope="col">Disposition</th></tr></thead>
        <tbody id="today"></tbody>
      </table>
    </div>
    <p id="today-empty" class="empty">No calls yet today.</p>
  </section>
</main>
</div>

<script>
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const locale = navigator.language || 'en';
  const KEY = 'cartcall.agentKey';
  const PROCESSING = 'cartcall.voiceProcessing';
  let key = null;
  let me = null;
  let phone = null;
  let phoneFor = null;
  let current = null;   // the call on screen: { callId, view }
  let dispoFor = null;
  let socket = null;
  let calls = [];

  const STATE_WORDS = { available: 'Available', reserved: 'Ringing', busy: 'On a call', wrap_up: 'Wrap-up', away: 'Away' };
  const STATUS_WORDS = { queued: 'Waiting', scheduled: 'Scheduled', ringing: 'Ringing', connected: 'Connected', ended: 'Ended', failed: 'Failed' };
  const MODE_WORDS = { browser: 'Browser call', phone: 'Phone call' };
  const OUTCOME_WORDS = { sale: 'Sale', follow_up: 'Follow-up needed', question: 'Question answered', not_interested: 'Not interested', no_conversation: 'No conversation', other: 'Other' };
  const CALL_OUTCOME_WORDS = { completed: 'Talked', no_agent: 'No agent answered', shopper_busy: 'Shopper busy', shopper_no_answer: 'Shopper did not answer', shopper_hung_up: 'Shopper hung up early' };

  const announce = (text) => { $('live').textContent = ''; setTimeout(() => { $('live').textContent = text; }, 50); };
  const words = (map, value) => map[value] || String(value || '').replace(/_/g, ' ');
  const money = (value, currency) => {
    try { return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(value); } catch { return value + ' ' + currency; }
  };
  const rel = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  function relative(iso) {
    if (!iso) return '';
    const s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    const a = Math.abs(s);
    if (a < 45) return 'just now';
    if (a < 45 * 60) return rel.format(Math.round(s / 60), 'minute');
    if (a < 22 * 3600) return rel.format(Math.round(s / 3600), 'hour');
    return rel.format(Math.round(s / 86400), 'day');
  }
  const localTime = (iso) => iso ? new Date(iso).toLocaleString(locale, { dateStyle: 'medium', timeStyle: 'short' }) : '';
  const clock = (iso) => iso ? new Date(iso).toLocaleTimeString(locale, { hour: 'numeric', minute: '2-digit' }) : '';
  function duration(seconds) {
    if (seconds == null) return '';
    const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
    return m + ':' + String(s).padStart(2, '0');
  }
  function languageName(tag) {
    if (!tag) return 'Not known';
    try { return new Intl.DisplayNames([locale], { type: 'language' }).of(tag) || tag; } catch { return tag; }
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) { if (v != null) e.setAttribute(k, v); }
    e.append(...kids.filter((k) => k != null));
    return e;
  }
  function timeEl(iso) {
    const t = el('time', { datetime: iso, title: localTime(iso), 'data-rel': iso }, relative(iso));
    return t;
  }

  async function api(method, path, body) {
    const r = await fetch('../' + path, {
      method,
      headers: { authorization: 'Bearer ' + key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      cache: 'no-store',
    });
    const json = (r.headers.get('content-type') || '').includes('json') ? await r.json() : null;
    if (r.status === 401) { signOut(json && json.detail); throw new Error('signed out'); }
    if (!r.ok) throw new Error((json && json.detail) || ('HTTP ' + r.status));
    return json;
  }

  // ---- sign in / out ----
  function showSignIn(message) {
    $('app').hidden = true;
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
    $('key').focus();
  }
  function signOut(message) {
    sessionStorage.removeItem(KEY);
    key = null; me = null;
    if (phone) { phone.dispose(); phone = null; phoneFor = null; }
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    showSignIn(message);
  }
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    key = $('key').value.trim();
    $('key').value = '';
    await start();
  });
  $('signout').addEventListener('click', () => signOut());

  async function start() {
    try {
      me = await api('GET', 'agent/me');
    } catch (e) {
      if (key) signOut(e.message === 'signed out' ? '' : e.message);
      return;
    }
    sessionStorage.setItem(KEY, key);
    $('signin').hidden = true;
    $('app').hidden = false;
    render();
    await Promise.all([refreshCalls(), connectPush()]);
    await ensurePhone();
  }

  // ---- the agent's state ----
  function render() {
    const a = me.agent;
    $('merchant-name').textContent = me.merchant.displayName || me.merchant.id;
    $('agent-name').textContent = a.displayName || a.id;
    document.title = (STATE_WORDS[a.status] || '') + ' · CartCall workspace';
    const state = $('state');
    state.dataset.state = a.status;
    state.textContent = words(STATE_WORDS, a.status) + ' ';
    if (a.statusSince) state.append(el('span', { class: 'since' }, 'since ', timeEl(a.statusSince)));
    const detail = {
      available: 'You can get the next call.',
      reserved: a.takesCallsOn === 'phone' ? 'A call is ringing on your phone.' : 'A call is ringing here.',
      busy: 'You are talking with a shopper.',
      wrap_up: 'Writing up the last call. You get the next call ' + (a.wrapUpUntil ? relative(a.wrapUpUntil) : 'soon') + '.',
      away: 'You get no calls.',
    }[a.status] || '';
    $('state-detail').textContent = detail;
    const away = a.status === 'away';
    $('toggle').textContent = away ? 'Go available' : 'Go away';
    $('toggle').disabled = a.status === 'busy' || a.status === 'reserved';
    $('ready').hidden = a.status !== 'wrap_up';
    $('device').value = a.takesCallsOn || (a.acsUserId ? 'browser' : 'phone');
    $('device-note').textContent = $('device').value === 'phone'
      ? 'Calls ring your phone' + (a.phoneNumber ? ' (' + a.phoneNumber + ')' : '') + '.'
      : 'Calls ring in this tab, with sound. Keep it open.';
    if (a.status === 'reserved' && a.callId && (!current || current.callId !== a.callId)) showCall(a.callId);
  }

  async function refreshMe() {
    try { me = await api('GET', 'agent/me'); render(); await ensurePhone(); } catch { /* the next refresh tries again */ }
  }

  $('toggle').addEventListener('click', async () => {
    const available = me.agent.status === 'away';
    me = await api('PUT', 'agent/me', { available });
    render();
    announce(available ? 'You are available.' : 'You are away.');
  });
  $('ready').addEventListener('click', async () => { me = await api('POST', 'agent/me/ready'); render(); announce('Ready for the next call.'); });
  $('processing').checked = localStorage.getItem(PROCESSING) !== 'off';
  $('processing').addEventListener('change', () => {
    // Takes effect from the next call: the microphone of a call in progress is left as it is.
    localStorage.setItem(PROCESSING, $('processing').checked ? 'on' : 'off');
    if (phone && !phone.call && !phone.ringing) { phone.dispose(); phone = null; phoneFor = null; ensurePhone(); }
  });
  $('device').addEventListener('change', async () => {
    try { me = await api('PUT', 'agent/me', { takesCallsOn: $('device').value }); } catch (e) { announce(e.message); }
    render();
    await ensurePhone();
  });

  // ---- browser calls: the calling adapter the app names, with this agent's identity ----
  async function ensurePhone() {
    const wanted = me && me.calling && me.agent.takesCallsOn !== 'phone' ? me.agent.acsUserId : null;
    if (wanted === phoneFor) return;
    if (phone) { phone.dispose(); phone = null; }
    phoneFor = wanted;
    if (!wanted) return;
    const token = await api('POST', 'agent/calling-token');
    phone = CartCallAgentCalling.mount($('phone'), {
      adapter: me.calling.adapter, token: token.token, userId: token.userId,
      signalingUrl: me.calling.signalingUrl, sdkUrl: '../widget-calling-acs.js', lang: 'en',
      processing: localStorage.getItem(PROCESSING) !== 'off',
    });
    phone.on('incoming', async (inc) => {
      const ctx = String(inc.operationContext || '').split('|')[0];
      if (ctx) showCall(ctx); else await refreshMe();
    });
    phone.on('call', () => { refreshSoon(); });
    phone.on('ended', () => {
      if (current) offerDisposition(current.callId);
      // The app releases the agent shortly after the call ends: read the state again as that lands.
      for (const wait of [150, 1000, 2500]) setTimeout(() => { refreshMe(); refreshCalls(); }, wait);
    });
    phone.ready.catch(() => {});
  }

  // ---- the call on screen: cart, score and reasons, language, mode ----
  async function showCall(callId) {
    current = { callId, view: null };
    // The ring can come before the app has written down whom it rings: try again for a few seconds.
    for (let attempt = 0; attempt < 10 && current && current.callId === callId; attempt++) {
      try {
        const view = await api('GET', 'agent/calls/' + encodeURIComponent(callId));
        if (!current || current.callId !== callId) return;
        current.view = view;
        drawCall(view);
        return;
      } catch (e) {
        if (e.message === 'signed out') return;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  function drawCall(c) {
    const box = $('call-details');
    const facts = el('dl', { class: 'facts' });
    const add = (term, ...value) => facts.append(el('dt', {}, term), el('dd', {}, ...value));
    add('Status', c.status === 'connected' && c.agentId !== me.agent.id ? 'Shopper waiting on the line' : words(STATUS_WORDS, c.status));
    add('Mode', words(MODE_WORDS, c.mode));
    add('Language', languageName(c.language));
    add('Started', timeEl(c.createdAt));
    const cart = c.cart;
    if (cart) {
      const items = el('ul', { class: 'items' });
      for (const i of cart.items || []) {
        items.append(el('li', {}, `${i.quantity} × ${i.title || i.sku} — ${money(i.unitPrice, cart.currency)}`));
      }
      if (!(cart.items || []).length) items.append(el('li', { class: 'empty' }, 'No items recorded'));
      add('Cart', items, el('div', { class: 'total' }, 'Total ' + money(cart.value, cart.currency)));
      const score = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(cart.score);
      add('Score', score + (cart.state ? ' · ' + String(cart.state).replace(/_/g, ' ') : ''));
      if ((cart.reasons || []).length) {
        add('Why', el('ul', { class: 'reasons' }, ...cart.reasons.map((r) => el('li', {}, r))));
      }
    }
    box.replaceChildren(facts);
    box.hidden = false;
    $('call-none').hidden = true;
  }

  function clearCall() {
    current = null;
    $('call-details').hidden = true;
    $('call-details').replaceChildren();
    $('call-none').hidden = false;
  }

  // ---- disposition ----
  function offerDisposition(callId) {
    dispoFor = callId;
    $('dispo').hidden = false;
    $('dispo-outcome').value = '';
    $('dispo-note').value = '';
    $('dispo-saved').textContent = '';
    $('dispo-outcome').focus();
  }
  $('dispo').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!dispoFor) return;
    try {
      await api('PUT', 'agent/calls/' + encodeURIComponent(dispoFor) + '/disposition', { outcome: $('dispo-outcome').value, note: $('dispo-note').value });
      $('dispo-saved').textContent = 'Saved.';
      announce('Disposition saved.');
      $('dispo').hidden = true;
      dispoFor = null;
      clearCall();
      await refreshCalls();
    } catch (err) { $('dispo-saved').textContent = err.message; }
  });

  // ---- today's calls ----
  async function refreshCalls() {
    try { calls = await api('GET', 'agent/calls'); } catch { return; }
    const body = $('today');
    body.replaceChildren();
    for (const c of calls) {
      const dispo = c.disposition
        ? el('span', {}, words(OUTCOME_WORDS, c.disposition.outcome), c.disposition.note ? el('div', { class: 'who' }, c.disposition.note) : null)
        : (c.agentId === me.agent.id && (c.status === 'ended' || c.status === 'failed')
          ? el('button', { type: 'button', 'data-call': c.callId }, 'Write up')
          : el('span', { class: 'who' }, '—'));
      const status = words(STATUS_WORDS, c.status) + (c.outcome ? ' · ' + words(CALL_OUTCOME_WORDS, c.outcome) : '');
      body.append(el('tr', { 'data-call-id': c.callId },
        el('td', {}, timeEl(c.createdAt), el('div', { class: 'who' }, clock(c.createdAt))),
        el('td', {}, status),
        el('td', {}, words(MODE_WORDS, c.mode)),
        el('td', { class: 'num' }, c.cart ? money(c.cart.value, c.cart.currency) : ''),
        el('td', { class: 'num' }, duration(c.durationSeconds)),
        el('td', {}, dispo)));
    }
    $('today-empty').hidden = calls.length > 0;
    const ringing = me && me.agent.status === 'reserved' ? me.agent.callId : null;
    if (current && !ringing && !dispoFor && !(phone && (phone.call || phone.ringing))) {
      const mine = calls.find((c) => c.callId === current.callId);
      if (mine && (mine.status === 'ended' || mine.status === 'failed') && me.agent.takesCallsOn === 'phone' && mine.agentId === me.agent.id) offerDisposition(mine.callId);
      else if (!mine || mine.status === 'ended' || mine.status === 'failed') clearCall();
    }
  }
  $('today').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-call]');
    if (b) offerDisposition(b.dataset.call);
  });

  // ---- live: the merchant's agents group on Web PubSub; polling while it is down ----
  let soon = null;
  function refreshSoon() {
    clearTimeout(soon);
    soon = setTimeout(() => { refreshMe(); refreshCalls(); }, 150);
  }
  async function connectPush() {
    try {
      const n = await api('POST', 'agent/push');
      socket = new WebSocket(n.url, 'json.webpubsub.azure.v1');
      socket.onmessage = (ev) => {
        let f; try { f = JSON.parse(ev.data); } catch { return; }
        if (f.type === 'message' && f.data && f.data.kind === 'call') refreshSoon();
      };
      socket.onclose = () => { socket = null; if (key) setTimeout(connectPush, 5000); };
    } catch { /* polling covers it */ }
  }
  // The agent's own state is read every 3 s (a release or a wrap-up's end sends no call frame); today's calls on every
  // call frame, and every 15 s (every 3 s while the socket is down).
  let ticks = 0;
  setInterval(() => {
    if (!key) return;
    refreshMe();
    const live = socket && socket.readyState === WebSocket.OPEN;
    if (!live || ++ticks % 5 === 0) refreshCalls();
  }, 3000);
  setInterval(() => { for (const t of document.querySelectorAll('time[data-rel]')) t.textContent = relative(t.dataset.rel); }, 15000);

  // A link may carry the key in its fragment (never sent to the server); it is taken and removed from the address.
  const fromLink = new URLSearchParams(location.hash.slice(1)).get('key');
  if (fromLink) history.replaceState(null, '', location.pathname + location.search);
  key = fromLink || sessionStorage.getItem(KEY);
  if (key) start(); else showSignIn();
})();
</script>
</body>
</html>
""";
}
