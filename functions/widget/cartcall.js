/*! CartCall widget: <script src="{app}/api/widget.js" data-merchant data-publishable-key data-session-id data-language async>.
 * Plain ES2020, no build step. It draws in a shadow root so the store's CSS and ours never meet. */
(() => {
  'use strict';
  if (window.CartCall && window.CartCall.version) return; // embedded twice: the first copy wins

  const script = document.currentScript || document.querySelector('script[data-merchant][src*="widget.js"]');
  if (!script || !script.dataset.merchant || !script.dataset.publishableKey) {
    console.warn('CartCall: the script tag needs data-merchant and data-publishable-key.');
    return;
  }

  const VERSION = '1.0.0';
  const CONSENT_VERSION = '2026-11'; // bump when the consent wording changes: consent is recorded per version
  const ds = script.dataset;
  const merchantId = ds.merchant;
  const pk = ds.publishableKey;
  const base = new URL('.', script.src).href; // "{app}/api/"
  const enc = encodeURIComponent;
  const noop = () => {};
  const hasAudio = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);

  // --- text: offers bring their own words; the rest is here (en is the fallback) ---
  const T = {
    en: {
      title: 'Questions about your order?', body: 'Talk to us now: we can call you right away.', accept: 'Talk to us', dismiss: 'No thanks',
      choose: 'How should we call you?', browser: 'Call me in the browser', phone: 'Call my phone', number: 'Phone number',
      consent: 'I agree that this store may call this number about my order. Standard call charges may apply. I can withdraw this at any time.',
      call: 'Call me now', cancel: 'Not now', close: 'Close', callTitle: 'Your call',
      needPhone: 'Enter your phone number.', needConsent: 'Tick the box so we may call your phone.', error: 'Something went wrong. Please try again.',
      queued: 'Setting up your call…', ringing: 'Your phone is ringing…', ringingB: 'Connecting you in the browser…',
      connected: 'You are connected with our team.', ended: 'The call has ended. Thank you!', failed: 'Sorry, we could not connect the call.',
      scheduled: 'We will call you at {t}.',
    },
    de: {
      title: 'Fragen zu Ihrer Bestellung?', body: 'Sprechen Sie jetzt mit uns: Wir rufen Sie sofort an.', accept: 'Mit uns sprechen', dismiss: 'Nein, danke',
      choose: 'Wie sollen wir Sie anrufen?', browser: 'Im Browser anrufen', phone: 'Mein Telefon anrufen', number: 'Telefonnummer',
      consent: 'Ich bin einverstanden, dass dieser Shop mich unter dieser Nummer zu meiner Bestellung anruft. Es können übliche Gebühren anfallen. Ich kann dies jederzeit widerrufen.',
      call: 'Anrufen', cancel: 'Jetzt nicht', close: 'Schließen', callTitle: 'Ihr Anruf',
      needPhone: 'Bitte Telefonnummer eingeben.', needConsent: 'Bitte bestätigen Sie, dass wir Ihr Telefon anrufen dürfen.', error: 'Etwas ist schiefgelaufen. Bitte erneut versuchen.',
      queued: 'Ihr Anruf wird vorbereitet…', ringing: 'Ihr Telefon klingelt…', ringingB: 'Verbindung im Browser wird aufgebaut…',
      connected: 'Sie sind mit unserem Team verbunden.', ended: 'Der Anruf ist beendet. Vielen Dank!', failed: 'Der Anruf konnte leider nicht verbunden werden.',
      scheduled: 'Wir rufen Sie um {t} an.',
    },
    fr: {
      title: 'Des questions sur votre commande ?', body: 'Parlez-nous maintenant : nous pouvons vous appeler tout de suite.', accept: 'Nous parler', dismiss: 'Non merci',
      choose: 'Comment vous appeler ?', browser: 'M’appeler dans le navigateur', phone: 'Appeler mon téléphone', number: 'Numéro de téléphone',
      consent: 'J’accepte que cette boutique m’appelle à ce numéro au sujet de ma commande. Des frais d’appel standard peuvent s’appliquer. Je peux retirer mon accord à tout moment.',
      call: 'Appelez-moi', cancel: 'Pas maintenant', close: 'Fermer', callTitle: 'Votre appel',
      needPhone: 'Saisissez votre numéro.', needConsent: 'Cochez la case pour que nous puissions vous appeler.', error: 'Une erreur est survenue. Veuillez réessayer.',
      queued: 'Préparation de votre appel…', ringing: 'Votre téléphone sonne…', ringingB: 'Connexion dans le navigateur…',
      connected: 'Vous êtes en ligne avec notre équipe.', ended: 'L’appel est terminé. Merci !', failed: 'Désolé, l’appel n’a pas pu aboutir.',
      scheduled: 'Nous vous appellerons à {t}.',
    },
    es: {
      title: '¿Preguntas sobre tu pedido?', body: 'Habla con nosotros: te llamamos ahora mismo.', accept: 'Hablar con nosotros', dismiss: 'No, gracias',
      choose: '¿Cómo te llamamos?', browser: 'Llamarme en el navegador', phone: 'Llamar a mi teléfono', number: 'Número de teléfono',
      consent: 'Acepto que esta tienda me llame a este número sobre mi pedido. Pueden aplicarse tarifas estándar. Puedo retirarlo en cualquier momento.',
      call: 'Llamarme', cancel: 'Ahora no', close: 'Cerrar', callTitle: 'Tu llamada',
      needPhone: 'Introduce tu número.', needConsent: 'Marca la casilla para que podamos llamarte.', error: 'Algo salió mal. Inténtalo de nuevo.',
      queued: 'Preparando tu llamada…', ringing: 'Tu teléfono está sonando…', ringingB: 'Conectando en el navegador…',
      connected: 'Estás conectado con nuestro equipo.', ended: 'La llamada ha terminado. ¡Gracias!', failed: 'Lo sentimos, no pudimos conectar la llamada.',
      scheduled: 'Te llamaremos a las {t}.',
    },
  };
  const langOf = (l) => String(l || '').slice(0, 2).toLowerCase();
  const lang = [ds.language, document.documentElement.lang, navigator.language].map(langOf).find((l) => T[l]) || 'en';
  const t = (k) => T[lang][k] || T.en[k];

  // --- sessionStorage, or memory where it is blocked (sandboxed frames) ---
  const mem = {};
  const store = {
    get: (k) => { try { return sessionStorage.getItem(k); } catch { return mem[k] ?? null; } },
    set: (k, v) => { try { sessionStorage.setItem(k, v); } catch { mem[k] = v; } },
  };
  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));

  const SESSION_KEY = 'cartcall.session.' + merchantId;
  const SEEN_KEY = 'cartcall.seen.' + merchantId;
  let sessionId = ds.sessionId || store.get(SESSION_KEY) || uuid();
  store.set(SESSION_KEY, sessionId);
  const seen = () => { try { return JSON.parse(store.get(SEEN_KEY) || '[]'); } catch { return []; } };
  const markSeen = (id) => store.set(SEEN_KEY, JSON.stringify(seen().concat(id).slice(-50)));

  // --- HTTP: always the publishable key; cookies for the preference cookie ---
  async function api(method, path, body) {
    const headers = { 'x-cartcall-publishable-key': pk };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base + path, {
      method, headers, credentials: 'include', mode: 'cors', body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const e = new Error((data && (data.detail || data.title)) || 'HTTP ' + r.status);
      e.status = r.status;
      throw e;
    }
    return data;
  }
  const ids = () => ({ merchantId, sessionId });
  const sessionPath = () => `merchants/${enc(merchantId)}/sessions/${enc(sessionId)}`;
  const emit = (name, detail) => window.dispatchEvent(new CustomEvent('cartcall:' + name, { detail }));

  // --- push: Web PubSub over a WebSocket; polling fills in while it is down ---
  let ws = null;
  let attempt = 0;
  let reconnectTimer = 0;
  let pollTimer = 0;

  async function connect() {
    clearTimeout(reconnectTimer);
    const forSession = sessionId;
    try {
      const { url } = await api('POST', sessionPath() + '/push');
      if (forSession !== sessionId) return; // setSession() meanwhile: it reconnects itself
      const sock = new WebSocket(url, 'json.webpubsub.azure.v1');
      ws = sock;
      sock.onopen = () => {
        if (ws !== sock) return;
        attempt = 0;
        stopPolling();
        catchUp('catch-up'); // anything pushed before this socket existed
      };
      sock.onmessage = (e) => ws === sock && onFrame(e.data);
      sock.onclose = () => {
        if (ws !== sock) return;
        ws = null;
        down();
      };
    } catch {
      down();
    }
  }

  function down() {
    startPolling();
    // Capped exponential backoff with jitter, so many tabs do not reconnect in step after an outage.
    const delay = Math.min(30000, 1000 * 2 ** Math.min(attempt++, 5)) * (0.5 + Math.random() / 2);
    reconnectTimer = setTimeout(connect, delay);
  }

  function startPolling() {
    if (!pollTimer) pollTimer = setInterval(catchUp, 5000, 'poll');
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = 0;
  }

  async function catchUp(via) {
    try {
      const { offers } = await api('GET', sessionPath() + '/offers');
      (offers || []).forEach((o) => show(o, via));
    } catch { /* next poll or the socket will bring it */ }
  }

  function onFrame(raw) {
    let f;
    try { f = JSON.parse(raw); } catch { return; }
    if (!f || f.type !== 'message') return;
    let d = f.data;
    if (typeof d === 'string') { try { d = JSON.parse(d); } catch { return; } }
    if (!d) return;
    if (d.kind === 'offer') show(d.offer, 'push');
    else if (d.kind === 'call') callUpdate(d);
  }

  // --- preferences: read on load to prefill the choice ---
  let prefs = null;
  const loadPrefs = () => api('GET', `merchants/${enc(merchantId)}/preferences`).then((p) => { prefs = p; }, noop);

  // --- UI: one shadow root, one panel, one live region ---
  const host = document.createElement('div');
  host.id = 'cartcall-widget';
  const root = host.attachShadow({ mode: 'open' });
  root.innerHTML = `<style>
:host{all:initial}
*{box-sizing:border-box}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.p{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:min(360px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;
 background:#fff;color:#1b1b1f;border:1px solid #c9c9d1;border-radius:12px;box-shadow:0 8px 28px rgba(0,0,0,.22);padding:20px;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;animation:in .22s ease-out}
.p[hidden]{display:none}
@keyframes in{from{opacity:0;transform:translateY(12px)}}
@media (prefers-reduced-motion:reduce){.p{animation:none}}
h2{margin:0 0 6px;font-size:17px;line-height:1.3}
p{margin:0 0 14px}
.row{display:flex;gap:8px;flex-wrap:wrap}
button{font:inherit;font-weight:600;border-radius:8px;padding:9px 16px;cursor:pointer;border:2px solid var(--a,#0b57d0);background:#fff;color:var(--a,#0b57d0)}
button.pri{background:var(--a,#0b57d0);color:#fff}
:focus-visible{outline:3px solid #e8710a;outline-offset:2px}
.p:focus:not(:focus-visible){outline:none}
fieldset{border:0;margin:0 0 12px;padding:0}
legend{font-weight:600;margin-bottom:6px;padding:0}
label{display:flex;gap:8px;align-items:flex-start;margin:6px 0}
input[type=tel]{display:block;width:100%;font:inherit;padding:8px 10px;margin:4px 0 8px;border:1px solid #8e8e99;border-radius:6px}
.ph[hidden]{display:none}
.small{font-size:13px;color:#3c3c44}
.err{color:#b3261e;font-weight:600;min-height:1em;margin:0 0 10px}
@media (prefers-color-scheme:dark){.p{background:#1f1f24;color:#f1f1f4;border-color:#44444c}button{background:#1f1f24}
 .small{color:#c8c8d0}input[type=tel]{background:#2a2a30;color:inherit}.err{color:#ffb4ab}}
</style><div class="sr" aria-live="polite" aria-atomic="true"></div>
<section class="p" role="dialog" aria-modal="false" aria-labelledby="cc-t" aria-describedby="cc-d" tabindex="-1" hidden></section>`;
  const live = root.querySelector('.sr');
  const panel = root.querySelector('.p');
  if (ds.accent) panel.style.setProperty('--a', ds.accent);

  const h = (tag, attrs, ...kids) => {
    const el = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else if (v !== false && v != null) el.setAttribute(k, v);
    });
    el.append(...kids.filter((k) => k != null));
    return el;
  };

  let offer = null; // the offer on screen
  let accepted = false;
  let lastFocus = null;
  let call = null; // the accepted offer's call: { id, mode, rank }
  let callTimer = 0;
  let callPolls = 0;

  function open(title, desc, ...content) {
    panel.replaceChildren(h('h2', { id: 'cc-t' }, title), h('p', { id: 'cc-d' }, desc), ...content);
    if (panel.hidden) {
      const active = document.activeElement;
      lastFocus = active && active !== document.body ? active : null;
      panel.hidden = false;
    }
    panel.focus();
  }

  function close() {
    panel.hidden = true;
    panel.replaceChildren();
    offer = null;
    accepted = false;
    stopCallPolling();
    if (lastFocus && lastFocus.isConnected) lastFocus.focus();
    lastFocus = null;
    if (!ws) catchUp('poll'); // an offer that arrived while this one was open
  }

  const announce = (text) => {
    // Clear first so a repeat of the same words is announced again.
    live.textContent = '';
    setTimeout(() => { live.textContent = text; }, 50);
  };

  panel.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    if (offer && !accepted) dismiss();
    else close();
  });

  function show(o, via) {
    if (!o || !o.offerId || offer || seen().includes(o.offerId)) return;
    if (o.status && o.status !== 'pending' && o.status !== 'shown') return;
    if (o.expiresAt && Date.parse(o.expiresAt) <= Date.now()) return;
    markSeen(o.offerId);
    offer = o;
    const x = o.text || {};
    const title = x.title || t('title');
    const body = x.body || t('body');
    open(title, body, h('div', { class: 'row' },
      h('button', { type: 'button', class: 'pri', onclick: choose }, x.accept || t('accept')),
      h('button', { type: 'button', onclick: dismiss }, x.dismiss || t('dismiss'))));
    announce(`${title} ${body}`);
    api('POST', `offers/${enc(o.offerId)}/shown`, ids()).catch(noop);
    emit('offer-shown', { offerId: o.offerId, shownAt: Date.now(), via });
    if (o.expiresAt) {
      const id = o.offerId;
      setTimeout(() => { if (offer && offer.offerId === id && !accepted) close(); }, Math.min(2 ** 31 - 1, Date.parse(o.expiresAt) - Date.now()));
    }
  }

  function dismiss() {
    if (!offer) return close();
    const id = offer.offerId;
    api('POST', `offers/${enc(id)}/dismiss`, ids()).catch(noop);
    emit('offer-dismissed', { offerId: id });
    close();
  }

  // The choice step: browser (when this browser can do audio) or phone, with consent for the phone.
  function choose(reason) {
    const pm = prefs && prefs.mode;
    const mode = pm === 'phone' || !hasAudio ? 'phone' : 'browser';
    const consented = !!(prefs && prefs.consent && prefs.consent.textVersion === CONSENT_VERSION);
    const err = h('p', { class: 'err', role: 'alert' }, typeof reason === 'string' ? reason : '');
    const tel = h('input', { type: 'tel', id: 'cc-tel', name: 'phone', autocomplete: 'tel', inputmode: 'tel', required: true });
    tel.value = (prefs && prefs.phoneNumber) || '';
    const agree = h('input', { type: 'checkbox', id: 'cc-consent', name: 'consent', checked: consented });
    const phoneBox = h('div', { class: 'ph' },
      h('label', { for: 'cc-tel', style: 'display:block;margin:0' }, t('number')), tel,
      h('label', { class: 'small' }, agree, h('span', { id: 'cc-ct' }, t('consent'))));
    const radio = (value, label) => h('label', {}, h('input', {
      type: 'radio', name: 'mode', value, checked: value === mode, onchange: sync,
    }), label);
    const fs = h('fieldset', {}, h('legend', { class: 'sr' }, t('choose')),
      hasAudio ? radio('browser', t('browser')) : null, radio('phone', t('phone')));
    const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(); } },
      fs, phoneBox, err,
      h('div', { class: 'row' }, h('button', { type: 'submit', class: 'pri' }, t('call')), h('button', { type: 'button', onclick: dismiss }, t('cancel'))));
    const picked = () => (form.querySelector('input[name=mode]:checked') || {}).value || 'phone';
    function sync() { phoneBox.hidden = picked() !== 'phone'; }
    sync();
    open(t('choose'), (offer && offer.text && offer.text.body) || t('body'), form);

    async function submit() {
      const m = picked();
      const number = tel.value.trim();
      err.textContent = '';
      if (m === 'phone' && !number) { err.textContent = t('needPhone'); return tel.focus(); }
      if (m === 'phone' && !agree.checked) { err.textContent = t('needConsent'); return agree.focus(); }
      const body = { mode: m, timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', language: lang };
      // PUT replaces: a browser choice keeps the number on file (and its consent).
      if (m !== 'phone' && prefs && prefs.phoneNumber) body.phoneNumber = prefs.phoneNumber;
      if (m === 'phone') {
        body.phoneNumber = number;
        body.defaultRegion = (navigator.language.split('-')[1] || '').toUpperCase() || undefined;
        body.consent = { textVersion: CONSENT_VERSION, given: true };
      }
      try {
        prefs = await api('PUT', `merchants/${enc(merchantId)}/preferences`, body);
      } catch (e) {
        err.textContent = e.status === 400 ? e.message : t('error');
        return (m === 'phone' ? tel : form.querySelector('button')).focus();
      }
      accept(m);
    }
  }

  async function accept(mode) {
    if (!offer) return;
    let r;
    try {
      r = await api('POST', `offers/${enc(offer.offerId)}/accept`, { ...ids(), mode, browserCanDoAudio: hasAudio });
    } catch (e) {
      return choose(e.status >= 400 && e.status < 500 ? e.message : t('error'));
    }
    emit('offer-accepted', { offerId: offer.offerId, callId: r.callId, status: r.status, mode: r.mode });
    if (r.status === 'needs_choice') return choose(r.reason || '');
    accepted = true;
    call = { id: r.callId, mode: r.mode || mode, rank: -1 };
    callUpdate({ callId: r.callId, status: r.status, scheduledFor: r.scheduledFor, detail: r.reason });
    if (r.status === 'queued') pollCall();
  }

  // --- call progress: push frames and polling both feed callUpdate; status never goes backwards ---
  const RANK = { queued: 0, ringing: 1, connected: 2, ended: 3, failed: 3, scheduled: 3 };

  function callUpdate(c) {
    if (!call || c.callId !== call.id || !(c.status in RANK) || RANK[c.status] <= call.rank) return;
    call.rank = RANK[c.status];
    let text = c.status === 'ringing' && call.mode === 'browser' ? t('ringingB') : t(c.status);
    if (c.status === 'scheduled') {
      const at = c.scheduledFor ? new Date(c.scheduledFor) : null;
      text = text.replace('{t}', at ? at.toLocaleString(lang, { weekday: 'short', hour: '2-digit', minute: '2-digit' }) : '…');
    }
    if (c.status === 'failed' && c.detail) text += ' ' + c.detail;
    const status = root.querySelector('#cc-st');
    if (status) status.textContent = text;
    else {
      open(t('callTitle'), '', h('p', { id: 'cc-st', role: 'status' }, text),
        h('div', { class: 'row' }, h('button', { type: 'button', onclick: close }, t('close'))));
    }
    panel.dataset.callStatus = c.status;
    emit('call-status', { callId: c.callId, status: c.status });
    if (RANK[c.status] === 3) stopCallPolling();
  }

  function pollCall() {
    stopCallPolling();
    callPolls = 0;
    callTimer = setInterval(async () => {
      // Bounded: an hour of polling at most.
      if (!call || ++callPolls > 1800) return stopCallPolling();
      try {
        const s = await api('GET', `calls/${enc(call.id)}`);
        callUpdate({ callId: s.callId || call.id, status: s.status, detail: s.outcome });
      } catch { /* the next poll or a push frame will tell */ }
    }, 2000);
  }
  function stopCallPolling() {
    clearInterval(callTimer);
    callTimer = 0;
  }

  // --- public API ---
  function track(type, cart) {
    return api('POST', `merchants/${enc(merchantId)}/browser-events`, {
      eventId: uuid(), sessionId, occurredAt: new Date().toISOString(), type, pageUrl: location.href, cart,
    });
  }

  function setSession(id) {
    if (!id || id === sessionId) return;
    sessionId = String(id);
    store.set(SESSION_KEY, sessionId);
    const old = ws;
    ws = null;
    if (old) old.close();
    attempt = 0;
    connect();
  }

  window.CartCall = Object.freeze({
    version: VERSION,
    consentVersion: CONSENT_VERSION,
    get sessionId() { return sessionId; },
    track,
    setSession,
  });

  const start = () => {
    document.body.appendChild(host);
    connect(); // first: its socket's opening catches up on offers already made
    loadPrefs();
  };
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
