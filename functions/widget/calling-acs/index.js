// The `acs` calling adapter: Microsoft's Calling SDK behind the same interface as the `local` adapter in
// ../cartcall-calling.js. esbuild bundles this file with the pinned SDK (package.json, package-lock.json) into
// dist/cartcall-calling-acs.js, which defines window.CartCallAcs. Loaded only when a browser call is chosen.
import { CallClient, Features } from '@azure/communication-calling';
import { AzureCommunicationTokenCredential } from '@azure/communication-common';

function events() {
  const map = new Map();
  return {
    on(name, fn) { (map.get(name) || map.set(name, new Set()).get(name)).add(fn); return () => map.get(name).delete(fn); },
    emit(name, ...args) { (map.get(name) || []).forEach((fn) => { try { fn(...args); } catch (e) { console.error(e); } }); },
  };
}

// Same thresholds as the local adapter: round trip, jitter, loss of the last sample.
function grade(rttMs, jitterMs, lossRate) {
  if (rttMs == null && jitterMs == null) return 'unknown';
  if ((rttMs || 0) > 600 || (jitterMs || 0) > 100 || lossRate > 0.08) return 'poor';
  if ((rttMs || 0) > 300 || (jitterMs || 0) > 30 || lossRate > 0.02) return 'fair';
  return 'good';
}

function wrapCall(call) {
  const bus = events();
  let state = 'connecting';
  const setState = (s) => { if (s !== state) { state = s; bus.emit('state', s); } };
  const collector = call.feature(Features.MediaStats).createCollector({ aggregationInterval: 1, dataPointsPerAggregation: 1 });
  // "Connected" only once audio packets arrive from the other side: never claim a conversation nobody can hear.
  collector.on('sampleReported', (sample) => {
    const rx = (sample.audio && sample.audio.receive && sample.audio.receive[0]) || null;
    if (!rx || !rx.packets) return;
    if (call.state === 'Connected') setState('connected');
    const transport = (sample.transports && sample.transports[0]) || {};
    const pps = rx.packetsPerSecond || 0;
    const lost = rx.packetsLostPerSecond || 0;
    bus.emit('quality', grade(rx.rttInMs ?? transport.rttInMs, rx.jitterInMs, pps + lost > 0 ? lost / (pps + lost) : 0));
  });
  call.on('stateChanged', () => {
    if (call.state === 'Disconnected') {
      collector.dispose();
      setState('ended');
      const r = call.callEndReason || {};
      bus.emit('ended', `${r.code ?? ''}/${r.subCode ?? ''}`);
    } else if (call.state === 'Connected' && state !== 'connected') setState(call.remoteParticipants.length ? 'connecting' : 'waiting');
  });
  call.on('remoteParticipantsUpdated', (e) => {
    if (e.removed.length && !call.remoteParticipants.length && state !== 'ended') { setState('waiting'); bus.emit('peer-left'); }
  });
  call.on('isMutedChanged', () => bus.emit('muted', call.isMuted));
  return {
    id: call.id,
    get state() { return state; },
    get muted() { return call.isMuted; },
    remoteStream: null, // the SDK plays the remote audio itself
    on: bus.on,
    setMuted: (m) => (m ? call.mute() : call.unmute()),
    hangUp: () => (state === 'ended' ? Promise.resolve() : call.hangUp()),
  };
}

async function createAdapter(o) {
  if (!o || !o.token) throw new Error('The acs adapter needs the user\'s voip token.');
  const bus = events();
  const callClient = new CallClient();
  const credential = new AzureCommunicationTokenCredential(o.token);
  const agent = await callClient.createCallAgent(credential, { displayName: o.displayName });
  const devices = await callClient.getDeviceManager();
  await devices.askDevicePermission({ audio: true, video: false });
  agent.on('incomingCall', ({ incomingCall }) => {
    incomingCall.on('callEnded', (e) => bus.emit('ringing-ended', { id: incomingCall.id, reason: String(e && e.callEndReason && e.callEndReason.code) }));
    bus.emit('incoming', {
      id: incomingCall.id,
      from: incomingCall.callerInfo && incomingCall.callerInfo.displayName,
      accept: async () => wrapCall(await incomingCall.accept({ audioOptions: { muted: false } })),
      decline: () => incomingCall.reject(),
    });
  });
  return {
    kind: 'acs',
    ready: Promise.resolve(o.userId),
    on: bus.on,
    dispose() { agent.dispose(); callClient.dispose(); },
  };
}

/** What this browser offers the SDK: a CallClient, its microphones and the environment info (no call, no token). */
async function probe() {
  const started = performance.now();
  const callClient = new CallClient();
  const created = performance.now() - started;
  try {
    const devices = await callClient.getDeviceManager();
    const permission = await devices.askDevicePermission({ audio: true, video: false });
    const microphones = (await devices.getMicrophones()).map((m) => m.name);
    const environment = await callClient.feature(Features.DebugInfo).getEnvironmentInfo();
    return { createdMs: created, audioPermission: !!(permission && permission.audio), microphones, environment };
  } finally {
    callClient.dispose();
  }
}

window.CartCallAcs = Object.freeze({ createAdapter, probe });
