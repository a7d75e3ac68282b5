using System.Net;
using System.Net.Http.Json;
using Azure.Data.Tables;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Preferences;

/// <summary>
/// A preferences PUT is unauthenticated (a shopper has only a cookie), so it used to store a new profile on every
/// request without limit. Now: nothing is stored until there is something to store, new profiles are rate limited per
/// client address and per merchant (<see cref="AppFixture"/> sets small limits), and profiles nobody comes back for
/// are erased.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class AnonymousProfileTests(AppFixture app)
{
    private const string Origin = "http://127.0.0.1:5173";

    private static readonly object PhonePrefs = new
    {
        mode = "phone",
        phoneNumber = "+447400123456",
        timeZone = "Europe/London",
        language = "en-GB",
        consent = new { textVersion = "2026-11", given = true },
    };

    private HttpClient Client(string from)
    {
        var client = app.CreateClient(handleCookies: false, from: IPAddress.Parse(from));
        client.DefaultRequestHeaders.Add("Origin", Origin);
        client.DefaultRequestHeaders.Add(PublishableKeys.Header, AppFixture.PublishableKey);
        return client;
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

    private static string CookieOf(HttpResponseMessage response, string merchantId)
    {
        var prefix = PreferenceCookie.NameFor(merchantId) + "=";
        var header = response.Headers.GetValues("Set-Cookie").Single(h => h.StartsWith(prefix, StringComparison.Ordinal));
        return header[prefix.Length..header.IndexOf(';', StringComparison.Ordinal)];
    }

    private static HttpRequestMessage Put(string merchantId, object body, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/merchants/{merchantId}/preferences") { Content = JsonContent.Create(body) };
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{PreferenceCookie.NameFor(merchantId)}={cookie}");
        }

        return request;
    }

    [Fact]
    public async Task APutThatHoldsNothingBeyondTheDefaults_StoresNothing()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client("127.0.0.31");

        for (var i = 0; i < 3; i++)
        {
            var response = await client.SendAsync(Put(merchant, new { mode = "ask" }));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotEmpty(CookieOf(response, merchant));
        }

        Assert.Equal(0, await StoredProfilesAsync(merchant));
    }

    [Fact]
    public async Task NewProfiles_AreLimitedPerClientAddress_AndPerMerchant_AndARefusalStoresNothing()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var first = Client("127.0.0.32");
        using var second = Client("127.0.0.33");

        var fromFirst = new List<HttpStatusCode>();
        for (var i = 0; i <= AppFixture.AnonymousProfilesPerAddress; i++)
        {
            fromFirst.Add((await first.SendAsync(Put(merchant, PhonePrefs))).StatusCode);
        }

        var fromSecond = new List<HttpResponseMessage>();
        for (var i = 0; i <= AppFixture.AnonymousProfilesPerMerchant - AppFixture.AnonymousProfilesPerAddress; i++)
        {
            fromSecond.Add(await second.SendAsync(Put(merchant, PhonePrefs)));
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.OK, AppFixture.AnonymousProfilesPerAddress).Append(HttpStatusCode.TooManyRequests), fromFirst);
        Assert.All(fromSecond[..^1], r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var refused = fromSecond[^1];
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal(AppFixture.AnonymousProfilesPerMerchant, await StoredProfilesAsync(merchant));

    }

    [Fact]
    public async Task AShopperWithAProfile_IsNotLimited_WhenSavingIt()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client("127.0.0.34");
        var cookie = CookieOf(await client.SendAsync(Put(merchant, PhonePrefs)), merchant);

        for (var i = 0; i < AppFixture.AnonymousProfilesPerAddress + 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Put(merchant, PhonePrefs, cookie))).StatusCode);
        }

        Assert.Equal(1, await StoredProfilesAsync(merchant));
    }

    [Fact]
    public async Task AProfileNobodyCameBackFor_IsErased_AndOneTheShopperUsed_IsKept()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client("127.0.0.35");
        var kept = CookieOf(await client.SendAsync(Put(merchant, PhonePrefs)), merchant);
        _ = CookieOf(await client.SendAsync(Put(merchant, PhonePrefs)), merchant);
        var get = new HttpRequestMessage(HttpMethod.Get, $"/api/merchants/{merchant}/preferences");
        get.Headers.Add("Cookie", $"{PreferenceCookie.NameFor(merchant)}={kept}");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(get)).StatusCode);
        Assert.Equal(2, await StoredProfilesAsync(merchant));

        // The sweep erases what is unused and older than the cut-off: here, everything made before now.
        var erased = await app.Services.GetRequiredService<TableProfileStore>().DeleteUnusedAsync(DateTimeOffset.UtcNow.AddSeconds(1), CancellationToken.None);

        Assert.True(erased >= 1);
        Assert.Equal(1, await StoredProfilesAsync(merchant));
        var read = new HttpRequestMessage(HttpMethod.Get, $"/api/merchants/{merchant}/preferences");
        read.Headers.Add("Cookie", $"{PreferenceCookie.NameFor(merchant)}={kept}");
        var body = await (await client.SendAsync(read)).Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
        Assert.Equal("+447400123456", body!["phoneNumber"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheSweeper_ErasesOnlyProfilesOlderThanTheLifetime()
    {
        var merchant = await app.CreateKeyedMerchantAsync();
        using var client = Client("127.0.0.36");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Put(merchant, PhonePrefs))).StatusCode);

        await app.Services.GetRequiredService<UnusedProfileSweeper>().SweepAsync(CancellationToken.None);

        Assert.Equal(1, await StoredProfilesAsync(merchant));
    }
}
