using System.Net;
using System.Text;

namespace CartCall.LocalCloud.Stripe;

/// <summary>
/// Stands in for Stripe's Payment Element during local runs and browser tests: shows the amount of a PaymentIntent
/// (found by its client secret), lets the shopper pick a test card, and confirms with the publishable key exactly as
/// Stripe.js does. No card data is typed, none is seen by CartCall. When done it posts
/// <c>{type: "cartcall-standin-payment", status, paymentIntent}</c> to the parent window (for an iframe) and follows
/// <c>return_url</c> with Stripe's <c>payment_intent</c>, <c>payment_intent_client_secret</c> and <c>redirect_status</c>.
/// With <c>embedded=1</c> (the widget frames it where the Payment Element would mount) it drops its own frame and amount,
/// since the widget around it already shows the price, as it does around Stripe's element.
/// </summary>
internal static class StripePaymentElementPage
{
    public static string Render(string publishableKey)
    {
        var options = new StringBuilder();
        foreach (var card in StripeTestPaymentMethods.All)
        {
            options.Append("<option value=\"").Append(WebUtility.HtmlEncode(card.Id)).Append("\">")
                .Append(WebUtility.HtmlEncode(card.Label)).Append(" (…").Append(card.Last4).Append(")</option>");
        }

        return Template
            .Replace("{{OPTIONS}}", options.ToString(), StringComparison.Ordinal)
            .Replace("{{KEY}}", System.Text.Json.JsonSerializer.Serialize(publishableKey), StringComparison.Ordinal);
    }

    private const string Template = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Payment (Stripe stand-in)</title>
        <style>
          body { font: 16px system-ui, sans-serif; margin: 0; padding: 16px; color: #1a1f36; }
          .box { max-width: 380px; border: 1px solid #e3e8ee; border-radius: 8px; padding: 16px; }
          label { display: block; font-size: 14px; margin: 12px 0 4px; }
          select, button { width: 100%; font: inherit; padding: 10px; border-radius: 6px; }
          select { border: 1px solid #c0c8d2; }
          button { margin-top: 16px; border: 0; background: #635bff; color: #fff; cursor: pointer; }
          button:disabled { background: #a3acb9; }
          #amount { font-size: 22px; font-weight: 600; }
          #message { margin-top: 12px; min-height: 1.4em; }
          .error { color: #df1b41; } .ok { color: #0e6245; }
          .note { font-size: 12px; color: #697386; margin-top: 12px; }
          .embedded body { padding: 2px; background: transparent; }
          .embedded .box { border: 0; padding: 0; max-width: none; }
          .embedded #amount { display: none; }
        </style>
        </head>
        <body>
        <div class="box">
          <div id="amount" data-testid="amount">…</div>
          <label for="card">Test card</label>
          <select id="card" data-testid="card">{{OPTIONS}}</select>
          <button id="pay" data-testid="pay" disabled>Authorize</button>
          <div id="message" data-testid="message" role="status"></div>
          <div class="note">Local stand-in for Stripe's Payment Element: test cards only.</div>
        </div>
        <script>
        (() => {
          const key = {{KEY}};
          const params = new URLSearchParams(location.search);
          if (params.get("embedded") === "1") document.documentElement.classList.add("embedded");
          const secret = params.get("client_secret") || "";
          const returnUrl = params.get("return_url");
          const id = secret.split("_secret_")[0];
          const amount = document.getElementById("amount");
          const pay = document.getElementById("pay");
          const message = document.getElementById("message");
          const show = (text, cls) => { message.textContent = text; message.className = cls || ""; };
          const format = (pi) => {
            try { return new Intl.NumberFormat(undefined, { style: "currency", currency: pi.currency.toUpperCase() })
              .format(pi.amount / Math.pow(10, new Intl.NumberFormat("en", { style: "currency", currency: pi.currency.toUpperCase() }).resolvedOptions().maximumFractionDigits)); }
            catch { return pi.amount + " " + pi.currency; }
          };
          const finish = (status, pi) => {
            if (window.parent !== window) window.parent.postMessage({ type: "cartcall-standin-payment", status, paymentIntent: pi && pi.id }, "*");
            if (returnUrl) {
              const url = new URL(returnUrl);
              url.searchParams.set("payment_intent", id);
              url.searchParams.set("payment_intent_client_secret", secret);
              url.searchParams.set("redirect_status", status);
              location.assign(url.toString());
            }
          };
          fetch("/v1/payment_intents/" + encodeURIComponent(id) + "?client_secret=" + encodeURIComponent(secret) + "&key=" + encodeURIComponent(key))
            .then(r => r.json()).then(pi => {
              if (pi.error) { show(pi.error.message, "error"); return; }
              amount.textContent = format(pi);
              if (pi.status === "requires_payment_method" || pi.status === "requires_confirmation") pay.disabled = false;
              else show("This payment is " + pi.status.replaceAll("_", " ") + ".", "ok");
            }).catch(e => show(String(e), "error"));
          pay.addEventListener("click", async () => {
            pay.disabled = true;
            show("Processing…");
            const body = new URLSearchParams({ payment_method: document.getElementById("card").value, client_secret: secret, key });
            const response = await fetch("/v1/payment_intents/" + encodeURIComponent(id) + "/confirm", { method: "POST", body });
            const result = await response.json();
            if (result.error) {
              show(result.error.message, "error");
              pay.disabled = false;
              finish("failed", result.error.payment_intent);
              return;
            }
            show(result.status === "requires_capture" ? "Authorized: you will be charged after the call." : "Paid.", "ok");
            finish("succeeded", result);
          });
        })();
        </script>
        </body>
        </html>
        """;
}
