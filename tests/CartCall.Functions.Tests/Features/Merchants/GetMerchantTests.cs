using System.Text.Json.Nodes;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Moq;

namespace CartCall.Functions.Tests.Features.Merchants;

/// <summary>Function classes on their own, with their store ports mocked: what each maps a store answer to.</summary>
public sealed class GetMerchantTests
{
    private static async Task<(int Status, JsonNode Body)> RunAsync(IResult result)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        await result.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, (await JsonNode.ParseAsync(http.Response.Body))!);
    }

    [Fact]
    public async Task UnknownMerchant_Is404Problem()
    {
        var store = new Mock<IMerchantStore>();
        store.Setup(s => s.GetAsync("m-none", It.IsAny<CancellationToken>())).ReturnsAsync((Merchant?)null);

        var (status, body) = await RunAsync(await new GetMerchant(store.Object).RunAsync(new DefaultHttpContext().Request, "m-none", CancellationToken.None));

        Assert.Equal(404, status);
        Assert.Contains("m-none", body["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task KnownMerchant_IsReturnedWithItsSecretsRedacted()
    {
        var merchant = new Merchant { Id = "m-known", DisplayName = "Known", SigningSecrets = ["whsec_secret_one_1234567890"], Currency = "USD", TimeZone = "UTC" };
        var store = new Mock<IMerchantStore>();
        store.Setup(s => s.GetAsync("m-known", It.IsAny<CancellationToken>())).ReturnsAsync(merchant);

        var (status, body) = await RunAsync(await new GetMerchant(store.Object).RunAsync(new DefaultHttpContext().Request, "m-known", CancellationToken.None));

        Assert.Equal(200, status);
        Assert.Equal("m-known", body["id"]!.GetValue<string>());
        Assert.DoesNotContain("whsec_secret_one_1234567890", body.ToJsonString());
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("1e3")]
    [InlineData("99999999999999")]
    public async Task ListSessionDecisions_WithAMaxThatIsNotAWholeNumber_Is400_AndReadsNothing(string max)
    {
        var sessions = new Mock<ISessionStore>(MockBehavior.Strict);
        var http = new DefaultHttpContext();
        http.Request.QueryString = new QueryString("?max=" + max);

        var (status, body) = await RunAsync(await new ListSessionDecisions(sessions.Object).RunAsync(http.Request, "m-1", "s-1", CancellationToken.None));

        Assert.Equal(400, status);
        Assert.Contains("max", body["detail"]!.GetValue<string>());
        sessions.VerifyNoOtherCalls();
    }
}
