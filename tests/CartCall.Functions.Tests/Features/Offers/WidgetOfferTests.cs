using System.Net;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace CartCall.Functions.Tests.Features.Offers;

[Collection(WidgetAppCollection.Name)]
public sealed class WidgetOfferTests(WidgetAppFixture widget)
{
    private TableOfferStore Offers => widget.App.Services.GetRequiredService<TableOfferStore>();

    private ISessionStore Sessions => widget.App.Services.GetRequiredService<ISessionStore>();

    [Fact]
    public async Task Dismiss_Twice_Answers204BothTimesAndCountsOnceTowardTheSession()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        await widget.StartSessionAsync(merchant, "s-dismiss");
        var offer = await widget.DeliverOfferAsync(merchant, "s-dismiss");
        using var client = widget.WidgetClient(key);

        var first = await client.PostAsync($"/api/offers/{offer.OfferId}/dismiss", WidgetAppFixture.Answer(merchant, "s-dismiss"));
        var second = await client.PostAsync($"/api/offers/{offer.OfferId}/dismiss", WidgetAppFixture.Answer(merchant, "s-dismiss"));

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(OfferStatus.Dismissed, (await Offers.GetAsync(offer.OfferId, CancellationToken.None))!.Status);
        Assert.Equal(1, (await Sessions.GetAsync(merchant, "s-dismiss", CancellationToken.None))!.Session.OffersDismissed);
    }

    [Fact]
    public async Task Shown_Twice_IsIdempotent_KeepingTheFirstShownAt()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        var offer = await widget.DeliverOfferAsync(merchant, "s-shown");
        using var client = widget.WidgetClient(key);

        var first = await client.PostAsync($"/api/offers/{offer.OfferId}/shown", WidgetAppFixture.Answer(merchant, "s-shown"));
        var afterFirst = await Offers.GetAsync(offer.OfferId, CancellationToken.None);
        var second = await client.PostAsync($"/api/offers/{offer.OfferId}/shown", WidgetAppFixture.Answer(merchant, "s-shown"));
        var afterSecond = await Offers.GetAsync(offer.OfferId, CancellationToken.None);

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, second.StatusCode);
        Assert.Equal(OfferStatus.Shown, afterSecond!.Status);
        Assert.NotNull(afterFirst!.ShownAt);
        Assert.Equal(afterFirst.ShownAt, afterSecond.ShownAt);
        Assert.Equal(afterFirst.ETag, afterSecond.ETag);
    }

    [Fact]
    public async Task ListSessionOffers_ShowsPendingAndShown_ButNotDismissedOrExpired()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        await widget.StartSessionAsync(merchant, "s-list");
        var pending = await widget.DeliverOfferAsync(merchant, "s-list");
        var shown = await widget.DeliverOfferAsync(merchant, "s-list");
        var dismissed = await widget.DeliverOfferAsync(merchant, "s-list");
        await widget.DeliverOfferAsync(merchant, "s-list", expiresAt: DateTimeOffset.UtcNow.AddSeconds(-5));
        await widget.DeliverOfferAsync(merchant, "s-other");
        using var client = widget.WidgetClient(key);
        await client.PostAsync($"/api/offers/{shown.OfferId}/shown", WidgetAppFixture.Answer(merchant, "s-list"));
        await client.PostAsync($"/api/offers/{dismissed.OfferId}/dismiss", WidgetAppFixture.Answer(merchant, "s-list"));

        var response = await client.GetAsync($"/api/merchants/{merchant}/sessions/s-list/offers");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var offers = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["offers"]!.AsArray();
        var listed = offers.ToDictionary(o => o!["offerId"]!.GetValue<string>(), o => o!["status"]!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { [pending.OfferId] = "pending", [shown.OfferId] = "shown" }, listed);
    }

    [Theory]
    [InlineData("fr-CA,fr;q=0.9", "Des questions sur votre commande ?")]
    [InlineData("es", "¿Tiene preguntas sobre su pedido?")]
    [InlineData("ja, pt;q=0.8", "Questions about your order?")]
    [InlineData("it;q=0.9, de;q=0.8", "Fragen zu Ihrer Bestellung?")]
    public async Task ListSessionOffers_WordsTheOfferInTheShoppersLanguage(string acceptLanguage, string title)
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        await widget.DeliverOfferAsync(merchant, "s-lang");
        using var client = widget.WidgetClient(key);
        client.DefaultRequestHeaders.Add("Accept-Language", acceptLanguage);

        var offers = JsonNode.Parse(await client.GetStringAsync($"/api/merchants/{merchant}/sessions/s-lang/offers"))!["offers"]!.AsArray();

        var text = Assert.Single(offers)!["text"]!;
        Assert.Equal(title, text["title"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(text["accept"]!.GetValue<string>()));
        Assert.False(string.IsNullOrWhiteSpace(text["dismiss"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Dismiss_ForAnotherSession_Answers404AndChangesNothing()
    {
        var (merchant, key) = await widget.CreateMerchantAsync();
        var offer = await widget.DeliverOfferAsync(merchant, "s-mine");
        using var client = widget.WidgetClient(key);

        var response = await client.PostAsync($"/api/offers/{offer.OfferId}/dismiss", WidgetAppFixture.Answer(merchant, "s-someone-else"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(OfferStatus.Pending, (await Offers.GetAsync(offer.OfferId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Dismiss_WithAnotherMerchantsKey_Answers401()
    {
        var (merchant, _) = await widget.CreateMerchantAsync();
        var (_, otherKey) = await widget.CreateMerchantAsync();
        var offer = await widget.DeliverOfferAsync(merchant, "s-key");
        using var client = widget.WidgetClient(otherKey);

        var response = await client.PostAsync($"/api/offers/{offer.OfferId}/dismiss", WidgetAppFixture.Answer(merchant, "s-key"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(OfferStatus.Pending, (await Offers.GetAsync(offer.OfferId, CancellationToken.None))!.Status);
    }

    [Fact]
    public async Task Preflight_OnAnOfferRoute_IsKeyedByTheOffersMerchant()
    {
        var (merchant, _) = await widget.CreateMerchantAsync();
        var offer = await widget.DeliverOfferAsync(merchant, "s-pre");
        using var allowed = widget.WidgetClient(null);
        using var other = widget.WidgetClient(null, origin: "https://other.example");

        var ok = await allowed.SendAsync(new HttpRequestMessage(HttpMethod.Options, $"/api/offers/{offer.OfferId}/dismiss"));
        var refused = await other.SendAsync(new HttpRequestMessage(HttpMethod.Options, $"/api/offers/{offer.OfferId}/dismiss"));
        var unknown = await allowed.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/api/offers/of_nope/shown"));

        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        Assert.Equal(WidgetAppFixture.Origin, ok.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        // An unknown offer names no merchant, so no origin is allowed for it: the answer an origin not allowed gets.
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
    }
}
