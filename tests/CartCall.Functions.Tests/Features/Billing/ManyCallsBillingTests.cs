using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.Functions.Tests.Features.Calls;
using CartCall.LocalCloud.Acs;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>
/// Many calls of one merchant ending at once, half of them paid: every call is metered once, every hold captured once,
/// and the books balance. Also reports (never asserts) how long the orchestrations took from the last hang-up to the
/// last posting, in <c>artifacts/bench/billing-calls.md</c>.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class ManyCallsBillingTests(CallsFixture app)
{
    private const int Calls = 12;

    [Fact]
    public async Task ManyCallsEndingTogether_EachMeteredOnce_EachPaidHoldCapturedOnce_BooksBalance()
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 1000);
        using var admin = app.AdminClient();
        Assert.True((await admin.PutAsJsonAsync($"/api/merchants/{merchant}/plan", CallBillingFlow.PlanBody())).IsSuccessStatusCode);
        for (var a = 0; a < Calls; a++)
        {
            var agent = CallBillingFlow.NewNumber();
            app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(50));
            await app.AddAgentAsync(merchant, "many-" + a.ToString(CultureInfo.InvariantCulture), phone: agent);
        }

        var billing = CallBillingFlow.Billing(app);
        var accepted = await Task.WhenAll(Enumerable.Range(0, Calls).Select(async i =>
        {
            var shopper = CallBillingFlow.NewNumber();
            // All hang up within a few hundred milliseconds of each other.
            app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(200)) with { HangUpAfter = TimeSpan.FromSeconds(4) };
            var session = "many-" + Guid.NewGuid().ToString("N")[..10];
            var offer = await app.NewOfferAsync(merchant, session);
            HttpResponseMessage response;
            var attempts = 0;
            while (true)
            {
                response = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper),
                    from: IPAddress.Parse("127.0.13." + (i + 1).ToString(CultureInfo.InvariantCulture)));
                // Twelve accepts of one merchant at once contend for its daily call counter; the app answers 503 to
                // the losers, and the widget, like any client, sends the accept again (it is idempotent per offer).
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || ++attempts == 10) break;
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempts));
            }

            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"call {i}: {(int)response.StatusCode} {text}");
            var callId = JsonNode.Parse(text)!["callId"]!.GetValue<string>();
            var paid = i % 2 == 0;
            if (paid)
            {
                var placed = await billing.PlaceHoldAsync(callId, merchant, CallBillingFlow.Flat, DateTimeOffset.UtcNow, "Europe/London", "pm_card_visa", CancellationToken.None);
                Assert.True(placed.Ok, string.Join(" ", placed.Problems));
            }

            return (CallId: callId, Paid: paid);
        }));

        // A call may end without connecting (under load an agent's invitation can fail): it is not charged, and its
        // hold is released. So the books are checked against how each call actually ended.
        var records = new List<CartCall.Functions.Features.Calls.CallRecord>();
        foreach (var (callId, _) in accepted)
        {
            records.Add(await app.WaitForCallAsync(callId, c => c.IsOver, TimeSpan.FromSeconds(120)));
        }

        var connected = records.Where(r => r.ConnectedAt is not null && r.DurationSeconds > 0).Select(r => r.CallId).ToHashSet();
        bool AllPosted(JsonObject ledger) => accepted.All(c =>
        {
            var keys = CallBillingFlow.Keys(ledger, c.CallId);
            return !connected.Contains(c.CallId)
                ? !c.Paid || keys.Contains(c.CallId + "|hold_released")
                : keys.Contains(c.CallId + "|usage_charge") && (!c.Paid || keys.Contains(c.CallId + "|shopper_payment"));
        });

        var ledger = await CallBillingFlow.LedgerWhenAsync(app, merchant, AllPosted, TimeSpan.FromSeconds(180));
        var postedBy = DateTimeOffset.UtcNow;

        Assert.True(connected.Count >= Calls / 2, $"only {connected.Count} of {Calls} calls connected");
        Assert.True(ledger["balanced"]!.GetValue<bool>(), ledger.ToJsonString());
        var keys = ledger["entries"]!.AsArray().Select(e => e!["key"]!.GetValue<string>()).ToList();
        Assert.Equal(keys.Count, keys.Distinct().Count());
        foreach (var (callId, paid) in accepted)
        {
            Assert.Equal(connected.Contains(callId) ? 1 : 0, keys.Count(k => k == callId + "|usage_charge"));
            if (!paid) continue;
            var intent = Assert.Single(app.Stripe.PaymentIntents, pi => pi["metadata"]?["call_id"]?.GetValue<string>() == callId);
            var id = intent["id"]!.GetValue<string>();
            if (connected.Contains(callId))
            {
                Assert.Equal(500, intent["amount_received"]!.GetValue<long>());
                Assert.Single(app.Stripe.Requests, r => r.Path == $"/v1/payment_intents/{id}/capture" && r.Status == 200 && !r.Replayed);
            }
            else
            {
                Assert.Equal("canceled", intent["status"]!.GetValue<string>());
            }
        }

        var usage = (await admin.GetFromJsonAsync<JsonObject>($"/api/merchants/{merchant}/usage"))!;
        Assert.Equal(connected.Count, usage["billedCalls"]!.GetValue<int>());
        Assert.Equal(accepted.Count(c => c.Paid && connected.Contains(c.CallId)), usage["shopperPaymentCount"]!.GetValue<int>());

        var ends = records.Select(r => r.EndedAt!.Value).Order().ToList();
        Report(ends, postedBy, keys.Count, connected.Count);
    }

    private static void Report(IReadOnlyList<DateTimeOffset> ends, DateTimeOffset postedBy, int entries, int connected)
    {
        var inv = CultureInfo.InvariantCulture;
        var spread = (ends[^1] - ends[0]).TotalMilliseconds;
        var tail = (postedBy - ends[^1]).TotalMilliseconds;
        var window = (postedBy - ends[0]).TotalSeconds;
        var sb = new StringBuilder();
        sb.AppendLine("# Billing through the call orchestration (one merchant, calls ending together)");
        sb.AppendLine();
        sb.AppendLine(inv, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores, in-process worker on the local Functions host, Azurite, ACS and Stripe stand-ins over loopback.");
        sb.AppendLine(inv, $"{Calls} phone calls of one merchant ({connected} connected), half paid (flat hold captured at hang-up through Stripe.net); the stored hang-ups spread over {spread:0} ms.");
        sb.AppendLine();
        sb.AppendLine("| calls | ledger entries | last hang-up → last entry seen (ms, 200 ms polling) | entries/s over first hang-up → last entry |");
        sb.AppendLine("|---:|---:|---:|---:|");
        sb.AppendLine(inv, $"| {Calls} | {entries} | {tail:0} | {entries / window:0.0} |");
        var text = sb.ToString();
        Console.WriteLine(text);
        try
        {
            var path = Path.Combine(CartCall.Testing.RepoPaths.Root, "artifacts", "bench", "billing-calls.md");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        catch (IOException)
        {
            // The figures are on the console; the file is a convenience.
        }
    }
}
