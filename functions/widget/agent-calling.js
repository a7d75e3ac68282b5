/*! CartCall agent calling: takes browser calls on an agent's page (the agent workspace builds on it).
 * Needs cartcall-calling.js on the page first. Plain ES2020.
 *
 *   const phone = CartCallAgentCalling.mount(element, {
 *     adapter: 'acs' | 'local', token, userId,   // the agent's ACS identity and voip token
 *     signalingUrl,                            // local: the ACS stand-in's calling WebSocket
 *     sdkUrl,                                  // acs: the calling SDK bundle
 *     lang: 'en' | 'de' | 'fr' | 'es', ring: true, processing: true,
 *   });
 *   phone.on('incoming' | 'call' | 'ended', fn); await phone.ready; phone.answer(); phone.decline(); phone.dispose();
 */
(() => {
  'use strict';
  if (window.CartCallAgentCalling) return;

  const T = {
    en: {
      starting: 'Connecting to calls…', ready: 'Ready to take calls in this browser.', offline: 'Not connected to calls. Reload the page to try again.',
      incoming: 'Incoming call', incomingFrom: 'Incoming call from {who}', shopper: 'Shopper', call: 'Call', answer: 'Answer', decline: 'Decline',
      missed: 'Missed call.', inCall: 'On a call',
    },
    de: {
      starting: 'Verbindung zu Anrufen wird hergestellt…', ready: 'Bereit, Anrufe in diesem Browser anzunehmen.', offline: 'Keine Verbindung zu Anrufen. Laden Sie die Seite neu.',
      incoming: 'Eingehender Anruf', incomingFrom: 'Eingehender Anruf von {who}', shopper: 'Kundin/Kunde', call: 'Anruf', answer: 'Annehmen', decline: 'Ablehnen',
      missed: 'Verpasster Anruf.', inCall: 'Im Gespräch',
    },
    fr: {
      starting: 'Connexion aux appels…', ready: 'Prêt à prendre des appels dans ce navigateur.', offline: 'Non connecté aux appels. Rechargez la page.',
      incoming: 'Appel entrant', incomingFrom: 'Appel entrant de {who}', shopper: 'Client', call: 'Appel', answer: 'Répondre', decline: 'Refuser',
      missed: 'Appel manqué.', inCall: 'En communication',
    },
    es: {
      starting: 'Conectando con las llamadas…', ready: 'Listo para atender llamadas en este navegador.', offline: 'Sin conexión a las llamadas. Recarga la página.',
      incoming: 'Llamada entrante', incomingFrom: 'Llamada entrante de {who}', shopper: 'Cliente', call: 'Llamada', answer: 'Contestar', decline: 'Rechazar',
      missed: 'Llamada perdida.', inCall: 'En llamada',
    },
  };

  function mount(container, o) {
    const C = window.CartCallCalling;
    if (!C) throw new Error('Load cartcall-calling.js before agent-calling.js.');
    const lang = T[o.lang] ? o.lang : 'en';
    const t = (k) => T[lang][k] || T.en[k];
    const listeners = new Map();
    const emit = (n, v) => (listeners.get(n) || []).forEach((fn) => fn(v));
    const el = (tag, attrs, ...kids) => {
      const e = document.createElement(tag);
      Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
      e.append(...kids);
      return e;
    };

    const live = el('div', { class: 'cc-sr', 'aria-live': 'assertive', 'aria-atomic': 'true',
      style: 'position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap' });
    const status = el('p', { class: 'cc-agent-status', role: 'status' }, t('starting'));
    const ringBox = el('section', { class: 'cc-ring', 'aria-labelledby': 'cc-ring-h' });
    ringBox.hidden = true;
    const callBox = el('section', { class: 'cc-agent-call', 'aria-label': t('inCall') });
    callBox.hidden = true;
    const root = el('div', { class: 'cc-agent' }, live, status, ringBox, callBox);
    container.append(root);
    const announce = (text) => { live.textContent = ''; setTimeout(() => { live.textContent = text; }, 50); };

    let adapter = null;
    let ringing = null;
    let call = null;
    let panel = null;
    let bell = null;

    // A soft two-tone ring (Web Audio), stopped on answer, decline or when the caller gives up.
    function ringSound(on) {
      if (!on) { if (bell) bell.stop(); bell = null; return; }
      if (o.ring === false || bell) return;
      try {
        const ctx = new AudioContext();
        const gain = ctx.createGain();
        gain.gain.value = 0;
        gain.connect(ctx.destination);
        const osc = ctx.createOscillator();
        osc.frequency.value = 480;
        osc.connect(gain);
        osc.start();
        const timer = setInterval(() => {
          const now = ctx.currentTime;
          gain.gain.setValueAtTime(0.08, now);
          gain.gain.setValueAtTime(0, now + 0.8);
        }, 2000);
        bell = { stop() { clearInterval(timer); osc.stop(); ctx.close(); } };
      } catch { bell = null; }
    }

    function showIncoming(inc) {
      ringing = inc;
      const who = inc.with || inc.from || t('shopper');
      const answerBtn = el('button', { type: 'button', class: 'cc-answer' }, t('answer'));
      const declineBtn = el('button', { type: 'button', class: 'cc-decline' }, t('decline'));
      answerBtn.addEventListener('click', () => answer());
      declineBtn.addEventListener('click', () => decline());
      const facts = el('dl', { class: 'cc-facts' });
      if (inc.with) facts.append(el('dt', {}, t('shopper')), el('dd', {}, inc.with));
      if (inc.operationContext) facts.append(el('dt', {}, t('call')), el('dd', {}, String(inc.operationContext).split('|')[0]));
      ringBox.replaceChildren(el('h2', { id: 'cc-ring-h' }, t('incoming')), facts, el('div', { class: 'cc-ctl' }, answerBtn, declineBtn));
      ringBox.hidden = false;
      status.textContent = t('incoming');
      announce(t('incomingFrom').replace('{who}', who));
      ringSound(true);
      answerBtn.focus();
      emit('incoming', inc);
    }

    function clearRinging() {
      ringSound(false);
      ringing = null;
      ringBox.hidden = true;
      ringBox.replaceChildren();
    }

    async function answer() {
      if (!ringing) return null;
      const inc = ringing;
      clearRinging();
      call = await inc.accept();
      status.textContent = t('inCall');
      callBox.hidden = false;
      panel = C.mountCallPanel(callBox, call, {
        lang,
        announce,
        onEnded: () => {
          emit('ended', call);
          setTimeout(() => { if (panel) panel.destroy(); panel = null; callBox.hidden = true; status.textContent = t('ready'); }, 4000);
          call = null;
        },
      });
      const hang = callBox.querySelector('.cc-end');
      if (hang) hang.focus();
      emit('call', call);
      return call;
    }

    function decline() {
      if (!ringing) return;
      ringing.decline();
      clearRinging();
      status.textContent = t('ready');
    }

    const ready = C.createAdapter(o.adapter || 'acs', o).then(async (a) => {
      adapter = a;
      a.on('incoming', (inc) => { if (!call && !ringing) showIncoming(inc); });
      a.on('ringing-ended', (e) => {
        if (ringing && ringing.id === e.id) { clearRinging(); status.textContent = t('ready'); announce(t('missed')); }
      });
      a.on('error', () => { status.textContent = t('offline'); });
      const user = await a.ready;
      status.textContent = t('ready');
      return user;
    }, (e) => {
      status.textContent = t('offline');
      throw e;
    });

    return {
      ready,
      answer,
      decline,
      get call() { return call; },
      get ringing() { return ringing; },
      on(name, fn) { (listeners.get(name) || listeners.set(name, []).get(name)).push(fn); },
      dispose() { clearRinging(); if (adapter) adapter.dispose(); root.remove(); },
    };
  }

  window.CartCallAgentCalling = Object.freeze({ mount });
})();
