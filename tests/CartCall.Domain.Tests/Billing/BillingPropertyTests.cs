using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace CartCall.Domain.Tests.Billing;

/// <summary>
/// Random months of calls delivered at least once, out of order, duplicated and replayed, with provider outages,
/// declined holds and plan changes: the books balance, and each call is billed exactly once at the plan of its day.
/// </summary>
public class BillingPropertyTests
{
    private const string Zone = "Europe/Berlin";
    private static readonly DateTimeOffset Origin = new(2026, 10, 30, 8, 0, 0, TimeSpan.Zero);
    private static readonly TelephonyTariff Tariff = new("USD", [new RateRule(null, null, 0, 0), new RateRule(CallMode.Phone, null, 1, 2)]);
    private static readonly ProviderFeeSchedule Fees = ProviderFeeSchedule.StripeStandard;

    private static readonly MerchantPlan[] Plans =
    [
        new("basic", "EUR", 1900, 0, Rounding.PerSecond, [new RateRule(null, null, 5, 10)]),
        new("pro", "EUR", 9900, 60, Rounding.PerStartedMinute,
            [new RateRule(CallMode.Browser, null, 0, 4), new RateRule(CallMode.Phone, null, 10, 9), new RateRule(CallMode.Phone, "US", 10, 25)]),
        new("flat", "EUR", 0, 0, Rounding.PerSecond, [new RateRule(null, null, 30, 0)]),
    ];

    private sealed record SimCall(CallUsage Usage, ShopperPrice? Price, bool HoldDeclined, DateTimeOffset EndedAt);

    private sealed record Delivery(int Call, DateTimeOffset At, bool ProviderOutage);

    private sealed record Scenario(IReadOnlyList<SimCall> Calls, IReadOnlyList<(DateTimeOffset At, int Plan)> Changes, IReadOnlyList<Delivery> Deliveries)
    {
        public override string ToString() =>
            $"{Calls.Count} calls, {Changes.Count} plan changes, {Deliveries.Count} deliveries ({Deliveries.Count(d => d.ProviderOutage)} in outages)";
    }

    private static readonly Gen<ShopperPrice?> Prices = Gen.Frequency(
        (3, Gen.Constant<ShopperPrice?>(null)),
        (1, Gen.Choose(50, 900).Select(a => (ShopperPrice?)new ShopperPrice(ShopperPriceKind.Flat, "EUR", a))),
        (1, from rate in Gen.Choose(20, 300) from minutes in Gen.Choose(1, 20)
            select (ShopperPrice?)new ShopperPrice(ShopperPriceKind.PerMinute, "EUR", rate, rate * minutes)));

    private static readonly Gen<SimCall> CallGen =
        from startMinute in Gen.Choose(0, 5 * 24 * 60)
        from browser in Gen.Elements(true, false)
        from region in Gen.Elements<string?>("GB", "US", "DE", null)
        from connected in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from seconds in Gen.OneOf(Gen.Choose(1, 15), Gen.Choose(1, 4000))
        from price in Prices
        from declined in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        let start = Origin.AddMinutes(startMinute)
        // A declined hold means no call: the shopper was never connected.
        let talks = connected && !(price is not null && declined)
        let talk = talks ? seconds : 0
        select new SimCall(
            new CallUsage("", "m-1", browser ? CallMode.Browser : CallMode.Phone, browser ? null : region, start, talks, talk),
            price, price is not null && declined, start.AddSeconds(talk + 20));

