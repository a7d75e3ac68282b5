// Proves the Web PubSub stand-in with Microsoft's own SDKs: @azure/web-pubsub (server) signs tokens and calls
// REST; @azure/web-pubsub-client connects, joins groups and receives. Prints one JSON line; exit 0 = ran to the end.
// Env: CARTCALL_INFRA_DIR (holds node_modules), WPS_CONNECTION_STRING, WPS_HUB, WPS_PROTOCOL (json | reliable).
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.CARTCALL_INFRA_DIR, "package.json"));
const { WebPubSubServiceClient } = require("@azure/web-pubsub");
const { WebPubSubClient, WebPubSubJsonProtocol, WebPubSubJsonReliableProtocol } = require("@azure/web-pubsub-client");

const hub = process.env.WPS_HUB;
const out = { protocol: process.env.WPS_PROTOCOL, steps: [] };
const finish = (code, extra = {}) => {
  console.log(JSON.stringify({ ...out, ...extra }));
  process.exit(code);
};
setTimeout(() => finish(3, { error: "timed out" }), 25000).unref();

const describe = (message) => ({
  from: message.from,
  group: message.group ?? null,
  fromUserId: message.fromUserId ?? null,
  dataType: message.dataType,
  data: message.dataType === "binary" ? Buffer.from(message.data).toString("base64") : message.data,
});

async function connect(service, userId, roles) {
  const { url, baseUrl } = await service.getClientAccessToken({ userId, roles, expirationTimeInMinutes: 10 });
  const protocol = process.env.WPS_PROTOCOL === "reliable" ? WebPubSubJsonReliableProtocol() : WebPubSubJsonProtocol();
  const client = new WebPubSubClient(url, { protocol, autoReconnect: false });
  const received = [];
  client.on("server-message", (e) => received.push(describe(e.message)));
  client.on("group-message", (e) => received.push(describe(e.message)));
  const connected = new Promise((resolve) => client.on("connected", (e) => resolve(e)));
  await client.start();
  const info = await connected;
  return { client, received, baseUrl, connectionId: info.connectionId, userId: info.userId };
}

async function waitFor(predicate) {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 50));
}

try {
  const service = new WebPubSubServiceClient(process.env.WPS_CONNECTION_STRING, hub, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });

  const shopper = await connect(service, "shopper-1", ["webpubsub.joinLeaveGroup.offers", "webpubsub.sendToGroup.offers"]);
  out.baseUrl = shopper.baseUrl;
  out.shopperConnected = { userId: shopper.userId, hasConnectionId: !!shopper.connectionId };
  await shopper.client.joinGroup("offers");
  out.steps.push("joined offers");

  const agent = await connect(service, "agent-1", []);
  try {
    await agent.client.joinGroup("offers");
    out.agentJoin = { rejected: false };
  } catch (e) {
    out.agentJoin = { rejected: true, name: e.errorDetail?.name ?? null };
  }

  out.userExists = await service.userExists("shopper-1");
  out.strangerExists = await service.userExists("nobody");

  await service.sendToUser("shopper-1", { offer: "call-now", cartValue: 129.5 });
  await service.group("offers").sendToAll("offer text", { contentType: "text/plain" });
  await service.sendToAll(new Uint8Array([1, 2, 3]));
  await service.sendToUser("nobody", { offer: "lost" });
  await service.group("agents").addUser("agent-1");
  await service.group("agents").sendToAll({ queue: "sales" });
  await shopper.client.sendToGroup("offers", { hello: "group" }, "json");
  out.steps.push("sent");

  await waitFor(() => shopper.received.length >= 4 && agent.received.length >= 2);
  out.shopperReceived = shopper.received;
  out.agentReceived = agent.received;

  await service.closeUserConnections("agent-1", { reason: "done" });
  await shopper.client.stop();
  out.steps.push("stopped");
  finish(0);
} catch (e) {
  finish(2, { error: String(e?.stack ?? e), statusCode: e?.statusCode ?? null });
}
