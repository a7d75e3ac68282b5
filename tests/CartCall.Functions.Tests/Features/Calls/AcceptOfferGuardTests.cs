using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Offers;
using CartCall.LocalCloud.Acs;

namespace CartCall.Functions.Tests.Features.Calls;

/// <summary>Each accept guard's decision as the widget sees it: the 4xx problem (or needs_choice), and no call stored.</summary>
[Collection(CallsCollection.Name)]
public sealed class AcceptOfferGuardTests(CallsFixture app)
{
    private static string NewSession() => "s-" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Quiet hours from an hour ago to three hours on: the accept is scheduled and nothing is dialled.</summary>
    private static object LaterQuietHours() => new { start = QuietStart(), end = QuietEnd() };

    private static string QuietStart() => DateTime.UtcNow.AddHours(-1).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    private static string QuietEnd() => DateTime.UtcNow.AddHours(3).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<(string Merchant, string Session, string Offer)> SetUpAsync(Action<Dictionary<string, object?>>? tweak = null, bool agent = true)
    {
        var merchant = await app.CreateMerchantAsync(tweak);
        if (agent)
        {
            await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        }

        var session = NewSession();
        return (merchant, session, await app.NewOfferAsync(merchant, session));
    }

    private async Task AssertNoCallAsync(string offer) => Assert.Null(await app.CallAsync(CallIds.ForOffer(offer)));

