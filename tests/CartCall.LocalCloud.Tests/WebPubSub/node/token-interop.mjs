// Cross-checks a client access token made by CartCall's C# adapter against Microsoft's npm SDK: the SDK's own JWT
// library (jsonwebtoken, a dependency of @azure/web-pubsub) must verify it, and its claims must have the shape of
// the token the SDK itself issues for the same user, roles and groups. Prints one JSON line.
// Env: CARTCALL_INFRA_DIR, WPS_CONNECTION_STRING, WPS_HUB, WPS_ACCESS_KEY, WPS_TOKEN, WPS_USER, WPS_ROLES, WPS_GROUPS (comma-separated).
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.CARTCALL_INFRA_DIR, "package.json"));
const { WebPubSubServiceClient } = require("@azure/web-pubsub");
const jwt = createRequire(require.resolve("@azure/web-pubsub"))("jsonwebtoken");

const split = (s) => (s ? s.split(",") : []);
try {
  const service = new WebPubSubServiceClient(process.env.WPS_CONNECTION_STRING, process.env.WPS_HUB, { allowInsecureConnection: true });
  const sdk = await service.getClientAccessToken({
    userId: process.env.WPS_USER,
    roles: split(process.env.WPS_ROLES),
    groups: split(process.env.WPS_GROUPS),
  });
  const sdkClaims = jwt.decode(sdk.token);
  let ours = null;
  let verifyError = null;
  try {
    // Verified against the audience the SDK itself put in its token, so both sides must agree on it.
    ours = jwt.verify(process.env.WPS_TOKEN, process.env.WPS_ACCESS_KEY, { algorithms: ["HS256"], audience: sdkClaims.aud });
  } catch (e) {
    verifyError = String(e.message ?? e);
  }
  console.log(JSON.stringify({ verified: verifyError === null, verifyError, ours, sdk: sdkClaims, sdkUrl: sdk.url }));
} catch (e) {
  console.log(JSON.stringify({ error: String(e?.stack ?? e) }));
  process.exit(2);
}
