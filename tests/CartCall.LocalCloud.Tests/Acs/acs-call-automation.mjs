// Drives the ACS stand-in with Microsoft's own Call Automation client and prints what it saw as one JSON line.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.CARTCALL_INFRA_DIR, 'package.json'));
const { CallAutomationClient } = require('@azure/communication-call-automation');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const client = new CallAutomationClient(process.env.ACS_CONNECTION_STRING, { allowInsecureConnection: true });
const callback = process.env.ACS_CALLBACK_URL;
const out = {};

async function waitConnected(connection) {
  for (let i = 0; i < 100; i++) {
    const p = await connection.getCallConnectionProperties();
    if (p.callConnectionState === 'connected') return p;
    await sleep(100);
  }
  throw new Error('call never connected');
}

const idOf = (t) => t?.phoneNumber ?? t?.communicationUserId ?? t?.rawId ?? null;

try {
  // 1. A PSTN call: create, wait until connected, add the agent, play, terminate for everyone.
  const pstn = await client.createCall(
    { targetParticipant: { phoneNumber: process.env.ACS_PSTN_TARGET }, sourceCallIdNumber: { phoneNumber: '+14255550100' }, sourceDisplayName: 'Store' },
    callback,
    { operationContext: 'ctx-pstn' });
  const p = pstn.callConnectionProperties;
  out.pstn = {
    callConnectionId: p.callConnectionId,
    state: p.callConnectionState,
    targets: (p.targetParticipants ?? []).map(idOf),
    source: idOf(p.source),
    callerId: p.sourceCallerIdNumber?.phoneNumber ?? null,
    correlationId: p.correlationId ?? null,
  };
  out.pstn.connectedState = (await waitConnected(pstn.callConnection)).callConnectionState;

  const add = await pstn.callConnection.addParticipant(
    { targetParticipant: { communicationUserId: process.env.ACS_AGENT_ID } },
    { invitationTimeoutInSeconds: 20, operationContext: 'add-agent' });
  out.add = { invitationId: add.invitationId ?? null, participant: idOf(add.participant?.identifier), operationContext: add.operationContext ?? null };

  await pstn.callConnection.getCallMedia().playToAll([{ kind: 'fileSource', url: 'http://127.0.0.1/prompt.wav' }], { operationContext: 'play1' });
  out.play = 'accepted';

  await pstn.callConnection.hangUp(true);
  out.pstn.terminated = true;

  // 2. A VoIP call to an ACS user (the shopper's browser), left with DELETE.
  const voip = await client.createCall({ targetParticipant: { communicationUserId: process.env.ACS_USER_ID } }, callback, { operationContext: 'ctx-voip' });
  out.voip = {
    callConnectionId: voip.callConnectionProperties.callConnectionId,
    targets: (voip.callConnectionProperties.targetParticipants ?? []).map(idOf),
  };
  out.voip.connectedState = (await waitConnected(voip.callConnection)).callConnectionState;
  await voip.callConnection.hangUp(false);
  out.voip.hungUp = true;

  console.log(JSON.stringify(out));
} catch (e) {
  console.error(e?.stack ?? e);
  console.log(JSON.stringify({ ...out, error: String(e?.message ?? e), statusCode: e?.statusCode ?? null, code: e?.code ?? null }));
  process.exit(1);
}
