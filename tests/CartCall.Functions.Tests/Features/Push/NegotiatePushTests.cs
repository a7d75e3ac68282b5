using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CartCall.Functions.Tests.Features.Push;

[Collection(WidgetAppCollection.Name)]
public sealed class NegotiatePushTests(WidgetAppFixture widget)
{
    private const string JsonSubprotocol = "json.webpubsub.azure.v1";

    [Fact]
    public async Task Negotiate_ThenDeliverOffer_PushesTheOfferFrameToTheSessionsSocketInItsLanguage()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key);
        client.DefaultRequestHeaders.Add("Accept-Language", "de-DE, en;q=0.5");

        var negotiate = await client.PostAsync($"/api/merchants/{merchant}/sessions/s-push/push", null);

        Assert.Equal(HttpStatusCode.OK, negotiate.StatusCode);
        var body = JsonNode.Parse(await negotiate.Content.ReadAsStringAsync())!;
        Assert.Equal($"{merchant}:s-push", body["userId"]!.GetValue<string>());
        Assert.True(body["expiresAt"]!.GetValue<DateTimeOffset>() > DateTimeOffset.UtcNow.AddMinutes(55));
        var url = new Uri(body["url"]!.GetValue<string>());
        Assert.Equal("ws", url.Scheme);

        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(JsonSubprotocol);
        using (var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            await socket.ConnectAsync(url, connectTimeout.Token);
        }

        var connected = await ReceiveJsonAsync(socket);
        Assert.Equal("connected", connected.GetProperty("event").GetString());
        Assert.Equal($"{merchant}:s-push", connected.GetProperty("userId").GetString());

        var offer = await widget.DeliverOfferAsync(merchant, "s-push");

        var frame = await ReceiveJsonAsync(socket);
        Assert.Equal("message", frame.GetProperty("type").GetString());
        var data = frame.GetProperty("data");
        Assert.Equal("offer", data.GetProperty("kind").GetString());
        var pushed = data.GetProperty("offer");
        Assert.Equal(offer.OfferId, pushed.GetProperty("offerId").GetString());
        Assert.Equal("s-push", pushed.GetProperty("sessionId").GetString());
        Assert.Equal("pending", pushed.GetProperty("status").GetString());
        Assert.Equal(240m, pushed.GetProperty("cartValue").GetDecimal());
        Assert.Equal("Fragen zu Ihrer Bestellung?", pushed.GetProperty("text").GetProperty("title").GetString());
        Assert.Contains("240,00 USD", pushed.GetProperty("text").GetProperty("body").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeliverOffer_WithNoSocketConnected_StillStoresTheOfferForCatchUp()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();

        var offer = await widget.DeliverOfferAsync(merchant, "s-offline");

        using var client = widget.WidgetClient(key);
        var listed = JsonNode.Parse(await client.GetStringAsync($"/api/merchants/{merchant}/sessions/s-offline/offers"))!;
        Assert.Equal(offer.OfferId, Assert.Single(listed["offers"]!.AsArray())!["offerId"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("pk_not_the_merchants_key_at_all", HttpStatusCode.Unauthorized)]
    public async Task Negotiate_WithoutTheRightKey_Returns401Problem(string? key, HttpStatusCode expected)
    {
        var (merchant, _) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key);

        var response = await client.PostAsync($"/api/merchants/{merchant}/sessions/s-1/push", null);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Negotiate_WithSessionIdOfForbiddenCharacters_Returns400Problem()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        using var client = widget.WidgetClient(key);

        var response = await client.PostAsync($"/api/merchants/{merchant}/sessions/a%7Cb/push", null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("sessionId", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReceiveJsonAsync(WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(chunk, timeout.Token);
            buffer.Write(chunk, 0, result.Count);
        }
        while (!result.EndOfMessage);

        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        using var document = JsonDocument.Parse(Encoding.UTF8.GetString(buffer.ToArray()));
        return document.RootElement.Clone();
    }
}
