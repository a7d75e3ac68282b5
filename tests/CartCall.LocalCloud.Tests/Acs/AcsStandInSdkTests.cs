using CartCall.Testing;
using System.Net;
using System.Text.Json;
using CartCall.LocalCloud.Acs;

namespace CartCall.LocalCloud.Tests.Acs;

/// <summary>Proves the ACS stand-in speaks the real protocol: Microsoft's npm clients drive it over HMAC-signed HTTP.</summary>
public sealed class AcsStandInSdkTests
{
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task CallAutomationSdk_CreatesPstnAndVoipCalls_AddsAgent_Plays_HangsUp()
    {
        await RepoPaths.EnsureNpmPackagesAsync(["@azure/communication-call-automation", "@azure/communication-identity"]);
        await using var hook = await AcsTestWebhook.StartAsync();
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        var agentId = $"8:acs:{standIn.ResourceId}_agent-1";
        var userId = $"8:acs:{standIn.ResourceId}_shopper-1";

        var result = await NodeScript.RunAsync(Path.Combine(RepoPaths.Root, "tests", "CartCall.LocalCloud.Tests", "Acs", "acs-call-automation.mjs"), new Dictionary<string, string>
        {
            ["ACS_CONNECTION_STRING"] = standIn.ConnectionString,
            ["ACS_CALLBACK_URL"] = hook.Url.AbsoluteUri,
            ["ACS_PSTN_TARGET"] = "+14255550123",
            ["ACS_AGENT_ID"] = agentId,
            ["ACS_USER_ID"] = userId,
        }, NodeTimeout, CancellationToken.None);

        Assert.True(result.ExitCode == 0, $"node failed: {result.StandardOutput}\n{result.StandardError}");
        var json = result.LastJsonLine();
        var pstn = json.GetProperty("pstn");
        Assert.Equal("connecting", pstn.GetProperty("state").GetString());
        Assert.Equal("connected", pstn.GetProperty("connectedState").GetString());
        Assert.Equal(new[] { "+14255550123" }, pstn.GetProperty("targets").EnumerateArray().Select(e => e.GetString() ?? "").ToArray());
        Assert.Equal("+14255550100", pstn.GetProperty("callerId").GetString());
        Assert.Equal(agentId, json.GetProperty("add").GetProperty("participant").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("add").GetProperty("invitationId").GetString()));
        Assert.Equal("accepted", json.GetProperty("play").GetString());
        Assert.Equal(new[] { userId }, json.GetProperty("voip").GetProperty("targets").EnumerateArray().Select(e => e.GetString() ?? "").ToArray());
        Assert.True(json.GetProperty("voip").GetProperty("hungUp").GetBoolean());