    [Fact]
    public async Task UnknownOffer_IsAnsweredAsAnOfferWhoseMerchantDoesNotAllowTheOrigin()
    {
        // An unknown offer names no merchant, so it allows no origin: the widget's own origin gets the refusal any
        // origin a merchant did not allow gets, and the answer says nothing of the offer.
        var merchant = await app.CreateMerchantAsync();
        var problem = await ProblemAsync(await app.AcceptAsync("of_nothing", merchant, "s-1", "browser", true, null), HttpStatusCode.Forbidden);
        Assert.DoesNotContain("of_nothing", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfferOfAnotherSession_Answers404()
    {
        var (merchant, _, offer) = await SetUpAsync();
        await ProblemAsync(await app.AcceptAsync(offer, merchant, "someone-else", "browser", true, null), HttpStatusCode.NotFound);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task ExpiredOffer_Answers409()
    {
        var merchant = await app.CreateMerchantAsync();
        var session = NewSession();
        var offer = await app.NewOfferAsync(merchant, session, expiresIn: TimeSpan.FromSeconds(-1));

        var problem = await ProblemAsync(await app.AcceptAsync(offer, merchant, session, "browser", true, null), HttpStatusCode.Conflict);

        Assert.Contains("expired", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task DismissedOffer_Answers409()
    {
        var (merchant, session, offer) = await SetUpAsync();
        var store = app.Service<TableOfferStore>();
        var record = (await store.GetAsync(offer, CancellationToken.None))!;
        record.Status = OfferStatus.Dismissed;
        Assert.True(await store.TryUpdateAsync(record, CancellationToken.None));

        var problem = await ProblemAsync(await app.AcceptAsync(offer, merchant, session, "browser", true, null), HttpStatusCode.Conflict);

        Assert.Contains("dismissed", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task MissingSessionId_Answers400()
    {
        var (merchant, _, offer) = await SetUpAsync();
        using var client = app.WidgetClient(merchant);
        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new { merchantId = merchant });
        await ProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task NotJson_Answers415()
    {
        var (merchant, _, offer) = await SetUpAsync();
        using var client = app.WidgetClient(merchant);
        var response = await client.PostAsync($"/api/offers/{offer}/accept", new StringContent("merchantId=x"));
        await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task WithoutThePublishableKey_Answers401_AndStoresNoCall()
    {
        var (merchant, session, offer) = await SetUpAsync();
        using var client = app.Client();
        client.DefaultRequestHeaders.Add("Origin", CallsFixture.Origin);

        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new { merchantId = merchant, sessionId = session, mode = "browser", browserCanDoAudio = true });

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task FromAnOriginTheMerchantDidNotAllow_Answers403()
    {
        var (merchant, session, offer) = await SetUpAsync();
        using var client = app.WidgetClient(merchant);
        client.DefaultRequestHeaders.Remove("Origin");
        client.DefaultRequestHeaders.Add("Origin", "https://evil.example");

        var response = await client.PostAsJsonAsync($"/api/offers/{offer}/accept", new { merchantId = merchant, sessionId = session, mode = "browser", browserCanDoAudio = true });

        var problem = await ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("Origin not allowed", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task Preflight_FromAnAllowedOrigin_AllowsThePublishableKeyHeader()
    {
        var (merchant, _, offer) = await SetUpAsync();
        using var client = app.WidgetClient(merchant);
        using var request = new HttpRequestMessage(HttpMethod.Options, $"/api/offers/{offer}/accept");
        request.Headers.Add("Access-Control-Request-Method", "POST");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(CallsFixture.Origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("x-cartcall-publishable-key", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePreferenceCookie_DecidesTheMode_WithoutPreferencesInTheBody()
    {
        var (merchant, session, offer) = await SetUpAsync(agent: false);
        // Scheduled far ahead by the cookie's quiet hours, so nothing is dialled.
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        using var client = app.WidgetClient(merchant);
        var put = await client.PutAsJsonAsync($"/api/merchants/{merchant}/preferences", new
        {
            mode = "phone",
            phoneNumber = "+12015556000",
            quietHours = new { start = QuietStart(), end = QuietEnd() },
            timeZone = "UTC",
            language = "en",
            consent = new { textVersion = "2026-11", given = true },
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var cookie = put.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("cc_prefs_", StringComparison.Ordinal)).Split(';')[0];
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/offers/{offer}/accept")
        {
            Content = JsonContent.Create(new { merchantId = merchant, sessionId = session, browserCanDoAudio = true }),
        };
        request.Headers.Add("Cookie", cookie);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("phone", body["mode"]!.GetValue<string>());
        Assert.Equal("scheduled", body["status"]!.GetValue<string>());
        Assert.Equal("+12015556000", (await app.CallAsync(body["callId"]!.GetValue<string>()))!.ShopperPhone);
    }

    [Fact]
    public async Task PhoneWithoutConsent_AndNoBrowserAudio_AsksTheShopper_AndStoresNoCall()
    {
        var (merchant, session, offer) = await SetUpAsync();

        var response = await app.AcceptAsync(offer, merchant, session, "phone", false, CallsFixture.PhonePreferences("+12015550123", consent: false));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("needs_choice", body["status"]!.GetValue<string>());
        Assert.Null(body["mode"]);
        Assert.Contains("no consent", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task PhoneWithoutConsent_ButBrowserAudio_FallsBackToABrowserCall()
    {
        var (merchant, session, offer) = await SetUpAsync();

        var response = await app.AcceptAsync(offer, merchant, session, "phone", true, CallsFixture.PhonePreferences("+12015550123", consent: false));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("browser", body["mode"]!.GetValue<string>());
        Assert.Contains("calling in the browser instead", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(body["acsToken"]);
    }

    [Fact]
    public async Task NumberInACountryTheMerchantDoesNotCall_Answers403()
    {
        var (merchant, session, offer) = await SetUpAsync(m => m["allowedCountries"] = new[] { "US" });

        var problem = await ProblemAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences("+447400123456")), HttpStatusCode.Forbidden);

        Assert.Contains("'GB' are not allowed", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task PremiumRateNumber_Answers400WithTheReason()
    {
        var (merchant, session, offer) = await SetUpAsync();

        // 0909 879 0000 is libphonenumber's example UK premium-rate number.
        var problem = await ProblemAsync(await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences("+449098790000")), HttpStatusCode.BadRequest);

        Assert.Contains("premium-rate", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task MoreCallsPerSessionThanTheHourlyLimit_Answers429WithRetryAfter()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        var session = NewSession();
        for (var i = 0; i < 3; i++)
        {
            var ok = await app.AcceptAsync(await app.NewOfferAsync(merchant, session), merchant, session, null, false,
                CallsFixture.PhonePreferences("+1201555" + (2000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), LaterQuietHours()));
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }

        var fourth = await app.NewOfferAsync(merchant, session);
        var response = await app.AcceptAsync(fourth, merchant, session, null, false, CallsFixture.PhonePreferences("+12015552999", LaterQuietHours()));
        var problem = await ProblemAsync(response, (HttpStatusCode)429);

        Assert.Contains("This session has had 3 call(s)", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        await AssertNoCallAsync(fourth);
    }

    [Fact]
    public async Task SameNumberFromManySessions_IsLimitedPerNumber()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        const string number = "+12015553000";
        for (var i = 0; i < 3; i++)
        {
            var session = NewSession();
            var ok = await app.AcceptAsync(await app.NewOfferAsync(merchant, session), merchant, session, null, false, CallsFixture.PhonePreferences(number, LaterQuietHours()));
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }

        var last = NewSession();
        var problem = await ProblemAsync(
            await app.AcceptAsync(await app.NewOfferAsync(merchant, last), merchant, last, null, false, CallsFixture.PhonePreferences(number, LaterQuietHours())),
            (HttpStatusCode)429);
        Assert.Contains("This number has had 3 call(s)", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ManyCallsFromOneClientAddress_AreLimitedPerAddress_CountingTheHopThePlatformAdded()
    {
        var merchant = await app.CreateMerchantAsync();
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        // The shopper as the platform's front end sees them: connections from one address of their own.
        var address = IPAddress.Parse("127.0.0." + Random.Shared.Next(2, 250).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var first = "";
        for (var i = 0; i < 10; i++)
        {
            var session = NewSession();
            var offer = await app.NewOfferAsync(merchant, session);
            first = i == 0 ? offer : first;
            // Hops the client claims change nothing: only the hop the platform adds counts.
            var ok = await app.AcceptAsync(offer, merchant, session, null, false,
                CallsFixture.PhonePreferences("+1201555" + (7100 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), LaterQuietHours()),
                forwardedFor: $"192.0.2.{i + 1}, 10.7.0.{i + 1}", from: address);
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
        }

        var last = NewSession();
        var response = await app.AcceptAsync(await app.NewOfferAsync(merchant, last), merchant, last, null, false, CallsFixture.PhonePreferences("+12015557199", LaterQuietHours()),
            forwardedFor: "198.51.100.7, 10.7.0.99", from: address);
        var problem = await ProblemAsync(response, (HttpStatusCode)429);
        Assert.Contains("This client address has requested 10 call(s)", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(address.ToString(), (await app.CallAsync(CallIds.ForOffer(first)))!.ClientAddress);

        // Another shopper, from another address, is not held back by it.
        var next = NewSession();
        Assert.Equal(HttpStatusCode.Accepted, (await app.AcceptAsync(await app.NewOfferAsync(merchant, next), merchant, next, null, false,
            CallsFixture.PhonePreferences("+12015557198", LaterQuietHours()), from: IPAddress.Parse("127.0.0.251"))).StatusCode);
    }

    [Fact]
    public async Task DailyCallBudgetSpent_Answers409()
    {
        var merchant = await app.CreateMerchantAsync(m => m["dailyCallBudget"] = 1);
        await app.AddAgentAsync(merchant, "alice", phone: "+12015550999");
        var first = NewSession();
        Assert.Equal(HttpStatusCode.Accepted, (await app.AcceptAsync(await app.NewOfferAsync(merchant, first), merchant, first, null, false,
            CallsFixture.PhonePreferences("+12015554000", LaterQuietHours()))).StatusCode);

        var second = NewSession();
        var offer = await app.NewOfferAsync(merchant, second);
        var problem = await ProblemAsync(await app.AcceptAsync(offer, merchant, second, null, false, CallsFixture.PhonePreferences("+12015554001", LaterQuietHours())),
            HttpStatusCode.Conflict);

        Assert.Contains("call budget", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task NoAgentAvailable_Answers409()
    {
        var (merchant, session, offer) = await SetUpAsync(agent: false);
        await app.AddAgentAsync(merchant, "away", phone: "+12015550998", available: false);

        var problem = await ProblemAsync(await app.AcceptAsync(offer, merchant, session, "browser", true, null), HttpStatusCode.Conflict);

        Assert.Contains("No agent", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        await AssertNoCallAsync(offer);
    }

    [Fact]
    public async Task GetCallStatus_ForAnUnknownCall_IsAnsweredAsACallWhoseMerchantDoesNotAllowTheOrigin()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.WidgetClient(merchant);
        await ProblemAsync(await client.GetAsync("/api/calls/ca_nothing"), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task GetCallStatus_AnswersAnUnknownCall_ExactlyAsAKnownCallWithTheWrongKeyOrOrigin()
    {
        var (merchant, session, offer) = await SetUpAsync();
        var accepted = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences("+12015557001", LaterQuietHours()));
        var callId = JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["callId"]!.GetValue<string>();
        var other = await app.CreateMerchantAsync();

        foreach (var origin in new[] { null, "https://prober.example" })
        {
            using var prober = app.WidgetClient(other);
            prober.DefaultRequestHeaders.Remove("Origin");
            if (origin is not null)
            {
                prober.DefaultRequestHeaders.Add("Origin", origin);
            }

            var known = await prober.GetAsync($"/api/calls/{callId}");
            var unknown = await prober.GetAsync("/api/calls/ca_" + Guid.NewGuid().ToString("N"));

            Assert.Equal(origin is null ? HttpStatusCode.Unauthorized : HttpStatusCode.Forbidden, known.StatusCode);
            Assert.Equal(known.StatusCode, unknown.StatusCode);
            Assert.Equal(await known.Content.ReadAsStringAsync(), await unknown.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task GetCallStatus_NeedsTheCallsMerchantsKey_AndOrigin()
    {
        var (merchant, session, offer) = await SetUpAsync();
        var accepted = await app.AcceptAsync(offer, merchant, session, null, false, CallsFixture.PhonePreferences("+12015557000", LaterQuietHours()));
        var callId = JsonNode.Parse(await accepted.Content.ReadAsStringAsync())!["callId"]!.GetValue<string>();
        var other = await app.CreateMerchantAsync();

        using var wrongKey = app.WidgetClient(other);
        await ProblemAsync(await wrongKey.GetAsync($"/api/calls/{callId}"), HttpStatusCode.Unauthorized);
        using var wrongOrigin = app.WidgetClient(merchant);
        wrongOrigin.DefaultRequestHeaders.Remove("Origin");
        wrongOrigin.DefaultRequestHeaders.Add("Origin", "https://evil.example");
        await ProblemAsync(await wrongOrigin.GetAsync($"/api/calls/{callId}"), HttpStatusCode.Forbidden);

        using var widget = app.WidgetClient(merchant);
        var ok = await widget.GetAsync($"/api/calls/{callId}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(CallsFixture.Origin, ok.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("scheduled", JsonNode.Parse(await ok.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
    }
}
