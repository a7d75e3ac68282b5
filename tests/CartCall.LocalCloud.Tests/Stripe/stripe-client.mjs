// Drives the Stripe stand-in with Stripe's own Node client, the `stripe` npm package.
// Env: STRIPE_MODE ("api" | "verify"); api: STRIPE_BASE (http://127.0.0.1:PORT/), STRIPE_KEY;
// verify: STRIPE_PAYLOAD, STRIPE_SIGNATURE, STRIPE_SECRET. Prints one JSON line with what it saw.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const Stripe = require("stripe");

const mode = process.env.STRIPE_MODE ?? "api";

function errorOf(e) {
  return { name: e?.constructor?.name, type: e?.type, rawType: e?.raw?.type, code: e?.code, decline_code: e?.decline_code,
    statusCode: e?.statusCode, message: e?.message, param: e?.param, pi_status: e?.payment_intent?.status };
}

try {
  if (mode === "verify") {
    const stripe = new Stripe("sk_test_unused_for_verification");
    const event = stripe.webhooks.constructEvent(process.env.STRIPE_PAYLOAD, process.env.STRIPE_SIGNATURE, process.env.STRIPE_SECRET);
    let wrongSecret = null;
    try {
      stripe.webhooks.constructEvent(process.env.STRIPE_PAYLOAD, process.env.STRIPE_SIGNATURE, "whsec_not_the_secret");
    } catch (e) {
      wrongSecret = e.type;
    }
    console.log(JSON.stringify({ ok: true, type: event.type, id: event.id, object: event.data.object.object, wrongSecret }));
  } else {
    const base = new URL(process.env.STRIPE_BASE);
    const stripe = new Stripe(process.env.STRIPE_KEY, {
      host: base.hostname, port: Number(base.port), protocol: base.protocol.replace(":", ""), maxNetworkRetries: 0,
    });
    const params = { amount: 2000, currency: "usd", capture_method: "manual", metadata: { call_id: "ca_node" } };
    const created = await stripe.paymentIntents.create(params, { idempotencyKey: "node-hold-1" });
    const replayed = await stripe.paymentIntents.create(params, { idempotencyKey: "node-hold-1" });
    let mismatch = null;
    try {
      await stripe.paymentIntents.create({ ...params, amount: 2100 }, { idempotencyKey: "node-hold-1" });
    } catch (e) {
      mismatch = errorOf(e);
    }
    const confirmed = await stripe.paymentIntents.confirm(created.id, { payment_method: "pm_card_mastercard" });
    const captured = await stripe.paymentIntents.capture(created.id, { amount_to_capture: 1250 });
    const retrieved = await stripe.paymentIntents.retrieve(created.id);

    const other = await stripe.paymentIntents.create(params);
    let decline = null;
    try {
      await stripe.paymentIntents.confirm(other.id, { payment_method: "pm_card_chargeDeclinedInsufficientFunds" });
    } catch (e) {
      decline = errorOf(e);
    }
    const cancelled = await stripe.paymentIntents.cancel(other.id, { cancellation_reason: "abandoned" });
    let missing = null;
    try {
      await stripe.paymentIntents.retrieve("pi_does_not_exist");
    } catch (e) {
      missing = errorOf(e);
    }

    console.log(JSON.stringify({
      ok: true,
      created: { id: created.id, status: created.status, capture_method: created.capture_method, metadata: created.metadata },
      replayedId: replayed.id,
      mismatch,
      confirmed: { status: confirmed.status, amount_capturable: confirmed.amount_capturable },
      captured: { status: captured.status, amount_received: captured.amount_received },
      retrieved: { status: retrieved.status, currency: retrieved.currency },
      decline,
      cancelled: { status: cancelled.status, cancellation_reason: cancelled.cancellation_reason },
      missing,
    }));
  }
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: errorOf(e) }));
  process.exit(2);
}
