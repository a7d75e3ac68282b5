using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using CartCall.Benchmarks.Ingest;
using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Storage;
using CartCall.LocalCloud.Launcher;
using CartCall.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Benchmarks.Billing;

/// <summary>
/// <c>billing</c>: call-ended events billed per second (rate, post usage and telephony cost to the Table ledger on
/// Azurite) at several concurrencies, replays of the same events, and in the same run the floor: the bare
/// entity-group transaction each call needs. Then the time to build a monthly statement for a merchant with
/// <c>--statement-calls</c> calls (default 100,000), against the floor of reading that partition. Loopback only,
/// bounded by counts and a time limit.
/// </summary>
public static class BillingBenchmark
{
    private const string Zone = "Europe/Berlin";
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 8, 0, 0, TimeSpan.Zero);
    private static readonly StatementPeriod November = new(2026, 11);

    private static readonly MerchantPlan Plan = new("bench", "EUR", 4900, 500, Rounding.PerSecond,
    [
        new RateRule(CallMode.Browser, null, 10, 6),
        new RateRule(CallMode.Phone, null, 20, 12),
        new RateRule(CallMode.Phone, "US", 20, 30),
    ]);

    private sealed record Throughput(string Kind, int Concurrency, int Calls, TimeSpan Elapsed, double P50Ms, double P99Ms, int Failures)
    {
        public double PerSecond => Calls / Elapsed.TotalSeconds;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var calls = IngestBenchmark.IntArg(args, "--calls", 2000);
        var statementCalls = IngestBenchmark.IntArg(args, "--statement-calls", 100_000);
        var concurrencies = IngestBenchmark.StringArg(args, "--concurrency") is { } c
            ? c.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToList()
            : [1, 16];
        var output = Path.Combine(RepositoryLayout.Find().ArtifactsDirectory, "bench", "billing.md");
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        var ct = limit.Token;

        Console.WriteLine($"billing: {calls} call-ended events per run at concurrency {string.Join(", ", concurrencies)}; statement of {statementCalls} calls; starting Azurite…");
        await using var azurite = await Azurite.StartAsync().ConfigureAwait(false);
        var storage = new StorageClients(Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString }));
        foreach (var table in new[] { StorageNames.LedgerTable, StorageNames.PlansTable, StorageNames.HoldsTable, "billingfloor" })
        {
            await storage.Table(table).CreateIfNotExistsAsync(ct).ConfigureAwait(false);
        }

        var ledger = new TableLedgerStore(storage, NullLogger<TableLedgerStore>.Instance);
        var plans = new TablePlanStore(storage, TimeProvider.System);
        var billing = new BillingService(ledger, plans, new TableShopperHoldStore(storage), new NoPaymentsProvider(),
            Options.Create(new BillingOptions { TelephonyRates = [new TariffRateOptions(), new TariffRateOptions { Mode = "phone", PerMinuteMinor = 2 }] }),
            TimeProvider.System, NullLogger<BillingService>.Instance);
        var floor = storage.Table("billingfloor");

        // Warm-up: JIT, connection pools, Azurite's first writes.
        await SetPlanAsync(plans, "warm", ct).ConfigureAwait(false);
        await BillAsync(billing, Workload("warm", 300), 4, "warm", ct).ConfigureAwait(false);
        await FloorAsync(floor, Workload("warmfloor", 300), 4, ct).ConfigureAwait(false);

        var runs = new List<Throughput>();
        var entriesPerCall = 0.0;
        foreach (var concurrency in concurrencies)
        {
            var merchant = $"bench-c{concurrency}";
            await SetPlanAsync(plans, merchant, ct).ConfigureAwait(false);
            var workload = Workload(merchant, calls);
            entriesPerCall = (double)EntriesOf(workload) / workload.Count;
            runs.Add(Print(await BillAsync(billing, workload, concurrency, "billing", ct).ConfigureAwait(false)));
            runs.Add(Print(await BillAsync(billing, workload, concurrency, "replay", ct).ConfigureAwait(false)));
            runs.Add(Print(await FloorAsync(floor, Workload(merchant + "-floor", calls), concurrency, ct).ConfigureAwait(false)));
            var check = await ledger.CheckAsync(merchant, November, ct).ConfigureAwait(false);
            if (!check.Balanced || check.Transactions != EntriesOf(workload))
            {
                Console.WriteLine($"ledger check failed for {merchant}: {check.Transactions} entries, {string.Join(" ", check.Problems)}");
                return 1;
            }
        }

        // The statement: seed one merchant-month with the entries its calls post (usage + telephony), in batches.
        var big = "bench-statement";
        await SetPlanAsync(plans, big, ct).ConfigureAwait(false);
        var seed = Stopwatch.StartNew();
        var entries = Workload(big, statementCalls).SelectMany(e => CallBilling.Bill(e.ToUsage(), PlanSchedule.Start(Plan, Zone), Tariff, e.EndedAt).Transactions).ToList();
        // Seeding writes the very entities the ledger writes, straight in 100-entity transactions per partition (the
        // fastest Azurite takes them); it is set-up, not the measurement.
        var ledgerTable = storage.Table(StorageNames.LedgerTable);
        var written = 0;
        var batches = entries.GroupBy(e => TableLedgerStore.PartitionOf(e.MerchantId, e.Period, e.SourceId)).SelectMany(g => g.Chunk(100)).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (chunk, token) =>
        {
            await ledgerTable.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Add, TableLedgerStore.ToEntity(e))), token)
                .ConfigureAwait(false);
            var total = Interlocked.Add(ref written, chunk.Length);
            if (total / 20_000 != (total - chunk.Length) / 20_000)
            {
                Console.WriteLine($"  seeded {total} of {entries.Count} entries ({seed.Elapsed.TotalSeconds:0} s)");
            }
        }).ConfigureAwait(false);
        Console.WriteLine($"seeded {entries.Count} entries for {statementCalls} calls in {seed.Elapsed.TotalSeconds:0.0} s");

        var statements = new StatementService(ledger, plans);
        var builds = new List<double>();
        MonthlyStatement? statement = null;
        for (var i = 0; i < 3; i++)
        {
            var sw = Stopwatch.StartNew();
            statement = await statements.BuildAsync(big, November, ct).ConfigureAwait(false);
            builds.Add(sw.Elapsed.TotalSeconds);
        }

        var scans = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            // The floor reads the same shards the same way (in parallel) and only counts: no projection, no parsing.
            var sw = Stopwatch.StartNew();
            var counts = await Task.WhenAll(Enumerable.Range(0, TableLedgerStore.Shards).Select(async shard =>
            {
                var n = 0;
                var pk = TableLedgerStore.MonthPrefix(big, November) + shard.ToString("x2", CultureInfo.InvariantCulture);
                await foreach (var _ in storage.Table(StorageNames.LedgerTable).QueryAsync<TableEntity>(
                    TableClient.CreateQueryFilter($"PartitionKey eq {pk}"), maxPerPage: 1000, cancellationToken: ct).ConfigureAwait(false))
                {
                    n++;
                }

                return n;
            })).ConfigureAwait(false);
            scans.Add(sw.Elapsed.TotalSeconds);
        }

        var readEntries = new List<LedgerTransaction>();
        await foreach (var e in ledger.ReadAsync(big, November, ct).ConfigureAwait(false)) readEntries.Add(e);
        var pure = Stopwatch.StartNew();
        var rebuilt = StatementBuilder.Build(big, November, Zone, Plan, readEntries);
        var csv = StatementBuilder.ToCsv(rebuilt);
        var pureMs = pure.Elapsed.TotalMilliseconds;

        var markdown = Report(runs, entriesPerCall, statementCalls, entries.Count, builds, scans, pureMs, statement!, csv.Length);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, markdown, ct).ConfigureAwait(false);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"written to {output}");
        return runs.Sum(r => r.Failures) == 0 && statement!.BilledCalls == Workload(big, statementCalls).Count(w => w.ToUsage().Connected) ? 0 : 1;
    }

    private static readonly TelephonyTariff Tariff =
        new BillingOptions { TelephonyRates = [new TariffRateOptions(), new TariffRateOptions { Mode = "phone", PerMinuteMinor = 2 }] }.Tariff;

    /// <summary>How many ledger entries the calls post (usage for connected calls, telephony cost for connected phone calls).</summary>
    private static int EntriesOf(List<CallEndedBilling> workload) =>
        workload.Sum(w => CallBilling.Bill(w.ToUsage(), PlanSchedule.Start(Plan, Zone), Tariff, w.EndedAt).Transactions.Count);

    private static Task SetPlanAsync(TablePlanStore plans, string merchant, CancellationToken ct) =>
        plans.SetAsync(merchant, Plan, Zone, Start.AddDays(-40), ct);

    /// <summary>Deterministic calls spread over November: a mix of browser and phone, a few never connected.</summary>
    private static List<CallEndedBilling> Workload(string merchant, int count)
    {
        var random = new Random(merchant.GetHashCode(StringComparison.Ordinal) & 0x7fffffff);
        var spacing = TimeSpan.FromDays(27).Ticks / Math.Max(1, count);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var created = Start.AddTicks(spacing * i);
            var seconds = random.Next(20) == 0 ? 0 : random.Next(5, 1800);
            var phone = random.Next(3) > 0;
            var connected = seconds > 0 ? created.AddSeconds(15) : (DateTimeOffset?)null;
            return new CallEndedBilling($"{merchant}-{i:D6}", merchant, phone ? CallMode.Phone : CallMode.Browser, phone ? (random.Next(5) == 0 ? "US" : "GB") : null,
                created, connected, (connected ?? created).AddSeconds(seconds + 1), seconds);
        })];
    }

    private static async Task<Throughput> BillAsync(BillingService billing, List<CallEndedBilling> workload, int concurrency, string kind, CancellationToken ct)
    {
        var latencies = new double[workload.Count];
        var failures = 0;
        var next = -1;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < workload.Count)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var result = await billing.SettleCallAsync(workload[i], ct).ConfigureAwait(false);
                    if (result.Outcome != CallBillingOutcome.Billed || result.Posting.Conflicts.Count > 0 || (kind == "replay" && result.Posting.Posted > 0))
                    {
                        Interlocked.Increment(ref failures);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }, ct))).ConfigureAwait(false);
        return Summarise(kind, concurrency, workload.Count, sw.Elapsed, latencies, failures);
    }

    /// <summary>The floor: one entity-group transaction of the two entities a call posts, nothing else.</summary>
    private static async Task<Throughput> FloorAsync(TableClient table, List<CallEndedBilling> workload, int concurrency, CancellationToken ct)
    {
        var latencies = new double[workload.Count];
        var failures = 0;
        var next = -1;
        var tariff = Tariff;
        var sw = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < workload.Count)
            {
                var started = Stopwatch.GetTimestamp();
                var entries = CallBilling.Bill(workload[i].ToUsage(), PlanSchedule.Start(Plan, Zone), tariff, workload[i].EndedAt).Transactions;
                try
                {
                    if (entries.Count > 0)
                    {
                        await table.SubmitTransactionAsync(entries.Select(e => new TableTransactionAction(TableTransactionActionType.Add, TableLedgerStore.ToEntity(e))), ct)
                            .ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Interlocked.Increment(ref failures);
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }, ct))).ConfigureAwait(false);
        return Summarise("floor", concurrency, workload.Count, sw.Elapsed, latencies, failures);
    }

    private static Throughput Summarise(string kind, int concurrency, int calls, TimeSpan elapsed, double[] latencies, int failures)
    {
        var sorted = latencies.Order().ToArray();
        return new Throughput(kind, concurrency, calls, elapsed, sorted[sorted.Length / 2], sorted[Math.Min(sorted.Length - 1, (int)(sorted.Length * 0.99))], failures);
    }

    private static Throughput Print(Throughput r)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Kind,-8} c={r.Concurrency,-3} {r.Calls} calls in {r.Elapsed.TotalSeconds:0.00} s = {r.PerSecond:0} calls/s; p50 {r.P50Ms:0.0} ms, p99 {r.P99Ms:0.0} ms; failures {r.Failures}"));
        return r;
    }

    private static string Report(List<Throughput> runs, double entriesPerCall, int statementCalls, int entries, List<double> builds, List<double> scans, double pureMs, MonthlyStatement s, int csvChars)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("## Billing (Azurite, loopback, this machine)");
        sb.AppendLine();
        sb.AppendLine("Call-ended events billed: rate + read the plan + one entity-group transaction (usage charge + telephony cost).");
        sb.AppendLine("`replay` sends the same events again (every entry already posted: nothing is written). `floor` is the bare transaction.");
        sb.AppendLine();
        sb.AppendLine("| run | concurrency | calls | calls/s | entries/s | p50 ms | p99 ms | vs floor | failures |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var r in runs)
        {
            var f = runs.First(x => x.Kind == "floor" && x.Concurrency == r.Concurrency);
            sb.AppendLine(inv, $"| {r.Kind} | {r.Concurrency} | {r.Calls} | {r.PerSecond:0} | {(r.Kind == "replay" ? 0 : r.PerSecond * entriesPerCall):0} | {r.P50Ms:0.0} | {r.P99Ms:0.0} | {r.PerSecond / f.PerSecond:0.00}× | {r.Failures} |");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"(entries/s = calls/s × {entriesPerCall:0.00} entries per call: a usage charge per connected call, a telephony cost per connected phone call.)");
        sb.AppendLine();
        sb.AppendLine(inv, $"Monthly statement of a merchant with {statementCalls:N0} calls ({entries:N0} ledger entries in its month's 16 partitions):");
        sb.AppendLine();
        sb.AppendLine("| step | runs (s) | best (s) |");
        sb.AppendLine("|---|---|---|");
        sb.AppendLine(inv, $"| StatementService.BuildAsync (read + parse + build) | {string.Join(" / ", builds.Select(b => b.ToString("0.00", inv)))} | {builds.Min():0.00} |");
        sb.AppendLine(inv, $"| floor: bare scan of the 16 partitions, all columns | {string.Join(" / ", scans.Select(b => b.ToString("0.00", inv)))} | {scans.Min():0.00} |");
        sb.AppendLine(inv, $"| StatementBuilder.Build + CSV in memory | {pureMs / 1000:0.000} | |");
        sb.AppendLine();
        sb.AppendLine(inv, $"Statement: {s.BilledCalls:N0} billed calls, {s.BillableSeconds:N0} s, usage {s.UsageChargesMinor / 100m:N2} {s.Currency}, included-minutes credit {s.IncludedMinutesCreditMinor / 100m:N2}, net {s.NetMinor / 100m:N2}; CSV {csvChars:N0} chars.");
        return sb.ToString();
    }

    /// <summary>Unpaid calls only: the measurement is of rating and the ledger, so the provider is never asked.</summary>
    private sealed class NoPaymentsProvider : IPaymentProvider
    {
        public Task<ProviderPayment> CreateHoldAsync(HoldRequest request, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProviderPayment> GetAsync(string paymentId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProviderPayment> CaptureAsync(string paymentId, Money amount, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProviderPayment> CancelAsync(string paymentId, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<ProviderRefund> RefundAsync(string paymentId, Money amount, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
