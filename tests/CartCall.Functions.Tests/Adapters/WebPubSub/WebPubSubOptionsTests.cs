using CartCall.Functions.Adapters.WebPubSub;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Adapters.WebPubSub;

public sealed class WebPubSubOptionsTests
{
    private readonly WebPubSubOptionsValidator _validator = new();

    [Fact]
    public void Resolve_ConnectionString_GivesEndpointWithoutTrailingSlashAndKey()
    {
        var options = new WebPubSubOptions { ConnectionString = "Endpoint=https://shop.webpubsub.azure.com/;AccessKey=abc=;Version=1.0;", Hub = "cartcall" };

        var (endpoint, key) = options.Resolve();

        Assert.Equal("https://shop.webpubsub.azure.com/", endpoint.AbsoluteUri);
        Assert.Equal("abc=", key);
        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Fact]
    public void Resolve_ConnectionStringWithPort_UsesThatPort()
    {
        var options = new WebPubSubOptions { ConnectionString = "endpoint=http://127.0.0.1;accesskey=k;port=8080;version=1.0", Hub = "h" };

        Assert.Equal(8080, options.Resolve().Endpoint.Port);
    }

    [Fact]
    public void Validate_EndpointAndKeyInsteadOfConnectionString_Succeeds()
    {
        var options = new WebPubSubOptions { Endpoint = new Uri("http://127.0.0.1:5000"), AccessKey = "k", Hub = "h" };

        Assert.True(_validator.Validate(null, options).Succeeded);
    }

    [Theory]
    [InlineData(null, null, null, "cartcall", "either")]
    [InlineData("Endpoint=https://x.webpubsub.azure.com;AccessKey=k;", "https://y", null, "cartcall", "either")]
    [InlineData("AccessKey=k;Version=1.0;", null, null, "cartcall", "Endpoint")]
    [InlineData("Endpoint=https://x.webpubsub.azure.com;Version=1.0;", null, null, "cartcall", "access key")]
    [InlineData(null, "ftp://x", "k", "cartcall", "http(s)")]
    [InlineData(null, "https://x", "k", "9hub", "Hub")]
    [InlineData(null, "https://x", "k", "", "Hub")]
    public void Validate_BadSettings_FailsSayingWhy(string? connectionString, string? endpoint, string? key, string hub, string expected)
    {
        var options = new WebPubSubOptions
        {
            ConnectionString = connectionString,
            Endpoint = endpoint is null ? null : new Uri(endpoint),
            AccessKey = key,
            Hub = hub,
        };

        var result = _validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void AddWebPubSub_BindsSectionAndSharesOneClient()
    {
        var services = new ServiceCollection().AddWebPubSub(Configuration(new()
        {
            ["CartCall:WebPubSub:ConnectionString"] = "Endpoint=http://127.0.0.1:7000;AccessKey=k;Version=1.0;",
            ["CartCall:WebPubSub:Hub"] = "cartcall",
        }));
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<WebPubSubRestClient>();

        Assert.Same(client, provider.GetRequiredService<WebPubSubRestClient>());
        Assert.Equal("cartcall", client.Hub);
        Assert.Equal(7000, client.Endpoint.Port);
    }

    [Fact]
    public void AddWebPubSub_InvalidSection_FailsValidation()
    {
        var services = new ServiceCollection().AddWebPubSub(Configuration(new() { ["CartCall:WebPubSub:Hub"] = "cartcall" }));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WebPubSubOptions>>().Value);
        Assert.Contains("ConnectionString", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
