// Publishes events to an Event Grid topic with Microsoft's own client, @azure/eventgrid.
// Env: EG_ENDPOINT (…/api/events), EG_KEY, EG_SCHEMA ("CloudEvent" | "EventGrid"), EG_EVENTS (JSON array in the
// SDK's input shape), EG_AUTH ("key" | "sas"). Prints one JSON line: {"ok":true} or {"ok":false,"statusCode",...}.
import { createRequire } from "node:module";

// Packages live in infra/node_modules, reached through NODE_PATH (ESM import ignores it; require does not).
const require = createRequire(import.meta.url);
const { EventGridPublisherClient, AzureKeyCredential, AzureSASCredential, generateSharedAccessSignature } =
  require("@azure/eventgrid");

const endpoint = process.env.EG_ENDPOINT;
const key = process.env.EG_KEY;
const schema = process.env.EG_SCHEMA ?? "CloudEvent";
const events = JSON.parse(process.env.EG_EVENTS ?? "[]");
const auth = process.env.EG_AUTH ?? "key";

try {
  let credential = new AzureKeyCredential(key);
  if (auth === "sas") {
    const expiresOn = new Date(Date.now() + 10 * 60 * 1000);
    credential = new AzureSASCredential(await generateSharedAccessSignature(endpoint, credential, expiresOn));
  }
  const client = new EventGridPublisherClient(endpoint, schema, credential, {
    allowInsecureConnection: true,
    retryOptions: { maxRetries: 0 },
  });
  for (const e of events) {
    if (e.time) e.time = new Date(e.time);
    if (e.eventTime) e.eventTime = new Date(e.eventTime);
  }
  await client.send(events);
  console.log(JSON.stringify({ ok: true, sent: events.length }));
} catch (err) {
  console.log(JSON.stringify({
    ok: false,
    name: err?.name,
    statusCode: err?.statusCode ?? null,
    code: err?.code ?? null,
    message: String(err?.message ?? err),
  }));
  process.exitCode = 2;
}
