using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.LocalCloud.Acs;
using CartCall.Testing;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>
/// Not a check of speed (timings are never asserted): measures accept → create-call request at the ACS stand-in and
/// the app's callback handling time over real loopback sockets, and writes <c>artifacts/bench/calls.md</c>.
/// Run with <c>--filter Category=Measure</c>.
/// </summary>
[Collection(CallsCollection.Name)]
public sealed class CallLatencyMeasurement(CallsFixture app)
{
    private const int Calls = 50;
    private const int Alone = 15;

    [Fact]
    [Trait("Category", "Measure")]
    public async Task Measure_AcceptToCreateCall_AndCallbackHandling()
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 1000);
        // An agent takes one call at a time: enough of them that every call finds one free.
        for (var a = 0; a < 30; a++)
        {
            var agent = "+120155589" + a.ToString("D2", CultureInfo.InvariantCulture);
            app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(20));
            await app.AddAgentAsync(merchant, "bench-" + a.ToString(CultureInfo.InvariantCulture), phone: agent);
        }
        var acceptHttp = new List<double>();
        var toCreate = new List<double>();
        var toCreateAlone = new List<double>();
        var callIds = new List<string>();
        for (var i = 0; i < Calls; i++)
        {
            var shopper = "+1201556" + i.ToString("D4", CultureInfo.InvariantCulture);
            app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(30)) with { HangUpAfter = TimeSpan.FromSeconds(3) };
            var session = "bench-" + i.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
            var offer = await app.NewOfferAsync(merchant, session);

            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var response = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper),
                from: IPAddress.Parse("127.0.9." + (i + 1).ToString(CultureInfo.InvariantCulture))); // each a different shopper, under the per-address limit
            acceptHttp.Add(clock.Elapsed.TotalMilliseconds);
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"call {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var callId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["callId"]!.GetValue<string>();
            callIds.Add(callId);

            var created = await app.WaitForAsync(() => app.Acs.Calls.FirstOrDefault(c => c.OperationContext == callId), "create-call of " + callId);
            var dialled = (created.Timeline[0].At - started).TotalMilliseconds;
            toCreate.Add(dialled);
            if (i < Alone)
            {
                // The first ones alone: nothing else in flight, as for a small shop.
                toCreateAlone.Add(dialled);
                await app.WaitForCallAsync(callId, c => c.IsOver, TimeSpan.FromSeconds(60));
            }
            else
            {
                // Then spaced out 150 ms, each still talking when the next comes: a busy shop's calls overlap.
                await Task.Delay(150);
            }
        }

        foreach (var callId in callIds)
        {
            await app.WaitForCallAsync(callId, c => c.IsOver, TimeSpan.FromSeconds(60));
        }

        Assert.Equal(Calls, toCreate.Count);

        var report = new StringBuilder()
            .AppendLine("# Calls: accept to dial, and callback handling")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `{nameof(CallLatencyMeasurement)}` (tests/CartCall.Functions.Tests, `--filter Category=Measure`).")
            .AppendLine(CultureInfo.InvariantCulture, $"{Calls} phone accepts one after another (150 ms apart) on loopback: the app on the local Functions host, Azurite, the ACS, Event Grid and Web PubSub stand-ins in-process;")
            .AppendLine("the Durable engine polling at most every 100 ms. Shared 2-core machine; not asserted anywhere.")
            .AppendLine()
            .AppendLine("| measure | n | p50 ms | p99 ms | mean ms | max ms |")
            .AppendLine("|---|---|---|---|---|---|")
            .AppendLine(Row("accept HTTP round trip (202)", acceptHttp))
            .AppendLine(Row("accept sent → create-call request at the ACS stand-in, all", toCreate))
            .AppendLine(Row("… with no other call in flight", toCreateAlone))
            .AppendLine(Row("… while earlier calls are in flight", toCreate.Skip(Alone).ToList()))
            .AppendLine()
            .AppendLine("The accept records the call, dials at once and starts the call's orchestration beside the dial (the orchestration's own")
            .AppendLine("dial is answered by ACS as a repeat), so the dial waits for admission (reads and reservations in Table storage), not for")
            .AppendLine("the Durable engine's queues. With calls in flight, their orchestrations share Azurite with the accepts.");
        var path = Path.Combine(RepoPaths.Root, "artifacts", "bench", "calls.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.ToString());
        Assert.True(File.Exists(path));
    }

    private static string Row(string name, List<double> values)
    {
        var sorted = values.Order().ToList();
        double P(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"| {name} | {sorted.Count} | {P(0.5):F1} | {P(0.99):F1} | {sorted.Average():F1} | {sorted[^1]:F1} |");
    }
}
