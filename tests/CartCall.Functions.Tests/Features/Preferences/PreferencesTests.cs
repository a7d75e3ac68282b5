using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Storage;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Preferences;

[Collection(AppCollection.Name)]
public sealed class PreferencesTests(AppFixture app)
{
    private const string Origin = "http://127.0.0.1:5173";

    private static readonly object GoodPhonePrefs = new
    {
        mode = "phone",
        phoneNumber = "07400 123456",
        defaultRegion = "GB",
        quietHours = new { start = "21:00", end = "08:00" },
        timeZone = "Europe/London",
        language = "en-GB",
        consent = new { textVersion = "2026-11", given = true },
    };

    private HttpClient Client()
    {
        var client = app.CreateClient(handleCookies: false);
        client.DefaultRequestHeaders.Add("Origin", Origin);
        client.DefaultRequestHeaders.Add(CartCall.Functions.Features.Merchants.PublishableKeys.Header, AppFixture.PublishableKey);
        return client;
    }

    private static HttpRequestMessage Request(HttpMethod method, string merchantId, string? cookie, object? body = null, string path = "")
    {
        var request = new HttpRequestMessage(method, $"/api/merchants/{merchantId}/preferences{path}");
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{PreferenceCookie.NameFor(merchantId)}={cookie}");
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return request;
    }

    /// <summary>The cookie value and attributes the response set for the merchant.</summary>
    private static (string Value, string Attributes) SetCookie(HttpResponseMessage response, string merchantId)
    {
        var prefix = PreferenceCookie.NameFor(merchantId) + "=";
        var header = response.Headers.GetValues("Set-Cookie").Single(h => h.StartsWith(prefix, StringComparison.Ordinal));
        var semi = header.IndexOf(';', StringComparison.Ordinal);
        return (header[prefix.Length..semi], header[semi..]);
    }

    private async Task<int> StoredProfilesAsync(string merchantId)
    {
        var table = new TableServiceClient(app.Storage.ConnectionString).GetTableClient(StorageNames.ProfilesTable);
        var count = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(e => e.PartitionKey == merchantId))
        {
            count++;
        }

