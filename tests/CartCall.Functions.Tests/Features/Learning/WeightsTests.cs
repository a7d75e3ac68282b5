using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Domain.Experiments;
using CartCall.Domain.Learning;
using CartCall.Domain.Scoring;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Learning;

/// <summary>Weights that learn: the refit from stored outcomes, its shadow, the promotion, and what the admin API shows.</summary>
[Collection(AppCollection.Name)]
public sealed class WeightsTests(AppFixture app)
{
    /// <summary>The shopper behaviour the synthetic outcomes are drawn from: far from the shipped defaults, so better weights exist.</summary>
    private static readonly ScoringWeights Truth = ScoringWeights.Default.With(new Dictionary<string, double>
    {
        [FeatureNames.Intercept] = -2.5,
        [FeatureNames.IdleSeconds] = 1.1,
        [FeatureNames.ItemsRemoved] = 0.0,
        [FeatureNames.PaymentFailures] = 0.9,
        [FeatureNames.ShippingDwellSeconds] = 0.0,
        [FeatureNames.ReachedCheckout] = 0.0,
    });

    /// <summary>Stores outcomes as finished sessions would have: treatment sessions never shown an offer, and control ones.</summary>
    private async Task StoreOutcomesAsync(string merchant, int training, int holdout, int seed)
    {
        var random = new Random(seed);
        var scorer = new CartScorer(Truth);
        var store = app.Services.GetRequiredService<TableOutcomeStore>();
        var now = DateTimeOffset.UtcNow;
        var work = new List<Task>();
        for (var i = 0; i < training + holdout; i++)
        {
            // One snapshot per session: its features are what the outcome was drawn from.
            var snapshots = Enumerable.Range(0, 1).Select(_ => new SessionFeatures(
                CartValue: 20 + random.Next(400), CartMargin: 5 + random.Next(120), ItemCount: 1 + random.Next(4), DistinctItems: 1 + random.Next(3),
                SecondsInCheckout: random.Next(600), ShippingDwellSeconds: random.Next(300), PaymentFailures: random.Next(3) == 0 ? 1 : 0,
                CouponRejections: random.Next(5) == 0 ? 1 : 0, Revisits: 0, IdleSeconds: random.Next(300), ItemsRemoved: random.Next(4) == 0 ? 1 : 0,
                CartViews: random.Next(4), PageViews: random.Next(8), ReachedCheckout: random.Next(2) == 0)).ToList();
            var abandoned = random.NextDouble() < scorer.Evaluate(snapshots[^1]).Value;
            var arm = i < training ? ExperimentArm.Treatment : ExperimentArm.Control;
            work.Add(store.SaveAsync(merchant, now, now, new LabelledSession($"s-{i}", arm, false, !abandoned, snapshots), CancellationToken.None));
            if (work.Count >= 64)
            {
                await Task.WhenAll(work);
                work.Clear();
            }
        }

        await Task.WhenAll(work);
    }

    private async Task<JsonNode> WeightsAsync(HttpClient admin, string merchant) =>
        JsonNode.Parse(await admin.GetStringAsync($"/api/merchants/{merchant}/weights"))!;

