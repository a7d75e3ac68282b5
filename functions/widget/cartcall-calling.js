/*! CartCall calling: the browser-call part of the widget and of the agent's page. Loaded only when a browser call
 * is chosen. One interface, two adapters: `acs` (Microsoft's Calling SDK, loaded from its own bundle) and `local`
 * (WebRTC between two pages, the local ACS stand-in as signalling server, loopback only). Plain ES2020. */
(() => {
  'use strict';
  if (window.CartCallCalling) return;

  const VERSION = '1.0.0';

  // --- words (en is the fallback) ---
  const T = {
    en: {
      connecting: 'Connecting your call…', waiting: 'Waiting for the other side to join…', talking: 'Connected. You can talk now.',
      peerLeft: 'The other side left the call.', ended: 'The call has ended.', failed: 'Sorry, the call could not be connected.',
      mute: 'Mute microphone', micOff: 'Your microphone is off.', micOn: 'Your microphone is on.', hangUp: 'Hang up',
      duration: 'Call time', quality: 'Connection', good: 'good', fair: 'fair', poor: 'poor', unknown: 'checking…',
      controls: 'Call controls',
    },
    de: {
      connecting: 'Ihr Anruf wird verbunden…', waiting: 'Warten, bis die Gegenseite beitritt…', talking: 'Verbunden. Sie können jetzt sprechen.',
      peerLeft: 'Die Gegenseite hat den Anruf verlassen.', ended: 'Der Anruf ist beendet.', failed: 'Der Anruf konnte leider nicht verbunden werden.',
      mute: 'Mikrofon stummschalten', micOff: 'Ihr Mikrofon ist aus.', micOn: 'Ihr Mikrofon ist an.', hangUp: 'Auflegen',
      duration: 'Gesprächsdauer', quality: 'Verbindung', good: 'gut', fair: 'mittel', poor: 'schlecht', unknown: 'wird geprüft…',
      controls: 'Anrufsteuerung',
    },
    fr: {
      connecting: 'Connexion de votre appel…', waiting: 'En attente de votre interlocuteur…', talking: 'Connecté. Vous pouvez parler.',
      peerLeft: 'Votre interlocuteur a quitté l’appel.', ended: 'L’appel est terminé.', failed: 'Désolé, l’appel n’a pas pu aboutir.',
      mute: 'Couper le micro', micOff: 'Votre micro est coupé.', micOn: 'Votre micro est activé.', hangUp: 'Raccrocher',
      duration: 'Durée de l’appel', quality: 'Connexion', good: 'bonne', fair: 'moyenne', poor: 'faible', unknown: 'vérification…',
      controls: 'Commandes de l’appel',
    },
    es: {
      connecting: 'Conectando tu llamada…', waiting: 'Esperando a que se una la otra parte…', talking: 'Conectado. Ya puedes hablar.',
      peerLeft: 'La otra parte ha salido de la llamada.', ended: 'La llamada ha terminado.', failed: 'Lo sentimos, no se pudo conectar la llamada.',
      mute: 'Silenciar micrófono', micOff: 'Tu micrófono está apagado.', micOn: 'Tu micrófono está encendido.', hangUp: 'Colgar',
      duration: 'Duración', quality: 'Conexión', good: 'buena', fair: 'regular', poor: 'mala', unknown: 'comprobando…',
      controls: 'Controles de la llamada',
    },
  };
  const words = (lang) => (k) => (T[lang] || T.en)[k] || T.en[k];

  // --- a small event emitter ---
  function events() {
    const map = new Map();
    return {
      on(name, fn) { (map.get(name) || map.set(name, new Set()).get(name)).add(fn); return () => map.get(name).delete(fn); },
      emit(name, ...args) { (map.get(name) || []).forEach((fn) => { try { fn(...args); } catch (e) { console.error(e); } }); },
    };
  }

  /** The microphone, asked for once. `processing: false` turns echo cancellation, noise suppression and gain off. */
  function microphone(processing = true) {
    return navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: processing, noiseSuppression: processing, autoGainControl: processing },
      video: false,
    });
  }

  /** Connection quality from WebRTC stats: round trip, jitter and loss of the last interval. */
  function grade(rtt, jitter, lossRate) {
    if (rtt == null && jitter == null) return 'unknown';
    if ((rtt || 0) > 0.6 || (jitter || 0) > 0.1 || lossRate > 0.08) return 'poor';
    if ((rtt || 0) > 0.3 || (jitter || 0) > 0.03 || lossRate > 0.02) return 'fair';
    return 'good';
  }

  // ===== local: WebRTC between two pages, signalled through the ACS stand-in's calling WebSocket =====
  function localAdapter(o) {
    if (!o.signalingUrl || !o.token) throw new Error('The local adapter needs signalingUrl and token.');
    const bus = events();
    const calls = new Map();
    const rung = new Set();
    let ws = null;
    let closed = false;
    const send = (frame) => ws && ws.readyState === 1 && ws.send(JSON.stringify(frame));

    const ready = new Promise((resolve, reject) => {
      ws = new WebSocket(o.signalingUrl);
      ws.onopen = () => send({ type: 'auth', token: o.token });
      ws.onclose = (e) => {
        reject(new Error('Calling socket closed: ' + (e.reason || e.code)));
        calls.forEach((c) => c._end('connection lost'));
        if (!closed) bus.emit('error', new Error('The calling connection was lost.'));
      };
      ws.onmessage = (e) => {
        let f;
        try { f = JSON.parse(e.data); } catch { return; }
        if (f.type === 'ready') return resolve(f.userId);
        if (f.type === 'incoming') {
          if (rung.has(f.callId)) return;
          rung.add(f.callId);
          bus.emit('incoming', {
            id: f.callId, role: f.role, operationContext: f.operationContext, from: f.from, with: f.with,
            accept: () => accept(f.callId), decline: () => send({ type: 'decline', callId: f.callId }),
          });
          return;
        }
        const c = calls.get(f.callId);
        if (f.type === 'ended' && !c) return bus.emit('ringing-ended', { id: f.callId, reason: f.reason });
        if (c) c._signal(f);
      };
    });

    async function accept(callId) {
      const stream = o.stream && o.stream.getAudioTracks().some((t) => t.readyState === 'live') ? o.stream : await microphone(o.processing !== false);
      const call = localCall(callId, stream, send);
      calls.set(callId, call);
      call.on('ended', () => calls.delete(callId));
      send({ type: 'answer', callId });
      return call;
    }

    return {
      kind: 'local',
      ready,
      on: bus.on,
      dispose() {
        closed = true;
        calls.forEach((c) => c.hangUp());
        if (ws) ws.close();
      },
    };
  }

  function localCall(id, stream, send) {
    const bus = events();
    let pc = null;
    let pending = [];
    let state = 'connecting';
    let muted = false;
    let statsTimer = 0;
    let last = null;
    const audio = new Audio();
    audio.autoplay = true;
    const call = {
      id,
      get state() { return state; },
      get muted() { return muted; },
      remoteStream: null,
      localStream: stream,
      on: bus.on,
      setMuted(m) {
        muted = !!m;
        stream.getAudioTracks().forEach((t) => { t.enabled = !muted; });
        send({ type: 'mute', callId: id, muted });
        bus.emit('muted', muted);
        return Promise.resolve();
      },
      hangUp() {
        if (state === 'ended') return Promise.resolve();
        send({ type: 'hangup', callId: id });
        call._end('hung up');
        return Promise.resolve();
      },
      _end(reason) {
        if (state === 'ended') return;
        closePeer();
        stream.getTracks().forEach((t) => t.stop());
        setState('ended');
        bus.emit('ended', reason);
      },
      _signal: (f) => signal(f).catch((e) => bus.emit('error', e)),
    };

    function setState(s) {
      // Ended is final: a stats read or a frame handler still awaiting when the call ends must not revive it.
      if (s === state || state === 'ended') return;
      state = s;
      bus.emit('state', s);
    }

    function closePeer() {
      clearInterval(statsTimer);
      statsTimer = 0;
      if (pc) pc.close();
      pc = null;
      pending = [];
      audio.srcObject = null;
    }

    function peer() {
      closePeer();
      pc = new RTCPeerConnection({ iceServers: [] });
      stream.getAudioTracks().forEach((t) => pc.addTrack(t, stream));
      pc.onicecandidate = (e) => {
        // Loopback only: the stand-in drops anything else, and the page does not offer it either.
        const c = e.candidate;
        if (c && c.candidate && c.candidate.split(' ')[4] === '127.0.0.1') send({ type: 'ice', callId: id, candidate: c.toJSON() });
      };
      pc.ontrack = (e) => {
        call.remoteStream = e.streams[0] || new MediaStream([e.track]);
        audio.srcObject = call.remoteStream;
        audio.play().catch(() => {});
        bus.emit('media', call.remoteStream);
      };
      pc.onconnectionstatechange = () => {
        if (pc && (pc.connectionState === 'failed' || pc.connectionState === 'closed')) setState('connecting');
      };
      // "Connected" only once audio packets arrive: never claim a conversation the shopper cannot hear.
      last = null;
      statsTimer = setInterval(stats, 250);
    }

    async function stats() {
      const current = pc;
      if (!current) return;
      const report = await current.getStats();
      if (pc !== current) return; // closed or replaced while reading
      let inbound = null;
      let rtt = null;
      report.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
        if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime != null) rtt = s.currentRoundTripTime;
      });
      if (!inbound || !inbound.packetsReceived) return;
      if (state !== 'connected') {
        setState('connected');
        clearInterval(statsTimer);
        statsTimer = setInterval(stats, 2000);
      }
      const lost = inbound.packetsLost || 0;
      const got = inbound.packetsReceived;
      const lossRate = last ? Math.max(0, lost - last.lost) / Math.max(1, (got - last.got) + (lost - last.lost)) : 0;
      last = { lost, got };
      bus.emit('quality', grade(rtt, inbound.jitter, lossRate));
    }

    async function signal(f) {
      switch (f.type) {
        case 'connected': if (state !== 'connected') setState('waiting'); break;
        case 'peer':
          peer();
          setState('connecting');
          if (f.offerer) {
            await pc.setLocalDescription(await pc.createOffer());
            send({ type: 'sdp', callId: id, description: pc.localDescription.toJSON() });
          }
          break;
        case 'sdp':
          if (!pc) peer();
          await pc.setRemoteDescription(f.description);
          if (f.description.type === 'offer') {
            await pc.setLocalDescription(await pc.createAnswer());
            send({ type: 'sdp', callId: id, description: pc.localDescription.toJSON() });
          }
          for (const c of pending.splice(0)) await pc.addIceCandidate(c);
          break;
        case 'ice':
          if (!pc || !f.candidate) break;
          if (!pc.remoteDescription) pending.push(f.candidate);
          else await pc.addIceCandidate(f.candidate);
          break;
        case 'peer-left':
          closePeer();
          setState('waiting');
          bus.emit('peer-left');
          break;
        case 'ended': call._end(f.reason); break;
        default: break;
      }
    }

    return call;
  }

  // ===== acs: Microsoft's Calling SDK, from its own bundle (window.CartCallAcs) =====
  const loaded = new Map();
  function loadScript(src) {
    if (!loaded.has(src)) {
      loaded.set(src, new Promise((resolve, reject) => {
        const s = document.createElement('script');
        s.src = src;
        s.async = true;
        s.onload = resolve;
        s.onerror = () => { loaded.delete(src); reject(new Error('Could not load ' + src)); };
        document.head.appendChild(s);
      }));
    }
    return loaded.get(src);
  }

  async function acsAdapter(o) {
    if (!window.CartCallAcs) {
      if (!o.sdkUrl) throw new Error('The acs adapter needs sdkUrl (the calling SDK bundle).');
      await loadScript(o.sdkUrl);
    }
    return window.CartCallAcs.createAdapter(o);
  }

  /**
   * createAdapter('local' | 'acs', options) → adapter { kind, ready, on('incoming'|'ringing-ended'|'error'), dispose() }.
   * options: token (the user's voip token), signalingUrl (local), sdkUrl (acs), stream (a microphone stream already
   * granted), processing (false: no echo cancellation / noise suppression / gain, for tone tests).
   * incoming { id, role, operationContext, from, with, accept() → Promise<call>, decline() }.
   * call { id, state ('connecting' | 'waiting' | 'connected' | 'ended'), muted, remoteStream, setMuted(b), hangUp(),
   * on('state' | 'quality' | 'muted' | 'media' | 'peer-left' | 'ended' | 'error') }.
   */
  async function createAdapter(kind, options) {
    if (kind === 'local') return localAdapter(options || {});
    if (kind === 'acs') return acsAdapter(options || {});
    throw new Error('Unknown calling adapter: ' + kind);
  }

  // ===== the in-call panel: state, timer, connection hint, mute, hang up =====
  const CSS = `.cc-call{margin:0 0 12px}.cc-meta{display:flex;gap:16px;flex-wrap:wrap;margin:0 0 12px;font-size:14px}
.cc-q[data-q=good]::before,.cc-q[data-q=fair]::before,.cc-q[data-q=poor]::before{content:"";display:inline-block;width:.6em;height:.6em;border-radius:50%;margin-right:.35em;background:#1e8e3e}
.cc-q[data-q=fair]::before{background:#e8a200}.cc-q[data-q=poor]::before{background:#c5221f}
.cc-ctl{display:flex;gap:8px;flex-wrap:wrap}.cc-ctl button[aria-pressed=true]{background:var(--a,#0b57d0);color:#fff}
.cc-ctl .cc-end{border-color:#c5221f;background:#c5221f;color:#fff}`;

  /**
   * Draws the call's controls into `container` and keeps them current. Returns { status(text), destroy() }.
   * options: lang, announce(text) (the page's polite live region), onEnded(reason).
   */
  function mountCallPanel(container, call, opts = {}) {
    const t = words(opts.lang);
    const el = (tag, attrs, ...kids) => {
      const e = document.createElement(tag);
      Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
      e.append(...kids);
      return e;
    };
    const announce = opts.announce || (() => {});
    const style = el('style', {}, CSS);
    const status = el('p', { class: 'cc-status', role: 'status' }, t('connecting'));
    const clock = el('span', { class: 'cc-time', role: 'timer', 'aria-label': t('duration') }, '0:00');
    const quality = el('span', { class: 'cc-q', 'data-q': 'unknown' }, t('unknown'));
    const meta = el('p', { class: 'cc-meta' }, el('span', {}, t('duration') + ': ', clock), el('span', {}, t('quality') + ': ', quality));
    meta.hidden = true;
    const mute = el('button', { type: 'button', 'aria-pressed': 'false', class: 'cc-mute' }, t('mute'));
    const end = el('button', { type: 'button', class: 'cc-end' }, t('hangUp'));
    const controls = el('div', { class: 'cc-ctl', role: 'group', 'aria-label': t('controls') }, mute, end);
    const box = el('div', { class: 'cc-call' }, style, status, meta, controls);
    container.append(box);

    let started = 0;
    let tick = 0;
    const fmt = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
    const say = (text) => { status.textContent = text; };

    mute.addEventListener('click', () => call.setMuted(!call.muted));
    end.addEventListener('click', () => call.hangUp());
    const offs = [
      call.on('muted', (m) => {
        mute.setAttribute('aria-pressed', String(m));
        announce(m ? t('micOff') : t('micOn'));
      }),
      call.on('state', (s) => {
        if (s === 'connected') {
          say(t('talking'));
          announce(t('talking'));
          meta.hidden = false;
          if (!started) {
            started = Date.now();
            tick = setInterval(() => { clock.textContent = fmt(Math.floor((Date.now() - started) / 1000)); }, 1000);
          }
        } else if (s === 'waiting') say(t('waiting'));
        else if (s === 'connecting') say(t('connecting'));
      }),
      call.on('peer-left', () => announce(t('peerLeft'))),
      call.on('quality', (q) => { quality.dataset.q = q; quality.textContent = t(q); }),
      call.on('ended', (reason) => {
        clearInterval(tick);
        say(started ? t('ended') : t('failed'));
        announce(status.textContent);
        mute.disabled = true;
        end.disabled = true;
        controls.hidden = true;
        if (opts.onEnded) opts.onEnded(reason);
      }),
    ];
    return {
      status: say,
      get element() { return box; },
      destroy() { clearInterval(tick); offs.forEach((off) => off()); box.remove(); },
    };
  }

  window.CartCallCalling = Object.freeze({ version: VERSION, createAdapter, mountCallPanel, microphone, words, loadScript });
})();
