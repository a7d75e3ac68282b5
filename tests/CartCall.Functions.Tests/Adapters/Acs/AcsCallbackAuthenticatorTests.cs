using System.Security.Cryptography;
using CartCall.Functions.Adapters.Acs;
using CartCall.LocalCloud.Acs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CartCall.Functions.Tests.Adapters.Acs;

/// <summary>Callback JWT checks, with keys published by the stand-in's OpenID documents.</summary>
public sealed class AcsCallbackAuthenticatorTests
{
    [Fact]
    public async Task Authenticate_TokenSignedByAnotherRsaKey_IsRejected()
    {
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        var authenticator = Authenticator(AcsHarness.OptionsFor(standIn), TimeProvider.System);
        using var otherKey = RSA.Create(2048);
        var forged = Token(new RsaSecurityKey(otherKey) { KeyId = "forger" }, standIn.Issuer, standIn.ResourceId);

        var result = await authenticator.AuthenticateAsync("Bearer " + forged, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("signed by an unknown key", result.FailureReason);
    }

    [Fact]
    public async Task Authenticate_ForgedTokenReusingTheRealKeyId_FailsSignatureCheck()
    {
        await using var h = await AcsHarness.StartAsync();
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        var realKid = (await new HttpClient().GetStringAsync(h.StandIn.JwksUri)).Split("\"kid\":\"")[1].Split('"')[0];
        using var otherKey = RSA.Create(2048);
        var forged = Token(new RsaSecurityKey(otherKey) { KeyId = realKid }, h.StandIn.Issuer, h.StandIn.ResourceId);

        var result = await Authenticator(h.Options, TimeProvider.System).AuthenticateAsync("Bearer " + forged, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal("invalid signature", result.FailureReason);
    }

    [Fact]
    public async Task Authenticate_RealTokenForAnotherResource_IsRejectedAsWrongAudience()
    {
        await using var h = await AcsHarness.StartAsync();
        var options = AcsHarness.OptionsFor(h.StandIn);
        options.ImmutableResourceId = Guid.NewGuid().ToString();
        var strict = Authenticator(options, TimeProvider.System);
        await using var sink = await AcsCallbackSink.StartAsync(strict);

        var call = await h.Calls.CreateCallAsync(new CreateCallRequest([new PhoneNumberIdentifier("+14255550123")], sink.Url)
        {
            SourceCallerIdNumber = new PhoneNumberIdentifier("+14255550100"),
        });
        await WaitUntil(() => sink.Rejections.Count > 0);

        Assert.Contains("wrong audience", sink.Rejections);
        Assert.Empty(sink.Events);
        Assert.NotEmpty(call.CallConnectionId);
    }

    [Fact]
    public async Task Authenticate_WrongIssuer_IsRejected()
    {
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions { Issuer = "https://not-acs.example" }, CancellationToken.None);
        var options = AcsHarness.OptionsFor(standIn);
        options.CallbackIssuer = AcsOptions.ProductionCallbackIssuer;
        await using var sink = await AcsCallbackSink.StartAsync(Authenticator(options, TimeProvider.System));
        var client = new AcsCallClient(options, TimeProvider.System);

        await client.CreateCallAsync(new CreateCallRequest([new CommunicationUserIdentifier("8:acs:x_y")], sink.Url));
        await WaitUntil(() => sink.Rejections.Count > 0);

        Assert.Contains("wrong issuer", sink.Rejections);
    }

    [Fact]
    public async Task Authenticate_RealTokenCheckedTenMinutesLater_IsRejectedAsExpired()
    {
        await using var h = await AcsHarness.StartAsync();
        var call = await h.Calls.CreateCallAsync(h.PstnCall("+14255550123"));
        await h.Sink.WaitForAsync<CallConnectedEvent>(e => e.CallConnectionId == call.CallConnectionId);
        var header = h.Sink.Authorizations[0];

        var now = await Authenticator(h.Options, TimeProvider.System).AuthenticateAsync(header, CancellationToken.None);
        var later = new ManualTimeProvider(DateTimeOffset.UtcNow.AddMinutes(10));
        var tenMinutesOn = await Authenticator(h.Options, later).AuthenticateAsync(header, CancellationToken.None);

        Assert.True(now.Succeeded, now.FailureReason);
        Assert.False(tenMinutesOn.Succeeded);
        Assert.Equal("token expired or not yet valid", tenMinutesOn.FailureReason);
    }

    [Theory]
    [InlineData(null, "missing Authorization header")]
    [InlineData("Basic dXNlcjpwYXNz", "Authorization is not a Bearer token")]
    [InlineData("Bearer not-a-jwt", "token is not a JWT")]
    public async Task Authenticate_MalformedHeader_IsRejectedWithReason(string? header, string reason)
    {
        var options = new AcsOptions { ImmutableResourceId = Guid.NewGuid().ToString(), OpenIdConfigurationUri = new Uri("http://127.0.0.1:9/nothing") };

        var result = await Authenticator(options, TimeProvider.System).AuthenticateAsync(header, CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(reason, result.FailureReason);
    }

    private static AcsCallbackAuthenticator Authenticator(AcsOptions options, TimeProvider time) =>
        new(options, time, NullLogger<AcsCallbackAuthenticator>.Instance);

    private static string Token(SecurityKey key, string issuer, string audience) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer,
        Audience = audience,
        Expires = DateTime.UtcNow.AddMinutes(5),
        SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
    });

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
    }
}