        return count;
    }

    private static PreferenceCookie Minter(DateTimeOffset now) =>
        new(Options.Create(new PreferencesOptions { CookieSigningKey = AppFixture.CookieSigningKey }), new FixedTime(now));

    [Fact]
    public async Task Get_WithoutCookie_ReturnsAnonymousDefaultsAndSetsASignedHttpOnlyCookie()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();

        var response = await client.SendAsync(Request(HttpMethod.Get, merchant, null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("ask", body["mode"]!.GetValue<string>());
        Assert.Null(body["phoneNumber"]);
        var (value, attributes) = SetCookie(response, merchant);
        var read = Minter(DateTimeOffset.UtcNow).Unprotect(merchant, value);
        Assert.True(read.IsValid, read.Status.ToString());
        Assert.Equal(body["profileId"]!.GetValue<string>(), read.Payload!.ProfileId);
        Assert.Contains("path=/api", attributes, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", attributes, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", attributes, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=15552000", attributes, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await StoredProfilesAsync(merchant));
    }

    [Fact]
    public async Task Put_ThenGetWithTheCookie_RoundTripsNormalisedPreferencesAndConsent()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();

        var put = await client.SendAsync(Request(HttpMethod.Put, merchant, null, GoodPhonePrefs));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var (cookie, _) = SetCookie(put, merchant);

        var get = await client.SendAsync(Request(HttpMethod.Get, merchant, cookie));
        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.Equal("phone", body["mode"]!.GetValue<string>());
        Assert.Equal("+447400123456", body["phoneNumber"]!.GetValue<string>());
        Assert.Equal("21:00", body["quietHours"]!["start"]!.GetValue<string>());
        Assert.Equal("08:00", body["quietHours"]!["end"]!.GetValue<string>());
        Assert.Equal("Europe/London", body["timeZone"]!.GetValue<string>());
        Assert.Equal("2026-11", body["consent"]!["textVersion"]!.GetValue<string>());
        Assert.Equal(Origin, body["consent"]!["origin"]!.GetValue<string>());
        Assert.Equal(JsonNode.Parse(await put.Content.ReadAsStringAsync())!["profileId"]!.GetValue<string>(), body["profileId"]!.GetValue<string>());

        // The cookie's compact copy is enough to set a call up without the profile.
        var copy = Minter(DateTimeOffset.UtcNow).Unprotect(merchant, cookie).Payload!.ToPreferences();
        Assert.Equal(PreferredMode.Phone, copy.Mode);
        Assert.Equal("+447400123456", copy.PhoneE164);
        Assert.True(copy.CanBePhoned);
        Assert.Equal(new QuietHours(new TimeOnly(21, 0), new TimeOnly(8, 0)), copy.Quiet);
    }

    [Fact]
    public async Task Get_WithCookieReSignedForAnotherProfile_GivesAFreshAnonymousProfileAndNotTheVictimsData()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var victim = await client.SendAsync(Request(HttpMethod.Put, merchant, null, GoodPhonePrefs));
        var victimProfile = JsonNode.Parse(await victim.Content.ReadAsStringAsync())!["profileId"]!.GetValue<string>();
        var (attackerCookie, _) = SetCookie(await client.SendAsync(Request(HttpMethod.Get, merchant, null)), merchant);

        // The attacker's own, validly signed cookie with the victim's profile id swapped in; the signature is left as it was.
        var parts = attackerCookie.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]))!;
        payload["pid"] = victimProfile;
        var tampered = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[1];

        var get = await client.SendAsync(Request(HttpMethod.Get, merchant, tampered));
        var export = await client.SendAsync(Request(HttpMethod.Get, merchant, tampered, path: "/export"));

        Assert.Equal(CookieStatus.BadSignature, Minter(DateTimeOffset.UtcNow).Unprotect(merchant, tampered).Status);
        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.NotEqual(victimProfile, body["profileId"]!.GetValue<string>());
        Assert.Null(body["phoneNumber"]);
        Assert.Null(body["consent"]);
        var (fresh, _) = SetCookie(get, merchant);
        Assert.Equal(body["profileId"]!.GetValue<string>(), Minter(DateTimeOffset.UtcNow).Unprotect(merchant, fresh).Payload!.ProfileId);
        var exported = await export.Content.ReadAsStringAsync();
        Assert.DoesNotContain("+447400123456", exported, StringComparison.Ordinal);
        Assert.DoesNotContain(victimProfile, exported, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-a-cookie")]
    [InlineData("e30.e30")]
    [InlineData("a.b.c")]
    [InlineData("")]
    public void Unprotect_GarbageOrEmpty_IsNeverValid(string value)
    {
        var read = Minter(DateTimeOffset.UtcNow).Unprotect("m-any", value);

        Assert.False(read.IsValid);
        Assert.Null(read.Payload);
    }

    [Fact]
    public async Task Get_WithExpiredCookie_IgnoresItAndIssuesAFreshOne()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var put = await client.SendAsync(Request(HttpMethod.Put, merchant, null, GoodPhonePrefs));
        var (cookie, _) = SetCookie(put, merchant);
        var payload = Minter(DateTimeOffset.UtcNow).Unprotect(merchant, cookie).Payload!;
        // Correctly signed, but past its expiry.
        var expired = Minter(DateTimeOffset.UtcNow).Protect(payload with { ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds() });

        var get = await client.SendAsync(Request(HttpMethod.Get, merchant, expired));

        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.NotEqual(payload.ProfileId, body["profileId"]!.GetValue<string>());
        Assert.Null(body["phoneNumber"]);
        Assert.Equal(CookieStatus.Expired, Minter(DateTimeOffset.UtcNow).Unprotect(merchant, expired).Status);
    }

    public static TheoryData<string, string> BadPreferences() => new()
    {
        { """{"mode":"browser","phoneNumber":"12","defaultRegion":"GB","timeZone":"Europe/London","language":"en"}""", "phoneNumber" },
        { """{"mode":"ask","phoneNumber":"+44 909 8790000","timeZone":"Europe/London","language":"en","consent":{"textVersion":"2026-11","given":true}}""", "premium-rate" },
        { """{"mode":"browser","timeZone":"Mars/Olympus_Mons","language":"en"}""", "Mars/Olympus_Mons" },
        { """{"mode":"phone","phoneNumber":"+447400123456","timeZone":"Europe/London","language":"en"}""", "consent" },
        { """{"mode":"phone","phoneNumber":"+447400123456","timeZone":"Europe/London","language":"en","consent":{"textVersion":"2026-11","given":false}}""", "consent" },
        { """{"mode":"browser","quietHours":{"start":"9pm","end":"08:00"},"timeZone":"Europe/London","language":"en"}""", "HH:mm" },
        { """{"mode":"teleport","timeZone":"Europe/London","language":"en"}""", "not valid JSON" },
        { """{"mode":"browser", """, "not valid JSON" },
        { """{"timeZone":"Europe/London","language":"en"}""", "mode is required" },
    };

    [Theory]
    [MemberData(nameof(BadPreferences))]
    public async Task Put_BadInput_Returns400ProblemAndStoresNothing(string json, string detailContains)
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var request = Request(HttpMethod.Put, merchant, null);
        request.Content = AppFixture.Json(json);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(detailContains, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Equal(0, await StoredProfilesAsync(merchant));
    }

    [Fact]
    public async Task Put_OversizedBody_Returns413ProblemAndStoresNothing()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var request = Request(HttpMethod.Put, merchant, null);
        request.Content = AppFixture.Json("{\"mode\":\"browser\",\"language\":\"" + new string('x', 20_000) + "\"}");

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(0, await StoredProfilesAsync(merchant));
    }

    [Fact]
    public async Task Put_PhoneModeWithConsentOnFileForTheSameNumber_NeedsNoNewConsent_ButANewNumberDoes()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var (cookie, _) = SetCookie(await client.SendAsync(Request(HttpMethod.Put, merchant, null, GoodPhonePrefs)), merchant);

        var same = await client.SendAsync(Request(HttpMethod.Put, merchant, cookie,
            new { mode = "phone", phoneNumber = "+447400123456", timeZone = "Europe/Paris", language = "fr" }));
        var other = await client.SendAsync(Request(HttpMethod.Put, merchant, cookie,
            new { mode = "phone", phoneNumber = "+447400999888", timeZone = "Europe/Paris", language = "fr" }));

        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal("Europe/Paris", JsonNode.Parse(await same.Content.ReadAsStringAsync())!["timeZone"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
    }

    [Fact]
    public async Task Delete_ErasesTheProfileAndExpiresTheCookie_SoAnExportAfterwardsShowsNothing()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var (cookie, _) = SetCookie(await client.SendAsync(Request(HttpMethod.Put, merchant, null, GoodPhonePrefs)), merchant);
        Assert.Equal(1, await StoredProfilesAsync(merchant));

        var delete = await client.SendAsync(Request(HttpMethod.Delete, merchant, cookie));

        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        var (value, attributes) = SetCookie(delete, merchant);
        Assert.Equal("", value);
        Assert.Contains("max-age=0", attributes, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, await StoredProfilesAsync(merchant));

        // Even replaying the old (still correctly signed) cookie finds nothing held.
        var replay = await client.SendAsync(Request(HttpMethod.Get, merchant, cookie, path: "/export"));
        var replayed = JsonNode.Parse(await replay.Content.ReadAsStringAsync())!;
        Assert.Null(replayed["profile"]);
        Assert.DoesNotContain("+447400123456", replayed.ToJsonString(), StringComparison.Ordinal);
        var get = JsonNode.Parse(await (await client.SendAsync(Request(HttpMethod.Get, merchant, cookie))).Content.ReadAsStringAsync())!;
        Assert.Null(get["phoneNumber"]);
    }

    [Fact]
    public async Task Export_ReturnsTheProfileWithEveryConsentRecordAndCallId()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var (cookie, _) = SetCookie(await client.SendAsync(Request(HttpMethod.Put, merchant, null, GoodPhonePrefs)), merchant);
        // Withdraw consent: the record stays, marked.
        (cookie, _) = SetCookie(await client.SendAsync(Request(HttpMethod.Put, merchant, cookie,
            new { mode = "browser", phoneNumber = "+447400123456", timeZone = "Europe/London", language = "en", consent = new { textVersion = "2026-11", given = false } })), merchant);
        var profileId = Minter(DateTimeOffset.UtcNow).Unprotect(merchant, cookie).Payload!.ProfileId;
        await app.Services.GetRequiredService<TableProfileStore>().AddCallIdAsync(merchant, profileId, "call-123", DateTimeOffset.UtcNow, CancellationToken.None);

        var response = await client.SendAsync(Request(HttpMethod.Get, merchant, cookie, path: "/export"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(profileId, body["profileId"]!.GetValue<string>());
        var profile = body["profile"]!;
        Assert.Equal("+447400123456", profile["phoneE164"]!.GetValue<string>());
        Assert.Equal("MOBILE", profile["phoneType"]!.GetValue<string>());
        var consent = Assert.Single(profile["consentRecords"]!.AsArray())!;
        Assert.Equal(Origin, consent["origin"]!.GetValue<string>());
        Assert.NotNull(consent["withdrawnAt"]);
        Assert.Equal(["call-123"], profile["callIds"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Null(body["cookie"]!["c"]);
    }

    [Fact]
    public async Task Export_WithoutACookie_DisclosesNothing()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client();

        var body = JsonNode.Parse(await (await client.SendAsync(Request(HttpMethod.Get, merchant, null, path: "/export"))).Content.ReadAsStringAsync())!;

        Assert.Null(body["profileId"]);
        Assert.Null(body["profile"]);
        Assert.Equal(merchant, body["merchantId"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_WithAnotherMerchantsCookie_DoesNotReachTheOtherProfile()
    {
        var first = await app.CreateKeyedMerchantAsync();
        var second = await app.CreateKeyedMerchantAsync();
        using var client = Client();
        var (cookie, _) = SetCookie(await client.SendAsync(Request(HttpMethod.Put, first, null, GoodPhonePrefs)), first);

        var get = await client.SendAsync(Request(HttpMethod.Get, second, cookie));

        var body = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.Null(body["phoneNumber"]);
        Assert.Equal(CookieStatus.OtherMerchant, Minter(DateTimeOffset.UtcNow).Unprotect(second, cookie).Status);
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
