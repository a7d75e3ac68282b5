using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Domain.Calls.Flow;
using CartCall.Functions.Features.Calls;
using CartCall.LocalCloud.Acs;
using CartCall.Testing;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>
/// Not a check of speed (nothing is asserted about time): measures, for ~30 phone calls, how long an ACS callback takes
/// to reach the call's orchestration and to become the stored call state, and what each call costs in storage, then
/// writes <c>artifacts/bench/call-callbacks.md</c>. Run with <c>--filter Category=Measure</c>.
/// </summary>
/// <remarks>
/// Where each figure comes from: the ACS stand-in stamps each callback as its post starts (<see cref="AcsDeliveredCallback.SentAt"/>);
/// the Durable engine's own history stamps each turn (OrchestratorStarted) and each activity's completion (TaskCompleted);
/// a callback is matched to the turn whose history holds its raised event (n-th callback of a kind = n-th event of that
/// kind; one call's callbacks are posted one after another, so their order holds). "Stored" is per step of the call
/// (answered, agent joined, agent left, over): from the first callback telling of it to the completion of the
/// RecordCallState activity given the stage it leads to, i.e. the call's row written (and its status pushed). Queue messages are
/// counted from the history, where each message the engine consumed left a row: ExecutionStarted, EventRaised,
/// TaskCompleted/TaskFailed and TimerCreated (a timer is one delayed message, fired or not) on the control queues, each
/// TaskScheduled on the work-item queue.
/// </remarks>
[Collection(CallsCollection.Name)]
public sealed class CallCallbackMeasurement(CallsFixture app)
{
    private const int Calls = 30;

    private static readonly Dictionary<string, string> SignalOf = new(StringComparer.Ordinal)
    {
        ["CallConnected"] = "shopper_connected",
        ["CreateCallFailed"] = "shopper_not_reached",
        ["AddParticipantSucceeded"] = "agent_joined",
        ["AddParticipantFailed"] = "agent_did_not_join",
        ["ParticipantsUpdated"] = "participants_changed",
        ["CallDisconnected"] = "disconnected",
        ["PlayCompleted"] = "play_finished",
    };

    [Fact]
    [Trait("Category", "Measure")]
    public async Task Measure_CallbackToTurn_CallbackToStoredState_AndStoragePerCall()
    {
        var loadBefore = LoadAverage();
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 1000);
        for (var a = 0; a < 5; a++)
        {
            var agent = "+120155591" + a.ToString("D2", CultureInfo.InvariantCulture);
            // The agent ends each conversation a second after joining: every call goes dial → connected → talking → ended.
            app.Acs.Parties[agent] = PartyScript.Answers(TimeSpan.FromMilliseconds(20)) with { HangUpAfter = TimeSpan.FromSeconds(1) };
            await app.AddAgentAsync(merchant, "measure-" + a.ToString(CultureInfo.InvariantCulture), phone: agent);
        }