    private static readonly Gen<Scenario> Scenarios =
        from count in Gen.Choose(1, 25)
        from unnamed in Gen.ArrayOf(CallGen, count)
        let calls = unnamed.Select((c, i) => c with { Usage = c.Usage with { CallId = $"call-{i:D3}" } }).ToArray()
        from changeCount in Gen.Choose(0, 4)
        from changes in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, 5 * 24 * 60), Gen.Choose(0, Plans.Length - 1)), changeCount)
        from extraCount in Gen.Choose(0, 2 * count)
        from extra in Gen.ArrayOf(Gen.Zip(Gen.Choose(0, count - 1), Gen.Choose(0, 600)), extraCount)
        from delays in Gen.ArrayOf(Gen.Choose(0, 600), count)
        from outages in Gen.ArrayOf(Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true))), count + extra.Length)
        let calls2 = calls.ToList()
        let firsts = calls2.Select((c, i) => (Call: i, At: c.EndedAt.AddMinutes(delays[i])))
        // Duplicates and replays: the same event again, later (at-least-once delivery, retried activities).
        let again = extra.Select(e => (Call: e.Item1, At: calls2[e.Item1].EndedAt.AddMinutes(e.Item2)))
        let deliveries = firsts.Concat(again).Select((d, i) => new Delivery(d.Call, d.At, outages[i])).ToList()
        select new Scenario(calls2, changes.Select(c => (Origin.AddMinutes(c.Item1), c.Item2)).OrderBy(c => c.Item1).ToList(), deliveries);

    /// <summary>A provider that remembers each capture and cancel by idempotency key, as Stripe does.</summary>
    private sealed class ProviderModel
    {
        public Dictionary<string, long> Captured { get; } = [];

        public HashSet<string> Cancelled { get; } = [];

        public long Capture(string callId, long amount)
        {
            if (Cancelled.Contains(callId)) throw new InvalidOperationException("captured a cancelled hold");
            return Captured.TryAdd(callId, amount) ? amount : Captured[callId];
        }

        public void Cancel(string callId)
        {
            if (Captured.ContainsKey(callId)) throw new InvalidOperationException("cancelled a captured hold");
            Cancelled.Add(callId);
        }
    }

    /// <summary>What the billing service does with one CallEnded delivery; an outage stops it part way, like a thrown activity.</summary>
    private static List<PostOutcome> Deliver(SimCall call, PlanSchedule schedule, Journal journal, ProviderModel provider, bool outage)
    {
        var outcomes = new List<PostOutcome>();
        var bill = CallBilling.Bill(call.Usage, schedule, Tariff, call.EndedAt);
        outcomes.AddRange(bill.Transactions.Select(journal.Post));
        if (call.Price is not { } price || call.HoldDeclined)
        {
            return outcomes;
        }

        var settlement = price.Settle(price.Hold, call.Usage.Connected, call.Usage.ConnectedSeconds);
        if (outage)
        {
            return outcomes;
        }

        Money? captured = null;
        if (settlement.IsCapture)
        {
            captured = new Money(provider.Capture(call.Usage.CallId, settlement.Amount!.Value.Minor), price.Hold.Currency);
        }
        else
        {
            provider.Cancel(call.Usage.CallId);
        }

        outcomes.AddRange(CallBilling.HoldSettled("m-1", call.Usage.CallId, price.Hold, captured, Fees, bill.Period, call.EndedAt, "pi")
            .Select(journal.Post));
        return outcomes;
    }

    private static (Journal Journal, ProviderModel Provider, List<PostOutcome> Outcomes) Run(Scenario s)
    {
        var journal = new Journal();
        var provider = new ProviderModel();
        var outcomes = new List<PostOutcome>();
        var schedule = PlanSchedule.Start(Plans[0], Zone);
        var changes = new Queue<(DateTimeOffset At, int Plan)>(s.Changes);

        // Holds are placed when the call is accepted (before it starts).
        foreach (var call in s.Calls.Where(c => c.Price is not null && !c.HoldDeclined))
        {
            outcomes.Add(journal.Post(LedgerRules.HoldPlaced("m-1", call.Usage.CallId, call.Price!.Hold,
                StatementPeriod.Of(call.Usage.StartedAt, Zone), call.Usage.StartedAt, "pi")!));
        }

        foreach (var d in s.Deliveries.OrderBy(d => d.At))
        {
            while (changes.Count > 0 && changes.Peek().At <= d.At)
            {
                var change = changes.Dequeue();
                schedule = schedule.WithChange(Plans[change.Plan], change.At);
            }

            outcomes.AddRange(Deliver(s.Calls[d.Call], schedule, journal, provider, d.ProviderOutage));
        }

        // Delivery is at least once: an event that only met outages is delivered again until it succeeds.
        while (changes.Count > 0) schedule = schedule.WithChange(Plans[changes.Peek().Plan], changes.Dequeue().At);
        foreach (var (call, i) in s.Calls.Select((c, i) => (c, i)))
        {
            if (s.Deliveries.Where(d => d.Call == i).All(d => d.ProviderOutage))
            {
                outcomes.AddRange(Deliver(call, schedule, journal, provider, outage: false));
            }
        }

        return (journal, provider, outcomes);
    }

    /// <summary>The plan of a call's local day, worked out from the change list alone (not through PlanSchedule).</summary>
    private static MerchantPlan ExpectedPlan(Scenario s, CallUsage call)
    {
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(call.StartedAt, TimeZoneInfo.FindSystemTimeZoneById(Zone)).DateTime);
        var plan = Plans[0];
        foreach (var (at, index) in s.Changes)
        {
            var effective = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, TimeZoneInfo.FindSystemTimeZoneById(Zone)).DateTime).AddDays(1);
            if (effective <= day) plan = Plans[index];
        }

        return plan;
    }

    [Property(MaxTest = 300)]
    public Property TheLedgerBalances_AndEveryCallIsBilledExactlyOnce() =>
        Prop.ForAll(Scenarios.ToArbitrary(), s =>
        {
            var (journal, provider, outcomes) = Run(s);
            var entries = journal.Transactions;
            var balanced = Ledgers.CheckInvariants(entries).Count == 0;
            var noConflicts = !outcomes.Contains(PostOutcome.Conflict);

            var exactlyOnce = s.Calls.All(c =>
            {
                var expected = CallRater.Rate(ExpectedPlan(s, c.Usage), c.Usage).TotalMinor;
                var charges = entries.Where(e => e.SourceId == c.Usage.CallId && e.Kind == PostingKind.UsageCharge).ToList();
                return expected == 0 ? charges.Count == 0 : charges.Count == 1 && charges[0].Debits == expected;
            });
            var receivable = journal.Balances().GetValueOrDefault((LedgerAccount.MerchantReceivable, "EUR"));
            var expectedReceivable = s.Calls.Sum(c => CallRater.Rate(ExpectedPlan(s, c.Usage), c.Usage).TotalMinor);

            // No dangling hold: every hold placed was released exactly once; nothing captured above its hold.
            var held = s.Calls.Where(c => c.Price is not null && !c.HoldDeclined).ToList();
            var holdsClosed = journal.Balances().GetValueOrDefault((LedgerAccount.ShopperHolds, "EUR")) == 0
                && held.All(c => entries.Count(e => e.SourceId == c.Usage.CallId && e.Kind == PostingKind.HoldReleased) == 1);
            var withinHolds = held.All(c => provider.Captured.GetValueOrDefault(c.Usage.CallId) <= c.Price!.Hold.Minor);
            var paymentsOnce = held.All(c =>
                entries.Count(e => e.SourceId == c.Usage.CallId && e.Kind == PostingKind.ShopperPayment) == (provider.Captured.ContainsKey(c.Usage.CallId) ? 1 : 0));
            var declinedUntouched = s.Calls.Where(c => c.HoldDeclined).All(c =>
                !entries.Any(e => e.SourceId == c.Usage.CallId && e.Kind is PostingKind.HoldPlaced or PostingKind.ShopperPayment));

            return balanced.Label("debits equal credits, per entry and overall")
                .And(noConflicts.Label("a replay never carries different amounts"))
                .And(exactlyOnce.Label("each call's usage charge posted exactly once, at the plan of its local day"))
                .And((receivable == expectedReceivable).Label($"receivable {receivable} = sum of ratings {expectedReceivable}"))
                .And(holdsClosed.Label("every hold released exactly once"))
                .And(withinHolds.Label("captures within holds"))
                .And(paymentsOnce.Label("each capture posted exactly once"))
                .And(declinedUntouched.Label("declined holds post nothing"));
        });

    [Fact]
    public void Scenarios_ExerciseDuplicatesOutagesDeclinesAndPlanChanges()
    {
        // Keeps the property honest: the generator must produce each hazard it claims to cover.
        var sample = Scenarios.Sample(200, 60);
        Assert.Contains(sample, s => s.Deliveries.GroupBy(d => d.Call).Any(g => g.Count() > 1));
        Assert.Contains(sample, s => s.Deliveries.Any(d => d.ProviderOutage && s.Calls[d.Call].Price is not null));
        Assert.Contains(sample, s => s.Calls.Any(c => c.HoldDeclined));
        Assert.Contains(sample, s => s.Changes.Count > 0 && s.Calls.Any(c => ExpectedPlan(s, c.Usage).Id != "basic"));
        Assert.Contains(sample, s => s.Calls.Any(c => c.Price is not null && c.Usage.Connected && c.Usage.ConnectedSeconds < 10));
    }
}
