using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.Push;
using CartCall.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CartCall.Functions.Tests.Features.Push;

[Collection(AppCollection.Name)]
public sealed class WebPubSubOfferNotifierTests(AppFixture app)
{
    [Fact]
    public async Task OfferStored_WhenWebPubSubIsUnreachable_LogsAWarningInsteadOfThrowing()
    {
        var unreachable = new WebPubSubRestClient(
            new WebPubSubOptions { ConnectionString = $"Endpoint=http://127.0.0.1:{Azurite.FreePort()};AccessKey=k;Version=1.0;", Hub = "cartcall" },
            TimeProvider.System,
            new WebPubSubRestClientOptions { Retry = { MaxRetries = 0 } });
        var logger = new ListLogger();
        var notifier = new WebPubSubOfferNotifier(unreachable, app.Services.GetRequiredService<TableWidgetSessionStore>(), logger);
        var now = DateTimeOffset.UtcNow;
        var offer = new OfferRecord
        {
            Offer = new OfferProposed("of_unreachable", "m-x", "s-x", null, now, now.AddMinutes(5), 0.7, "browsing", [], 80m, "USD", 10m),
            Status = OfferStatus.Pending,
        };

        await notifier.OfferStoredAsync(offer, CancellationToken.None);

        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("of_unreachable", warning.Message, StringComparison.Ordinal);
        Assert.Contains("m-x:s-x", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheAppRegistersTheWebPubSubNotifier()
    {
        Assert.Contains(app.Services.GetServices<IOfferNotifier>(), n => n is WebPubSubOfferNotifier);
    }

    private sealed class ListLogger : ILogger<WebPubSubOfferNotifier>
    {
        public List<(LogLevel Level, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, formatter(state, exception)));
    }
}
