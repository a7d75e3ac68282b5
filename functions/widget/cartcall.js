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
      micHint: 'Your browser will ask to use your microphone. We use it only for this call, and you can mute or hang up at any time.',
      micAsk: 'Please allow the microphone in your browser’s prompt.', working: 'One moment…',
      micDenied: 'Without the microphone we cannot talk in the browser. We can call your phone instead.',
      waitAgent: 'Connecting you with our team…',
      priceFlat: 'This call costs {p}.', priceMin: 'This call costs {p} per minute, at most {c}.',
      terms: 'When you accept, {h} is held on your card. After the call only its price is charged and the rest is released.',
      free: 'Calls under {s} seconds are free.', pay: 'Pay for your call', payFrame: 'Payment details', payGo: 'Confirm payment',
      payHint: 'Your card details go straight to our payment provider, Stripe, not to this store.',
      declined: 'Your card was declined. Try another card, or cancel.', paid: 'Payment authorized. Setting up your call…',
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
      micHint: 'Ihr Browser fragt nach Ihrem Mikrofon. Wir nutzen es nur für diesen Anruf; Sie können jederzeit stummschalten oder auflegen.',
      micAsk: 'Bitte erlauben Sie das Mikrofon in der Abfrage Ihres Browsers.', working: 'Einen Moment…',
      micDenied: 'Ohne Mikrofon können wir nicht im Browser sprechen. Wir können Sie stattdessen auf Ihrem Telefon anrufen.',
      waitAgent: 'Wir verbinden Sie mit unserem Team…',
      priceFlat: 'Dieser Anruf kostet {p}.', priceMin: 'Dieser Anruf kostet {p} pro Minute, höchstens {c}.',
      terms: 'Wenn Sie annehmen, werden {h} auf Ihrer Karte vorgemerkt. Nach dem Anruf wird nur sein Preis belastet, der Rest wird freigegeben.',
      free: 'Anrufe unter {s} Sekunden sind kostenlos.', pay: 'Bezahlung Ihres Anrufs', payFrame: 'Zahlungsdaten', payGo: 'Zahlung bestätigen',
      payHint: 'Ihre Kartendaten gehen direkt an unseren Zahlungsdienstleister Stripe, nicht an diesen Shop.',
      declined: 'Ihre Karte wurde abgelehnt. Versuchen Sie eine andere Karte oder brechen Sie ab.', paid: 'Zahlung autorisiert. Ihr Anruf wird vorbereitet…',
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
      micHint: 'Votre navigateur va demander l’accès à votre micro. Nous ne l’utilisons que pour cet appel ; vous pouvez couper le micro ou raccrocher à tout moment.',
      micAsk: 'Veuillez autoriser le micro dans la demande de votre navigateur.', working: 'Un instant…',
      micDenied: 'Sans micro, nous ne pouvons pas vous parler dans le navigateur. Nous pouvons appeler votre téléphone à la place.',
      waitAgent: 'Nous vous mettons en relation avec notre équipe…',
      priceFlat: 'Cet appel coûte {p}.', priceMin: 'Cet appel coûte {p} par minute, {c} au maximum.',
      terms: 'Si vous acceptez, {h} sont réservés sur votre carte. Après l’appel, seul son prix est débité et le reste est libéré.',
      free: 'Les appels de moins de {s} secondes sont gratuits.', pay: 'Paiement de votre appel', payFrame: 'Données de paiement', payGo: 'Confirmer le paiement',
      payHint: 'Vos données de carte vont directement à notre prestataire de paiement, Stripe, pas à cette boutique.',
      declined: 'Votre carte a été refusée. Essayez une autre carte ou annulez.', paid: 'Paiement autorisé. Préparation de votre appel…',
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
      micHint: 'Tu navegador te pedirá usar el micrófono. Solo lo usamos para esta llamada y puedes silenciarlo o colgar cuando quieras.',
      micAsk: 'Permite el micrófono en el aviso de tu navegador.', working: 'Un momento…',
      micDenied: 'Sin micrófono no podemos hablar en el navegador. Podemos llamarte al teléfono.',
      waitAgent: 'Te estamos conectando con nuestro equipo…',
      priceFlat: 'Esta llamada cuesta {p}.', priceMin: 'Esta llamada cuesta {p} por minuto, como máximo {c}.',
      terms: 'Al aceptar, se retienen {h} en tu tarjeta. Tras la llamada solo se cobra su precio y se libera el resto.',
      free: 'Las llamadas de menos de {s} segundos son gratis.', pay: 'Pago de tu llamada', payFrame: 'Datos de pago', payGo: 'Confirmar pago',
      payHint: 'Los datos de tu tarjeta van directamente a nuestro proveedor de pagos, Stripe, no a esta tienda.',
      declined: 'Tu tarjeta fue rechazada. Prueba con otra tarjeta o cancela.', paid: 'Pago autorizado. Preparando tu llamada…',
    },
  };
  const langOf = (l) => String(l || '').slice(0, 2).toLowerCase();
  // One language for every word on screen: the page's, until an offer arrives in another (the shopper's saved
  // choice, which the app applies); from then on the offer's, so its heading, radios and buttons all agree.
  let lang = [ds.language, document.documentElement.lang, navigator.language].map(langOf).find((l) => T[l]) || 'en';
  const t = (k) => T[lang][k] || T.en[k];
  const locale = () => (langOf(navigator.language) === lang ? navigator.language : lang);
  const money = (value, currency) => new Intl.NumberFormat(locale(), { style: 'currency', currency }).format(value);
  // Prices come in minor units (ISO 4217 exponents: JPY 0, USD 2, KWD 3); Intl knows each currency's exponent.
  const minor = (n, currency) => {
    const f = new Intl.NumberFormat(locale(), { style: 'currency', currency });
    return f.format(n / 10 ** f.resolvedOptions().maximumFractionDigits);
  };
  // A paid call's price and terms, said before accept: the price, what is held, that only the call's price is charged.
  function priceText(p) {
    if (!p || !p.currency) return '';
    try {
      const per = p.kind === 'per_minute';
      const held = minor(per ? p.capMinor || p.amountMinor : p.amountMinor, p.currency);
      return [(per ? t('priceMin') : t('priceFlat')).replace('{p}', minor(p.amountMinor, p.currency)).replace('{c}', held),
        t('terms').replace('{h}', held), p.minimumSeconds > 0 ? t('free').replace('{s}', p.minimumSeconds) : ''].join(' ').trim();
    } catch { return ''; }
  }

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
    const headers = { 'x-cartcall-publishable-key': pk, 'accept-language': lang };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(base + path, {
      method, headers, credentials: 'include', mode: 'cors', body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) {
      const e = new Error((data && (data.detail || data.title)) || 'HTTP ' + r.status);
      e.status = r.status;
      e.data = data;
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
.pr{font-weight:600}
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
    panel.setAttribute('aria-describedby', root.getElementById('cc-pr') ? 'cc-d cc-pr' : 'cc-d');
    if (panel.hidden) {
      const active = document.activeElement;
      lastFocus = active && active !== document.body ? active : null;
      panel.hidden = false;
    }
    panel.focus();
  }

  const inVoiceCall = () => !!(call && call.voice && call.voice.state !== 'ended');

  function close() {
    unmountPay(true);
    if (inVoiceCall()) call.voice.hangUp();
    if (call && call.adapter) call.adapter.dispose();
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
    if (inVoiceCall()) return; // a live call ends with its own hang-up button, never by closing the panel
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
    if (T[x.language]) lang = x.language;
    const title = x.title || t('title');
    const body = offerBody(o);
    const price = priceText(o.price);
    open(title, body, pricePara(price), h('div', { class: 'row' },
      h('button', { type: 'button', class: 'pri', onclick: choose }, x.accept || t('accept')),
      h('button', { type: 'button', onclick: dismiss }, x.dismiss || t('dismiss'))));
    announce(`${title} ${body} ${price}`);
    api('POST', `offers/${enc(o.offerId)}/shown`, ids()).catch(noop);
    emit('offer-shown', { offerId: o.offerId, shownAt: Date.now(), via });
    if (o.expiresAt) {
      const id = o.offerId;
      setTimeout(() => { if (offer && offer.offerId === id && !accepted) close(); }, Math.min(2 ** 31 - 1, Date.parse(o.expiresAt) - Date.now()));
    }
  }

  // The amount in the shopper's own currency format ("$478.00", "478,00 €"), where the offer gives a template for it.
  function offerBody(o) {
    const x = (o && o.text) || {};
    if (x.bodyTemplate && typeof o.cartValue === 'number' && o.currency) {
      try { return x.bodyTemplate.replace('{amount}', money(o.cartValue, o.currency)); } catch { /* unknown currency: the app's words */ }
    }
    return x.body || t('body');
  }
  const pricePara = (text) => (text ? h('p', { class: 'pr', id: 'cc-pr' }, text) : null);

  function dismiss() {
    if (!offer) return close();
    const id = offer.offerId;
    api('POST', `offers/${enc(id)}/dismiss`, ids()).catch(noop);
    emit('offer-dismissed', { offerId: id });
    close();
  }

  // The choice step: browser (when this browser can do audio) or phone, with consent for the phone.
  // `force` preselects a mode (the phone, after the microphone was refused).
  function choose(reason, force) {
    const pm = prefs && prefs.mode;
    const mode = force || (pm === 'phone' || !hasAudio ? 'phone' : 'browser');
    const consented = !!(prefs && prefs.consent && prefs.consent.textVersion === CONSENT_VERSION);
    const err = h('p', { class: 'err', role: 'alert' }, typeof reason === 'string' ? reason : '');
    const tel = h('input', { type: 'tel', id: 'cc-tel', name: 'phone', autocomplete: 'tel', inputmode: 'tel', required: true });
    tel.value = (prefs && prefs.phoneNumber) || '';
    const agree = h('input', { type: 'checkbox', id: 'cc-consent', name: 'consent', checked: consented });
    const phoneBox = h('div', { class: 'ph' },
      h('label', { for: 'cc-tel', style: 'display:block;margin:0' }, t('number')), tel,
      h('label', { class: 'small' }, agree, h('span', { id: 'cc-ct' }, t('consent'))));
    // Said before the browser's own microphone prompt, so the prompt is expected and understood.
    const micHint = h('p', { class: 'small', id: 'cc-mic' }, t('micHint'));
    const radio = (value, label, extra) => h('label', {}, h('input', {
      type: 'radio', name: 'mode', value, checked: value === mode, onchange: sync, ...extra,
    }), h('span', {}, label));
    const fs = h('fieldset', {}, h('legend', { class: 'sr' }, t('choose')),
      hasAudio ? radio('browser', t('browser'), { 'aria-describedby': 'cc-mic' }) : null, radio('phone', t('phone')));
    const go = h('button', { type: 'submit', class: 'pri' }, t('call'));
    const wait = h('p', { class: 'small', role: 'status' });
    const form = h('form', { novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(); } },
      fs, micHint, phoneBox, err, wait,
      h('div', { class: 'row' }, go, h('button', { type: 'button', onclick: dismiss }, t('cancel'))));
    const picked = () => (form.querySelector('input[name=mode]:checked') || {}).value || 'phone';
    function sync() {
      phoneBox.hidden = picked() !== 'phone';
      micHint.hidden = picked() !== 'browser';
    }
    sync();
    open(t('choose'), offerBody(offer), pricePara(priceText(offer.price)), form);
    let busy = false;
    const setBusy = (on, text) => {
      busy = on;
      go.setAttribute('aria-disabled', String(on));
      form.setAttribute('aria-busy', String(on));
      wait.textContent = on ? text : '';
    };

    async function submit() {
      if (busy) return;
      const m = picked();
      const number = tel.value.trim();
      err.textContent = '';
      if (m === 'phone' && !number) { err.textContent = t('needPhone'); return tel.focus(); }
      if (m === 'phone' && !agree.checked) { err.textContent = t('needConsent'); return agree.focus(); }
      // At once, before any request: the shopper sees the press was taken.
      setBusy(true, m === 'browser' ? t('micAsk') : t('working'));
      let mic = null;
      if (m === 'browser') {
        calling().catch(noop); // fetch the calling code while the shopper answers the prompt
        try {
          mic = await microphone();
        } catch {
          setBusy(false);
          return choose(t('micDenied'), 'phone');
        }
        wait.textContent = t('working');
      }
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
        stopMic(mic);
        setBusy(false);
        err.textContent = e.status === 400 ? e.message : t('error');
        return (m === 'phone' ? tel : go).focus();
      }
      accept(m, mic);
    }
  }

  // --- browser calls: the microphone first (so a refusal can still become a phone call), the calling code on demand ---
  const processing = ds.voiceProcessing !== 'off'; // "off" only for headsets/kiosks and tone tests
  const microphone = () => navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing }, video: false,
  });
  const stopMic = (mic) => mic && mic.getTracks().forEach((tr) => tr.stop());
  const loadScript = (src) => new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.async = true;
    s.onload = resolve;
    s.onerror = () => reject(new Error(src));
    document.head.appendChild(s);
  });
  let callingLoad = null;
  function calling() {
    if (!callingLoad) {
      callingLoad = window.CartCallCalling ? Promise.resolve(window.CartCallCalling)
        : loadScript(ds.callingSrc || base + 'widget-calling.js').then(() => window.CartCallCalling, (e) => { callingLoad = null; throw e; });
    }
    return callingLoad;
  }

  async function accept(mode, mic) {
    if (!offer) return stopMic(mic);
    let r;
    try {
      r = await api('POST', `offers/${enc(offer.offerId)}/accept`, { ...ids(), mode, browserCanDoAudio: hasAudio });
    } catch (e) {
      // A paid call whose hold is not authorised yet: the payment step, then this accept again.
      if (e.status === 402 && e.data && e.data.paymentElement) return pay(e.data, mode, mic);
      stopMic(mic);
      return choose(e.status >= 400 && e.status < 500 ? e.message : t('error'));
    }
    emit('offer-accepted', { offerId: offer.offerId, callId: r.callId, status: r.status, mode: r.mode });
    if (r.status === 'needs_choice') { stopMic(mic); return choose(r.reason || ''); }
    accepted = true;
    call = { id: r.callId, mode: r.mode || mode, rank: -1 };
    if (call.mode !== 'browser' || !r.acsToken || RANK[r.status] === 3) stopMic(mic); // no call to take now
    callUpdate({ callId: r.callId, status: r.status, scheduledFor: r.scheduledFor, reason: r.reason });
    if (call.mode === 'browser' && r.acsToken && RANK[r.status] < 3) browserCall(r, mic);
    if (r.status === 'queued') pollCall();
  }

  // --- the payment step of a paid call ---
  // Stripe's Payment Element must not live in a shadow root: it is mounted in the light DOM, as a child of the widget's
  // host, and shown inside the panel through a <slot>. Card details go from that frame to the payment provider; the
  // widget only hears that the hold was authorised (then accepts again: the app checks the hold with the provider).
  let paying = null; // { mic, off }
  function unmountPay(stop) {
    if (!paying) return;
    paying.off();
    if (stop) stopMic(paying.mic);
    paying = null;
    host.replaceChildren();
  }

  function pay(d, mode, mic) {
    unmountPay(true);
    if (!offer) return stopMic(mic); // dismissed while the accept was on its way: nothing to pay for (the dismissal released the hold)
    const pe = d.paymentElement;
    const mine = offer;
    const err = h('p', { class: 'err', role: 'alert' });
    const wait = h('p', { class: 'small', role: 'status' });
    const row = h('div', { class: 'row' }, h('button', { type: 'button', onclick: dismiss }, t('cancel')));
    const slot = h('div', { slot: 'pay', style: 'display:block;margin:0 0 12px' });
    host.replaceChildren(slot);
    let off = noop;
    paying = { mic, off: () => off() };
    const done = () => {
      if (offer !== mine || !paying) return;
      unmountPay(false); // the microphone goes on to the call
      wait.textContent = t('paid');
      accept(mode, mic);
    };
    const refused = (text) => { wait.textContent = ''; err.textContent = text || t('declined'); };
    open(t('pay'), priceText(d.price), h('p', { class: 'small' }, t('payHint')), h('slot', { name: 'pay' }), err, wait, row);
    if (pe.adapter === 'stripe') {
      // Production: Stripe.js and its Payment Element, confirmed without leaving the page where possible.
      loadScript(pe.src).then(() => {
        if (paying === null || offer !== mine) return;
        const stripe = window.Stripe(d.publishableKey);
        const elements = stripe.elements({ clientSecret: d.clientSecret, locale: lang });
        elements.create('payment').mount(slot);
        row.prepend(h('button', {
          type: 'button',
          class: 'pri',
          onclick: async () => {
            err.textContent = '';
            wait.textContent = t('working');
            const r = await stripe.confirmPayment({ elements, redirect: 'if_required', confirmParams: { return_url: location.href } });
            if (r.error) refused(r.error.message);
            else done();
          },
        }, t('payGo')));
      }, () => refused(t('error')));
    } else {
      // Local runs and tests: the Stripe stand-in's page in the element's place; it posts the outcome to this window.
      const frame = h('iframe', { src: pe.src, title: t('payFrame'), style: 'display:block;width:100%;height:230px;border:0' });
      slot.append(frame);
      const from = new URL(pe.src).origin;
      const onMessage = (e) => {
        const m = e.data;
        if (e.source !== frame.contentWindow || e.origin !== from || !m || m.type !== 'cartcall-standin-payment') return;
        if (m.status === 'succeeded') done();
        else refused();
      };
      addEventListener('message', onMessage);
      off = () => removeEventListener('message', onMessage);
    }
  }

  // The browser call itself: the calling adapter answers the call the app places to this shopper's ACS identity.
  async function browserCall(r, mic) {
    const mine = call;
    try {
      const C = await calling();
      const c = r.calling || {};
      const adapter = await C.createAdapter(c.adapter || ds.calling || 'acs', {
        token: r.acsToken.token, userId: r.acsToken.userId, signalingUrl: c.signalingUrl,
        sdkUrl: ds.callingSdkSrc || base + 'widget-calling-acs.js', stream: mic, processing,
      });
      mine.adapter = adapter;
      adapter.on('incoming', async (inc) => {
        if (mine.voice || call !== mine) return;
        mine.voice = await inc.accept(); // the shopper asked for this call: answer it
        const box = h('div', {});
        const status = root.querySelector('#cc-st');
        if (status) status.replaceWith(box);
        const x = root.querySelector('#cc-x'); // closing would end the call: the call's own hang-up button does that
        if (x) x.remove();
        mine.panel = C.mountCallPanel(box, mine.voice, {
          lang,
          announce,
          onEnded: () => {
            adapter.dispose();
            const done = h('button', { type: 'button', onclick: close }, t('close'));
            box.append(h('div', { class: 'row' }, done));
            done.focus();
          },
        });
        panel.dataset.voice = 'on';
        emit('call-voice', { callId: mine.id, state: 'answered' });
        mine.voice.on('state', (s) => emit('call-voice', { callId: mine.id, state: s }));
      });
      await adapter.ready;
    } catch {
      stopMic(mic);
      mine.voiceFailed = true;
      const status = root.querySelector('#cc-st');
      if (status) status.textContent = t('failed');
    }
  }

  // --- call progress: push frames and polling both feed callUpdate; status never goes backwards ---
  const RANK = { queued: 0, ringing: 1, connected: 2, ended: 3, failed: 3, scheduled: 3 };

  function callUpdate(c) {
    if (!call || c.callId !== call.id || !(c.status in RANK) || RANK[c.status] <= call.rank) return;
    call.rank = RANK[c.status];
    const browser = call.mode === 'browser';
    // In a browser call "connected" is the shopper's leg only: the words for talking come from the audio itself.
    let text = browser && c.status === 'ringing' ? t('ringingB') : browser && c.status === 'connected' ? t('waitAgent') : t(c.status);
    if (c.status === 'scheduled') {
      const at = c.scheduledFor ? new Date(c.scheduledFor) : null;
      text = text.replace('{t}', at ? at.toLocaleString(lang, { weekday: 'short', hour: '2-digit', minute: '2-digit' }) : '…');
    }
    // The merchant's own sentence (a hook that stopped the call) says it best; the accept's reason explains a failure.
    // Outcome codes from pushes and polls are for the merchant, not for the shopper.
    if (c.message) text = c.message;
    else if (c.status === 'failed' && c.reason) text += ' ' + c.reason;
    if (call.voice) {
      if (RANK[c.status] === 3) call.voice.hangUp();
    } else {
      const status = root.querySelector('#cc-st');
      if (status) status.textContent = text;
      else {
        open(t('callTitle'), '', h('p', { id: 'cc-st', role: 'status' }, text),
          h('div', { class: 'row', id: 'cc-x' }, h('button', { type: 'button', onclick: close }, t('close'))));
      }
      if (RANK[c.status] === 3 && call.adapter) call.adapter.dispose();
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
        callUpdate({ callId: s.callId || call.id, status: s.status, message: s.message });
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
