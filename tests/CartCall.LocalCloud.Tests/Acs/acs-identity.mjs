// Creates a user and a VoIP token on the ACS stand-in with Microsoft's Identity client; prints one JSON line.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.CARTCALL_INFRA_DIR, 'package.json'));
const { CommunicationIdentityClient } = require('@azure/communication-identity');

const out = {};
try {
  const client = new CommunicationIdentityClient(process.env.ACS_CONNECTION_STRING, { allowInsecureConnection: true });
  const created = await client.createUserAndToken(['voip']);
  out.userId = created.user.communicationUserId;
  out.tokenLength = created.token.length;
  out.expiresOn = created.expiresOn.toISOString();

  const again = await client.getToken(created.user, ['voip']);
  out.reissuedTokenLength = again.token.length;

  // The same request signed with a wrong key must be refused.
  const bad = new CommunicationIdentityClient(process.env.ACS_WRONG_CONNECTION_STRING, { allowInsecureConnection: true });
  try {
    await bad.createUser();
    out.wrongKeyStatus = 'accepted';
  } catch (e) {
    out.wrongKeyStatus = e.statusCode ?? null;
    out.wrongKeyCode = e.code ?? null;
  }

  console.log(JSON.stringify(out));
} catch (e) {
  console.error(e?.stack ?? e);
  console.log(JSON.stringify({ ...out, error: String(e?.message ?? e), statusCode: e?.statusCode ?? null }));
  process.exit(1);
}