        // What the SDK did is what the stand-in simulated.
        var calls = standIn.Calls;
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal("disconnected", c.State));
        var pstnCall = calls.Single(c => c.CallConnectionId == pstn.GetProperty("callConnectionId").GetString());
        Assert.Equal("ctx-pstn", pstnCall.OperationContext);
        Assert.Contains(pstnCall.Parties, p => p.RawId == agentId && p.Role == "added");
        Assert.Contains(pstnCall.Timeline, t => t.Text.StartsWith("playing http://127.0.0.1/prompt.wav", StringComparison.Ordinal));

        // Create and terminate carried the repeatability headers the service uses to make retries safe.
        var creates = standIn.Requests.Where(r => r.Method == "POST" && r.Path == "/calling/callConnections").ToList();
        Assert.Equal(2, creates.Count);
        Assert.All(creates, r => Assert.True(Guid.TryParse(r.RepeatabilityRequestId, out _)));
        Assert.All(standIn.Requests, r => Assert.True(r.Status < 400, $"{r.Method} {r.Path} -> {r.Status}"));

        Assert.True(await hook.WaitForAsync(b => b.Contains("Microsoft.Communication.CallConnected", StringComparison.Ordinal), TimeSpan.FromSeconds(10)));
        Assert.All(hook.Received, r => Assert.StartsWith("Bearer ", r.Authorization, StringComparison.Ordinal));
    }

    [Fact]
    public async Task IdentitySdk_CreatesUserAndToken_AndWrongKeyGets401()
    {
        await RepoPaths.EnsureNpmPackagesAsync(["@azure/communication-identity"]);
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        var wrong = $"endpoint={standIn.Endpoint.AbsoluteUri};accesskey={Convert.ToBase64String(new byte[32])}";

        var result = await NodeScript.RunAsync(Path.Combine(RepoPaths.Root, "tests", "CartCall.LocalCloud.Tests", "Acs", "acs-identity.mjs"), new Dictionary<string, string>
        {
            ["ACS_CONNECTION_STRING"] = standIn.ConnectionString,
            ["ACS_WRONG_CONNECTION_STRING"] = wrong,
        }, NodeTimeout, CancellationToken.None);

        Assert.True(result.ExitCode == 0, $"node failed: {result.StandardOutput}\n{result.StandardError}");
        var json = result.LastJsonLine();
        Assert.StartsWith($"8:acs:{standIn.ResourceId}_", json.GetProperty("userId").GetString(), StringComparison.Ordinal);
        Assert.True(json.GetProperty("tokenLength").GetInt32() > 100);
        Assert.True(json.GetProperty("reissuedTokenLength").GetInt32() > 100);
        Assert.True(DateTimeOffset.Parse(json.GetProperty("expiresOn").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow);
        Assert.Equal(401, json.GetProperty("wrongKeyStatus").GetInt32());
    }

    [Fact]
    public async Task Api_WithoutApiVersion_Returns400_AndUnsignedRequest_Returns401WithErrorBody()
    {
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        using var http = new HttpClient();

        var unsigned = await http.GetAsync(new Uri(standIn.Endpoint, "calling/callConnections/x?api-version=2025-06-15"));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        using var body = JsonDocument.Parse(await unsigned.Content.ReadAsStringAsync());
        Assert.Equal("Unauthorized", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(401, body.RootElement.GetProperty("status").GetInt32());

        var signer = new TestHmacSigner(standIn.AccessKey);
        using var noVersion = signer.Sign(HttpMethod.Get, new Uri(standIn.Endpoint, "calling/callConnections/x"));
        var reply = await http.SendAsync(noVersion);
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.Contains("api-version", await reply.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var anyVersion = signer.Sign(HttpMethod.Get, new Uri(standIn.Endpoint, "calling/callConnections/x?api-version=1999-01-01"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.SendAsync(anyVersion)).StatusCode);
    }

    [Fact]
    public async Task OpenIdDocuments_PublishIssuerAndRsaKey_AndPageListsCalls()
    {
        await using var standIn = await AcsStandIn.StartAsync(new AcsStandInOptions(), CancellationToken.None);
        using var http = new HttpClient();

        using var config = JsonDocument.Parse(await http.GetStringAsync(standIn.OpenIdConfigurationUri));
        Assert.Equal(standIn.Issuer, config.RootElement.GetProperty("issuer").GetString());
        var jwksUri = new Uri(config.RootElement.GetProperty("jwks_uri").GetString()!);
        using var jwks = JsonDocument.Parse(await http.GetStringAsync(jwksUri));
        var key = jwks.RootElement.GetProperty("keys")[0];
        Assert.Equal("RSA", key.GetProperty("kty").GetString());
        Assert.False(key.TryGetProperty("d", out _), "the private exponent must not be published");

        var page = await http.GetStringAsync(standIn.Endpoint);
        Assert.Contains("/_standin/calls", page, StringComparison.Ordinal);
        Assert.Equal("[]", (await http.GetStringAsync(new Uri(standIn.Endpoint, "_standin/calls"))).Trim());
    }
}