        var callIds = new List<string>();
        for (var i = 0; i < Calls; i++)
        {
            var shopper = "+1201559" + i.ToString("D4", CultureInfo.InvariantCulture);
            app.Acs.Parties[shopper] = PartyScript.Answers(TimeSpan.FromMilliseconds(30));
            var session = "measure-" + i.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
            var offer = await app.NewOfferAsync(merchant, session);
            using var response = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences(shopper),
                from: IPAddress.Parse("127.0.6." + (i + 1).ToString(CultureInfo.InvariantCulture)));
            Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"call {i}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            var callId = (await response.Content.ReadFromJsonAsync<JsonObject>())!["callId"]!.GetValue<string>();
            callIds.Add(callId);
            // One call at a time: the figures are the path's own, not a queue behind other calls.
            await app.WaitForCallAsync(callId, c => c.IsOver, TimeSpan.FromSeconds(90));
            await DurableHubTables.WaitForCompletedAsync(app.Storage, callId, TimeSpan.FromSeconds(90));
        }

        var toTurn = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var toStored = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var historyRows = new List<int>();
        var control = new List<int>();
        var workItems = new List<int>();
        var raised = new List<int>();
        var timers = new List<int>();
        var unmatched = 0;
        var stampKinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var callId in callIds)
        {
            var call = (await app.CallAsync(callId))!;
            var history = await DurableHubTables.HistoryAsync(app.Storage, callId);
            historyRows.Add(history.Count);
            control.Add(history.Count(h => h.EventType is "ExecutionStarted" or "EventRaised" or "TaskCompleted" or "TaskFailed" or "TimerCreated"));
            workItems.Add(history.Count(h => h.EventType == "TaskScheduled"));
            raised.Add(history.Count(h => h.EventType == "EventRaised"));
            timers.Add(history.Count(h => h.EventType == "TimerCreated"));

            var callbacks = app.Acs.DeliveredCallbacks
                .Where(d => d.CallConnectionId == call.CallConnectionId && d.Status == 200 && SignalOf.ContainsKey(d.Type))
                .OrderBy(d => d.SentAt)
                .ToList();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var callback in callbacks)
            {
                var signal = SignalOf[callback.Type];
                var nth = seen[signal] = seen.GetValueOrDefault(signal) + 1;
                var index = IndexOfRaised(history, signal, nth);
                if (index < 0)
                {
                    unmatched++; // raised after the orchestration had ended: the engine drops it
                    continue;
                }

                var turn = history.Take(index).Last(h => h.EventType == "OrchestratorStarted");
                stampKinds.Add(turn.At is null ? "row" : "event");
                Add(toTurn, callback.Type, ((turn.At ?? turn.Written)!.Value - callback.SentAt).TotalMilliseconds);
            }

            // Each step of the call, from the first callback that tells of it to the record of the stage it leads to.
            var participants = callbacks.Where(c => c.Type == "ParticipantsUpdated").ToList();
            var joined = callbacks.Where(c => c.Type == "AddParticipantSucceeded").Concat(participants.Skip(1).Take(1)).MinBy(c => c.SentAt);
            foreach (var (step, from, stage) in new (string, AcsDeliveredCallback?, CallStage)[]
            {
                ("shopper answered: CallConnected → connected", callbacks.FirstOrDefault(c => c.Type == "CallConnected"), CallStage.AddingAgent),
                ("agent joined: first of AddParticipantSucceeded / ParticipantsUpdated → talking", joined, CallStage.Talking),
                ("agent left: ParticipantsUpdated → hanging up", participants.Count >= 3 ? participants[2] : null, CallStage.HangingUp),
                ("call over: CallDisconnected → ended", callbacks.FirstOrDefault(c => c.Type == "CallDisconnected"), CallStage.Ended),
            })
            {
                if (from is not null && RecordedAt(history, from.SentAt, stage) is { } stored)
                {
                    Add(toStored, step, (stored - from.SentAt).TotalMilliseconds);
                }
            }
        }

        var tables = await RowsPerCallAsync(callIds);
        var report = new StringBuilder()
            .AppendLine("# Calls: callback → orchestration, and storage per call")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by `{nameof(CallCallbackMeasurement)}` (tests/CartCall.Functions.Tests, `--filter Category=Measure`).")
            .AppendLine(CultureInfo.InvariantCulture, $"{Calls} phone calls one at a time (dial, shopper answers, agent added, agent hangs up after 1 s, app ends the call) on loopback:")
            .AppendLine("the app on the local Functions host, the Durable engine (Azure Storage provider) on Azurite, the ACS stand-in in-process.")
            .AppendLine(CultureInfo.InvariantCulture, $"Shared 2-core machine, load average {loadBefore} before and {LoadAverage()} after; not asserted anywhere. Timestamps from the history: {string.Join("/", stampKinds)}; callbacks not in any history (raised after the end): {unmatched}.")
            .AppendLine()
            .AppendLine("| callback → | callback type, or the call's step | n | p50 ms | p99 ms | mean ms | max ms |")
            .AppendLine("|---|---|---|---|---|---|---|");
        foreach (var (name, values) in new[] { ("orchestration turn", toTurn), ("stage stored", toStored) })
        {
            report.AppendLine(Row(name, "all", values.Values.SelectMany(v => v).ToList()));
            foreach (var (type, list) in values.OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                report.AppendLine(Row(name, type, list));
            }
        }

        report.AppendLine()
            .AppendLine("Storage per call (mean over the calls; min–max):")
            .AppendLine()
            .AppendLine("| where | what | per call |")
            .AppendLine("|---|---|---|")
            .AppendLine(Per("queue", "Durable control queues (start, raised events, activity results, timers)", control))
            .AppendLine(Per("queue", "Durable work-item queue (activities)", workItems))
            .AppendLine(Per("", "… of which raised callbacks / timers", raised, timers))
            .AppendLine(Per("table", DurableHubTables.History, historyRows));
        foreach (var (table, counts) in tables.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            report.AppendLine(Per("table", table, counts));
        }

        report.AppendLine()
            .AppendLine("App tables count the rows whose partition or row key names the call (the call row, its merchant index row, ledger")
            .AppendLine("entries keyed by the call…); rows the call only updated (the agent's) are not counted.");
        var path = Path.Combine(RepoPaths.Root, "artifacts", "bench", "call-callbacks.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.ToString());
        Assert.True(toTurn.Count > 0);
    }

    /// <summary>The 1-minute load average (Linux), so a reader knows how busy the shared machine was.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static int IndexOfRaised(IReadOnlyList<HistoryRow> history, string signal, int nth)
    {
        var count = 0;
        for (var i = 0; i < history.Count; i++)
        {
            if (history[i].EventType == "EventRaised" && history[i].Input?.Contains($"\"{signal}\"", StringComparison.Ordinal) == true && ++count == nth)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// When the first record of <paramref name="stage"/> scheduled after <paramref name="since"/> was done (its
    /// RecordCallState activity completed). Found by the state the activity was given, not by the turn: a callback that
    /// arrives while an activity runs waits in the history until the orchestration's code gets to it.
    /// </summary>
    private static DateTimeOffset? RecordedAt(IReadOnlyList<HistoryRow> history, DateTimeOffset since, CallStage stage)
    {
        foreach (var row in history)
        {
            if (row is { EventType: "TaskScheduled", Name: nameof(CallActivities.RecordCallState), EventId: { } id } && (row.At ?? row.Written) >= since && StageOf(row.Input) == stage)
            {
                var done = history.FirstOrDefault(h => h.EventType == "TaskCompleted" && h.TaskScheduledId == id);
                return done?.At ?? done?.Written;
            }
        }

        return null;
    }

    /// <summary>The stage in a RecordCallState input, whether the serializer wrote the enum as a name or a number.</summary>
    private static CallStage? StageOf(string? input)
    {
        // The input as the worker serialized it: an object, or (depending on the layer that stored it) that object as a
        // JSON string or the first element of an array.
        var node = input is null ? null : JsonNode.Parse(input);
        while (node is JsonArray { Count: > 0 } array)
        {
            node = array[0];
        }

        if (node is JsonValue text && text.GetValueKind() == System.Text.Json.JsonValueKind.String)
        {
            node = JsonNode.Parse(text.GetValue<string>());
        }

        if (node is not JsonObject request)
        {
            return null;
        }

        var state = Property(request, "state") as JsonObject;
        var value = state is null ? null : Property(state, "stage");
        return value?.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.Number => (CallStage)value.GetValue<int>(),
            System.Text.Json.JsonValueKind.String when Enum.TryParse<CallStage>(value.GetValue<string>(), ignoreCase: true, out var named) => named,
            _ => null,
        };
    }

    private static JsonNode? Property(JsonObject node, string name) =>
        node.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Rows per call in each of the app's tables (the Durable hub's Instances table included).</summary>
    private async Task<Dictionary<string, List<int>>> RowsPerCallAsync(IReadOnlyList<string> callIds)
    {
        var result = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        await foreach (var table in app.Storage.Tables.QueryAsync())
        {
            if (table.Name == DurableHubTables.History)
            {
                continue; // counted from the history itself
            }

            var perCall = callIds.ToDictionary(id => id, _ => 0, StringComparer.Ordinal);
            await foreach (var row in app.Storage.Table(table.Name).QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey"]))
            {
                foreach (var id in callIds)
                {
                    if (row.PartitionKey.Contains(id, StringComparison.Ordinal) || row.RowKey.Contains(id, StringComparison.Ordinal))
                    {
                        perCall[id]++;
                    }
                }
            }

            if (perCall.Values.Any(v => v > 0))
            {
                result[table.Name] = [.. perCall.Values];
            }
        }

        return result;
    }

    private static void Add(Dictionary<string, List<double>> into, string key, double value)
    {
        if (!into.TryGetValue(key, out var list))
        {
            into[key] = list = [];
        }

        list.Add(value);
    }

    private static string Row(string measure, string type, List<double> values)
    {
        if (values.Count == 0)
        {
            return $"| {measure} | {type} | 0 | | | | |";
        }

        var sorted = values.Order().ToList();
        double P(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
        return string.Create(CultureInfo.InvariantCulture, $"| {measure} | {type} | {sorted.Count} | {P(0.5):F1} | {P(0.99):F1} | {sorted.Average():F1} | {sorted[^1]:F1} |");
    }

    private static string Per(string where, string what, List<int> counts, List<int>? second = null)
    {
        static string One(List<int> c) => string.Create(CultureInfo.InvariantCulture, $"{c.Average():F1} ({c.Min()}–{c.Max()})");
        return $"| {where} | {what} | {One(counts)}{(second is null ? "" : " / " + One(second))} |";
    }
}
