using System.Net;
using System.Security.Cryptography;
using System.Text;
using CartCall.Functions.Adapters.Acs;

namespace CartCall.Functions.Tests.Adapters.Acs;

/// <summary>HMAC signing and repeatability/retry behaviour of the client pipeline, seen at the HTTP transport.</summary>
public sealed class AcsPipelinePolicyTests
{
    private static readonly string Key = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static AcsCallClient Client(ScriptedHandler handler, int maxRetries = 3) => new(
        new AcsOptions
        {
            ConnectionString = $"endpoint=http://127.0.0.1:5005/;accesskey={Key}",
            ImmutableResourceId = "aud",
            MaxRetries = maxRetries,
            RetryDelay = TimeSpan.FromMilliseconds(1),
        },
        new ManualTimeProvider(Now),
        transport: ScriptedHandler.Transport(handler));

    private static HttpResponseMessage Reply(HttpStatusCode status, string? json = null) =>
        new(status) { Content = new StringContent(json ?? "", Encoding.UTF8, "application/json") };

    private const string CallJson = """{"callConnectionId":"c1","serverCallId":"s1","callConnectionState":"connecting","targets":[{"kind":"phoneNumber","rawId":"4:+14255550123","phoneNumber":{"value":"+14255550123"}}]}""";

    private static CreateCallRequest Pstn() => new([new PhoneNumberIdentifier("+14255550123")], new Uri("http://127.0.0.1:7000/cb"))
    {
        SourceCallerIdNumber = new PhoneNumberIdentifier("+14255550100"),
    };