    private async Task<JsonNode> RefitAsync(HttpClient admin, string merchant)
    {
        var response = await admin.PostAsync($"/api/merchants/{merchant}/weights/refit", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    private async Task<StoredDecision> DecideAsync(string merchant, string session)
    {
        using var client = app.CreateClient();
        var response = await client.SendAsync(AppFixture.SignedCartEvent(merchant, AppFixture.CartEvent(session, "checkout_started", DateTimeOffset.UtcNow)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await app.Services.GetRequiredService<ISessionStore>().ListDecisionsAsync(merchant, session, 1, CancellationToken.None))[0];
    }

    [Fact]
    public async Task NewMerchant_ScoresWithItsConfiguredWeights_AsVersionOne()
    {
        var merchant = await app.CreateMerchantAsync(d => d.Remove("scoring"));
        using var admin = app.AdminClient();

        var weights = await WeightsAsync(admin, merchant);

        Assert.True(weights["configured"]!.GetValue<bool>());
        Assert.Equal(1, weights["live"]!["version"]!.GetValue<int>());
        Assert.Equal("default", weights["live"]!["source"]!.GetValue<string>());
        Assert.Equal(ScoringWeights.Default.Intercept, weights["live"]!["weights"]!["intercept"]!.GetValue<double>());
        Assert.Equal(1, (await DecideAsync(merchant, "s-v1")).WeightsVersion);
    }

    [Fact]
    public async Task TooFewOutcomes_FitNothing_AndSayWhy()
    {
        var merchant = await app.CreateMerchantAsync();
        await StoreOutcomesAsync(merchant, training: 120, holdout: 20, seed: 1);
        using var admin = app.AdminClient();

        var weights = await RefitAsync(admin, merchant);

        Assert.Equal("skipped", weights["lastRefit"]!["outcome"]!.GetValue<string>());
        Assert.Contains("1000", weights["lastRefit"]!["problems"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(1, weights["live"]!["version"]!.GetValue<int>());
        Assert.Null(weights["shadow"]);
    }

    [Fact]
    public async Task Refit_OnEnoughOutcomes_BeatsTheDefaultsOnTheHoldout_IsPromoted_AndScoresTheNextDecision()
    {
        var merchant = await app.CreateMerchantAsync(d => d.Remove("scoring"));
        await StoreOutcomesAsync(merchant, training: 2_500, holdout: 600, seed: 2);
        using var admin = app.AdminClient();

        var weights = await RefitAsync(admin, merchant);

        Assert.Equal("promoted", weights["lastRefit"]!["outcome"]!.GetValue<string>());
        Assert.False(weights["configured"]!.GetValue<bool>());
        var live = weights["live"]!;
        Assert.Equal(2, live["version"]!.GetValue<int>());
        Assert.Equal("refit", live["source"]!.GetValue<string>());
        Assert.True(live["comparison"]!["promote"]!.GetValue<bool>());
        Assert.True(live["comparison"]!["candidateLogLoss"]!.GetValue<double>() < live["comparison"]!["liveLogLoss"]!.GetValue<double>());
        // The refit finds the behaviour behind the outcomes: idle time matters far more than the defaults say.
        Assert.InRange(live["weights"]!["weights"]!["idle_seconds"]!.GetValue<double>(), 0.8, 1.4);
        var history = weights["history"]!.AsArray();
        Assert.Equal(["retired", "live"], history.Select(v => v!["status"]!.GetValue<string>()));

        var decision = await DecideAsync(merchant, "s-v2");
        Assert.Equal(2, decision.WeightsVersion);
        Assert.NotEmpty(decision.ScoreReasons);
    }

    [Fact]
    public async Task CandidateWithoutEnoughHoldout_WaitsInShadow_ScoringBesideTheLiveWeights()
    {
        var merchant = await app.CreateMerchantAsync();
        await StoreOutcomesAsync(merchant, training: 1_800, holdout: 40, seed: 3);
        using var admin = app.AdminClient();

        var weights = await RefitAsync(admin, merchant);

        Assert.Equal("waiting", weights["lastRefit"]!["outcome"]!.GetValue<string>());
        Assert.Equal(1, weights["live"]!["version"]!.GetValue<int>());
        Assert.Equal(2, weights["shadow"]!["version"]!.GetValue<int>());
        var decision = await DecideAsync(merchant, "s-shadow");
        Assert.Equal(1, decision.WeightsVersion);
        Assert.Equal(2, decision.ShadowWeightsVersion);
        Assert.NotNull(decision.ShadowScore);
        Assert.NotEqual(decision.Score, decision.ShadowScore!.Value);
    }

    [Fact]
    public async Task MerchantsOwnWeights_GoLiveAtOnce_AndTheHistoryKeepsWhatCameBefore()
    {
        var merchant = await app.CreateMerchantAsync(d => d.Remove("scoring"));
        using var admin = app.AdminClient();
        var doc = AppFixture.MerchantDocument(merchant);
        doc["scoring"] = new { minScore = 0.7, weightOverrides = new Dictionary<string, double> { ["idle_seconds"] = 2.0 } };

        (await admin.PutAsJsonAsync($"/api/merchants/{merchant}", doc)).EnsureSuccessStatusCode();
        (await admin.PutAsJsonAsync($"/api/merchants/{merchant}", doc)).EnsureSuccessStatusCode();
        var weights = await WeightsAsync(admin, merchant);

        Assert.Equal(2, weights["live"]!["version"]!.GetValue<int>());
        Assert.Equal("override", weights["live"]!["source"]!.GetValue<string>());
        Assert.Equal(2.0, weights["live"]!["weights"]!["weights"]!["idle_seconds"]!.GetValue<double>());
        Assert.Equal(2, weights["history"]!.AsArray().Count); // the same overrides again change nothing
        Assert.Equal(2, (await DecideAsync(merchant, "s-own")).WeightsVersion);
    }

    [Fact]
    public async Task WeightsOfAnUnknownMerchant_Are404_AndNeedTheAdminKey()
    {
        using var admin = app.AdminClient();
        using var anonymous = app.CreateClient();

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/merchants/m-nobody-here/weights")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/merchants/m-nobody-here/weights")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/merchants/m-nobody-here/weights/refit", null)).StatusCode);
    }
}
