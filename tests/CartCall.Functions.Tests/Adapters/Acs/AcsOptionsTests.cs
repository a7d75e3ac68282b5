using Microsoft.Extensions.DependencyInjection;
using CartCall.Functions.Adapters.Acs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Adapters.Acs;

public sealed class AcsOptionsTests
{
    private static readonly string Key = Convert.ToBase64String(new byte[32]);

    [Fact]
    public void ConnectionString_IsParsedIntoEndpointAndKey()
    {
        var cs = AcsConnectionString.Parse($"endpoint=https://r.communication.azure.com/;accesskey={Key}");

        Assert.Equal(new Uri("https://r.communication.azure.com/"), cs.Endpoint);
        Assert.Equal(Key, cs.AccessKey);
    }

    [Theory]
    [InlineData("accesskey=AAAA")]
    [InlineData("endpoint=https://r.communication.azure.com/")]
    [InlineData("endpoint=not a url;accesskey=AAAA")]
    [InlineData("endpoint=https://r.communication.azure.com/;accesskey=***")]
    public void ConnectionString_Malformed_IsAFormatException(string text)
    {
        Assert.Throws<FormatException>(() => AcsConnectionString.Parse(text));
    }

    [Fact]
    public void Validator_AcceptsConnectionStringWithAudience()
    {
        var result = new AcsOptionsValidator().Validate(null, new AcsOptions
        {
            ConnectionString = $"endpoint=https://r.communication.azure.com/;accesskey={Key}",
            ImmutableResourceId = Guid.NewGuid().ToString(),
        });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validator_RejectsMissingCredentialsAudienceAndRemoteHttpMetadata()
    {
        var result = new AcsOptionsValidator().Validate(null, new AcsOptions
        {
            OpenIdConfigurationUri = new Uri("http://keys.example/calling/.well-known/acsopenidconfiguration"),
            ApiVersion = "",
        });

        Assert.False(result.Succeeded);
        Assert.Contains(result.Failures!, f => f.Contains("ConnectionString or Endpoint", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("ImmutableResourceId", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("OpenIdConfigurationUri must be https", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.Contains("ApiVersion", StringComparison.Ordinal));
    }

    [Fact]
    public void Validator_ManagedIdentityEndpointMustBeHttps()
    {
        var result = new AcsOptionsValidator().Validate(null, new AcsOptions
        {
            Endpoint = new Uri("http://r.communication.azure.com/"),
            ImmutableResourceId = "a",
        });

        Assert.False(result.Succeeded);
        Assert.Contains(result.Failures!, f => f.Contains("https", StringComparison.Ordinal));
    }

    [Fact]
    public void AddAcs_BindsSectionAndFailsValidationOnResolve()
    {
        var services = new ServiceCollection().AddLogging();
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CartCall:Acs:ConnectionString"] = $"endpoint=http://127.0.0.1:1/;accesskey={Key}",
            ["CartCall:Acs:ImmutableResourceId"] = "resource-guid",
            ["CartCall:Acs:ApiVersion"] = "2025-06-15",
        }).Build();
        services.AddAcs(config);
        using var provider = services.BuildServiceProvider();

        Assert.Equal("2025-06-15", provider.GetRequiredService<IOptions<AcsOptions>>().Value.ApiVersion);
        Assert.Equal(new Uri("http://127.0.0.1:1/"), provider.GetRequiredService<AcsCallClient>().Endpoint);
        Assert.NotNull(provider.GetRequiredService<AcsCallbackAuthenticator>());

        using var bad = new ServiceCollection().AddLogging().AddAcs(new ConfigurationBuilder().Build()).BuildServiceProvider();
        Assert.Throws<OptionsValidationException>(() => { _ = bad.GetRequiredService<IOptions<AcsOptions>>().Value; });
    }
}
