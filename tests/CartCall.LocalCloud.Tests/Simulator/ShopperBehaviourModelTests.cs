using System.Globalization;
using CartCall.LocalCloud.Simulator;
using Xunit.Abstractions;

namespace CartCall.LocalCloud.Tests.Simulator;

/// <summary>The generator's visits must show the figures the model's README cites.</summary>
public sealed class ShopperBehaviourModelTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 3, 14, 9, 30, 0, TimeSpan.Zero);

    private static readonly List<SimulatedSession> Visits = Generate(seed: 41, count: 20_000);

    private static List<SimulatedSession> Generate(int seed, int count)
    {
        var generator = new ShopperSessionGenerator(seed);
        return Enumerable.Range(0, count).Select(i => generator.Next(Start.AddMinutes(i))).ToList();
    }

    private static bool Has(SimulatedSession s, string type) => s.Events.Any(e => e.Message.Type == type);

    [Fact]
    public void CartAbandonment_IsAboutSeventyPercent_AsBaymardAverages()
    {
        var carts = Visits.Where(v => v.HadCart).ToList();
        var abandoned = carts.Count(v => v.Outcome == SessionOutcome.Abandoned) / (double)carts.Count;

        var checkouts = carts.Where(v => Has(v, "checkout_started")).ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"carts {carts.Count} of {Visits.Count}; cart abandonment {abandoned:P1}; reach checkout {checkouts.Count / (double)carts.Count:P1}; checkout abandonment {checkouts.Count(v => v.Outcome == SessionOutcome.Abandoned) / (double)checkouts.Count:P1}"));
        Assert.InRange(abandoned, 0.68, 0.72);
        Assert.InRange(carts.Count / (double)Visits.Count, 0.48, 0.52);
    }

    [Fact]
    public void Reasons_AreDrawnInTheModelsShares()
    {
        var abandoners = Visits.Where(v => v.Profile.Intent == ShopperIntent.Abandoner).ToList();
        var model = new ShopperBehaviourModel();
        var total = model.Reasons.Values.Sum(r => r.Share);

        foreach (var (reason, behaviour) in model.Reasons)
        {
            var share = abandoners.Count(v => v.Profile.Reason == reason) / (double)abandoners.Count;
            Assert.True(Math.Abs(share - (behaviour.Share / total)) < 0.015, $"{reason}: {share:P1} drawn, {behaviour.Share / total:P1} expected");
        }
    }

    [Fact]
    public void EachReason_ShowsItsFriction_BeforeTheShopperLeaves()
    {
        foreach (var v in Visits.Where(v => v.Profile.Intent == ShopperIntent.Abandoner && v.Profile.Reason != AbandonReason.NotReady))
        {
            Assert.True(Has(v, ShopperBehaviourModel.FrictionEvent(v.Profile.Reason)), $"{v.SessionId} ({v.Profile.Reason}) never met its problem");
            Assert.Equal(SessionOutcome.Abandoned, v.Outcome);
        }

        // Most of the not-ready leave before checkout.
        var notReady = Visits.Where(v => v.Profile.Reason == AbandonReason.NotReady).ToList();
        Assert.InRange(notReady.Count(v => !Has(v, "checkout_started")) / (double)notReady.Count, 0.80, 0.90);
    }

    [Fact]
    public void Buyers_MostlyPassCheckoutWithinMinutes_AndSomeMeetADeclinedCard()
    {
        var buyers = Visits.Where(v => v.Profile.Intent == ShopperIntent.Buyer).ToList();
        var checkoutSeconds = buyers
            .Select(v => (v.Events[^1].Offset - v.Events.First(e => e.Message.Type == "checkout_started").Offset).TotalSeconds)
            .Order().ToList();

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"buyers' checkout: median {checkoutSeconds[checkoutSeconds.Count / 2]:0} s, p90 {checkoutSeconds[checkoutSeconds.Count * 9 / 10]:0} s; declined first {buyers.Count(v => Has(v, "payment_failed")) / (double)buyers.Count:P1}"));
        Assert.All(buyers, v => Assert.Equal(SessionOutcome.Completed, v.Outcome));
        // README: published checkout times are 2.5–4 minutes per page / 3.7 minutes per purchase.
        Assert.InRange(checkoutSeconds[checkoutSeconds.Count / 2], 90, 240);
        // README: 13–15% of e-commerce card payments are declined; the model's buyers meet one 13% of the time.
        Assert.InRange(buyers.Count(v => Has(v, "payment_failed")) / (double)buyers.Count, 0.11, 0.15);
    }

    [Fact]
    public void AfterADeclinedCard_AboutFourInTenLeave()
    {
        // README: 39% of shoppers whose card is declined decide not to make the purchase (survey).
        var declined = Visits.Where(v => Has(v, "payment_failed")).ToList();
        var left = declined.Count(v => v.Outcome == SessionOutcome.Abandoned) / (double)declined.Count;

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{declined.Count} visits with a declined card; {left:P1} left"));
        Assert.InRange(left, 0.33, 0.45);
    }

    [Fact]
    public void OnlyAbandoners_LingerAfterTheirLastEvent_ForMinutesAtMost()
    {
        Assert.All(Visits.Where(v => v.Outcome == SessionOutcome.Completed), v => Assert.Equal(TimeSpan.Zero, v.Profile.Linger));
        var lingers = Visits.Where(v => v.Profile.Intent == ShopperIntent.Abandoner).Select(v => v.Profile.Linger.TotalSeconds).Order().ToList();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"linger after the last event: median {lingers[lingers.Count / 2]:0} s, p90 {lingers[lingers.Count * 9 / 10]:0} s"));
        Assert.InRange(lingers[lingers.Count / 2], 45, 180);
        Assert.True(lingers[^1] <= 30 * 60);
    }

    [Fact]
    public void AcceptFactor_IsLowBeforeCheckout_HigherInIt_AndFullOnceTheProblemShows()
    {
        var model = new ShopperBehaviourModel();
        var costs = new ShopperProfile(ShopperIntent.Abandoner, AbandonReason.ExtraCosts, TimeSpan.Zero);

        Assert.Equal(model.BeforeCheckoutAcceptFactor, model.AcceptFactor(costs, ["page_viewed", "item_added"]));
        Assert.Equal(model.BeforeFrictionAcceptFactor, model.AcceptFactor(costs, ["item_added", "checkout_started"]));
        Assert.Equal(1.0, model.AcceptFactor(costs, ["item_added", "checkout_started", "shipping_viewed"]));
        Assert.Equal(1.0, model.AcceptFactor(new ShopperProfile(ShopperIntent.Buyer, AbandonReason.None, TimeSpan.Zero), ["checkout_started"]));
    }

    [Fact]
    public void Validate_ListsBadFigures()
    {
        var bad = new ShopperBehaviourModel { CartShare = 1.5, ConnectRate = -0.1, Buyer = new SituationBehaviour(0, 2, 1, -1, 0m) };

        var problems = bad.Validate();

        Assert.Equal(4, problems.Count);
        Assert.Throws<ArgumentException>(() => new ShopperSessionGenerator(1, new ShopperSessionGeneratorOptions { Behaviour = bad }));
    }
}