    [Fact]
    public async Task Hmac_SignsMethodPathDateHostAndBodyHash_AsDocumented()
    {
        var handler = new ScriptedHandler(_ => Reply(HttpStatusCode.Created, CallJson));

        await Client(handler).CreateCallAsync(Pstn());

        var (request, body) = Assert.Single(handler.Seen);
        var date = request.Headers.GetValues("x-ms-date").Single();
        var hash = request.Headers.GetValues("x-ms-content-sha256").Single();
        Assert.Equal("Tue, 01 Jan 2030 00:00:00 GMT", date);
        Assert.Equal(Convert.ToBase64String(SHA256.HashData(body)), hash);
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(Key),
            Encoding.UTF8.GetBytes($"POST\n/calling/callConnections?api-version=2025-06-15\n{date};127.0.0.1:5005;{hash}")));
        Assert.Equal($"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={expected}",
            request.Headers.GetValues("Authorization").Single());
    }

    [Fact]
    public async Task Hmac_EmptyBody_IsSignedWithTheHashOfNothing()
    {
        var handler = new ScriptedHandler(_ => Reply(HttpStatusCode.OK, CallJson));

        await Client(handler).GetCallAsync("c1");

        var (request, _) = Assert.Single(handler.Seen);
        Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", request.Headers.GetValues("x-ms-content-sha256").Single());
        Assert.False(request.Headers.Contains(RepeatabilityPolicy.RequestIdHeader), "GET is idempotent and carries no repeatability id");
    }

    [Theory]
    [InlineData(HttpStatusCode.RequestTimeout)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task CreateCall_TransientStatus_IsRetriedWithTheSameRepeatabilityHeaders(HttpStatusCode transient)
    {
        var handler = new ScriptedHandler(_ => Reply(transient), _ => Reply(transient), _ => Reply(HttpStatusCode.Created, CallJson));

        var call = await Client(handler).CreateCallAsync(Pstn());

        Assert.Equal("c1", call.CallConnectionId);
        Assert.Equal(3, handler.Seen.Count);
        var ids = handler.Seen.Select(s => s.Request.Headers.GetValues(RepeatabilityPolicy.RequestIdHeader).Single()).Distinct().ToList();
        Assert.True(Guid.TryParse(Assert.Single(ids), out _));
        Assert.Single(handler.Seen.Select(s => s.Request.Headers.GetValues(RepeatabilityPolicy.FirstSentHeader).Single()).Distinct());
    }

    [Fact]
    public async Task CreateCall_NetworkFailure_IsRetried()
    {
        var handler = new ScriptedHandler(_ => throw new HttpRequestException("connection reset"), _ => Reply(HttpStatusCode.Created, CallJson));

        var call = await Client(handler).CreateCallAsync(Pstn());

        Assert.Equal("c1", call.CallConnectionId);
        Assert.Equal(2, handler.Seen.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.BadRequest)]
    [InlineData(HttpStatusCode.Unauthorized)]
    [InlineData(HttpStatusCode.Forbidden)]
    [InlineData(HttpStatusCode.NotFound)]
    [InlineData(HttpStatusCode.Conflict)]
    public async Task CreateCall_ClientError_IsNotRetried_AndSurfacesServiceError(HttpStatusCode status)
    {
        var handler = new ScriptedHandler(_ => Reply(status, """{"error":{"code":"BadThing","message":"It was bad."}}"""));

        var error = await Assert.ThrowsAsync<AcsRequestFailedException>(() => Client(handler).CreateCallAsync(Pstn()));

        Assert.Single(handler.Seen);
        Assert.Equal((int)status, error.Status);
        Assert.Equal("BadThing", error.ErrorCode);
        Assert.Equal("It was bad.", error.ErrorMessage);
        Assert.Equal("CreateCall", error.Operation);
    }

    [Fact]
    public async Task HangUp_ForEveryone_PostsTerminateWithRepeatability_OtherwiseDeletes()
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.NoContent));
        var client = Client(handler);

        await client.HangUpAsync("c 1", forEveryone: true);
        await client.HangUpAsync("c 1", forEveryone: false);

        Assert.Equal(HttpMethod.Post, handler.Seen[0].Request.Method);
        Assert.Equal("/calling/callConnections/c%201:terminate", handler.Seen[0].Request.RequestUri!.AbsolutePath);
        Assert.True(handler.Seen[0].Request.Headers.Contains(RepeatabilityPolicy.RequestIdHeader));
        Assert.Equal(HttpMethod.Delete, handler.Seen[1].Request.Method);
        Assert.Equal("/calling/callConnections/c%201", handler.Seen[1].Request.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task Play_And_Recognize_SendTheDocumentedBodies()
    {
        var handler = new ScriptedHandler(_ => new HttpResponseMessage(HttpStatusCode.Accepted));
        var client = Client(handler);
        var shopper = new PhoneNumberIdentifier("+14255550123");

        await client.PlayAsync("c1", new PlayRequest([new FilePlaySource(new Uri("https://cdn.example/prompt.wav"))]) { OperationContext = "p" });
        await client.StartDtmfRecognitionAsync("c1", new DtmfRecognitionRequest(shopper) { MaxTonesToCollect = 4, StopTones = ['#'], OperationContext = "d" });

        var play = System.Text.Json.JsonDocument.Parse(handler.Seen[0].Body).RootElement;
        Assert.Equal("file", play.GetProperty("playSources")[0].GetProperty("kind").GetString());
        Assert.Equal("https://cdn.example/prompt.wav", play.GetProperty("playSources")[0].GetProperty("file").GetProperty("uri").GetString());
        Assert.Equal(0, play.GetProperty("playTo").GetArrayLength());
        var recognize = System.Text.Json.JsonDocument.Parse(handler.Seen[1].Body).RootElement;
        Assert.Equal("dtmf", recognize.GetProperty("recognizeInputType").GetString());
        var options = recognize.GetProperty("recognizeOptions");
        Assert.Equal("4:+14255550123", options.GetProperty("targetParticipant").GetProperty("rawId").GetString());
        Assert.Equal("pound", options.GetProperty("dtmfOptions").GetProperty("stopTones")[0].GetString());
        Assert.Equal(4, options.GetProperty("dtmfOptions").GetProperty("maxTonesToCollect").GetInt32());
        Assert.EndsWith(":recognize", handler.Seen[1].Request.RequestUri!.AbsolutePath, StringComparison.Ordinal);
    }
}
