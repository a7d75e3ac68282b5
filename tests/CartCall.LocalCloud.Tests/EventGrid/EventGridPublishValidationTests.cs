using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CartCall.LocalCloud.EventGrid;
using static CartCall.LocalCloud.Tests.EventGrid.EventGridTestKit;

namespace CartCall.LocalCloud.Tests.EventGrid;

/// <summary>What the publish endpoint refuses, and how it says so.</summary>
public sealed class EventGridPublishValidationTests : IAsyncLifetime
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false });
    private EventGridStandIn _standIn = null!;

    public async Task InitializeAsync() => _standIn = await EventGridStandIn.StartAsync(Options(), CancellationToken.None);

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private async Task<(int Status, JsonElement? Body)> PostAsync(
        string body, string contentType = "application/cloudevents-batch+json", string? key = null, bool withKey = true,
        string query = "?api-version=2018-01-01")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _standIn.Endpoint + query)
        {
            Content = new StringContent(body, Encoding.UTF8, contentType),
        };
        if (withKey) request.Headers.Add("aeg-sas-key", key ?? TopicKey);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertError(JsonElement? body, string code, string messagePart)
    {
        Assert.NotNull(body);
        var error = body.Value.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Contains(messagePart, error.GetProperty("message").GetString());
        Assert.Equal(error.GetProperty("message").GetString(), body.Value.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Publish_ValidCloudEventBatch_Returns200WithEmptyBody()
    {
        var (status, body) = await PostAsync("""[{"specversion":"1.0","id":"1","source":"/s","type":"T"}]""");

        Assert.Equal(200, status);
        Assert.Null(body);
    }

    [Fact]
    public async Task Publish_SingleCloudEvent_Returns200()
    {
        var (status, _) = await PostAsync("""{"specversion":"1.0","id":"1","source":"/s","type":"T"}""", "application/cloudevents+json");

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Publish_MalformedJson_Returns400WithErrorBody()
    {
        var (status, body) = await PostAsync("""[{"specversion":"1.0",""");

        Assert.Equal(400, status);
        AssertError(body, "BadRequest", "not valid JSON");
    }

    [Theory]
    [InlineData("""[{"specversion":"1.0","source":"/s","type":"T"}]""", "'id'")]
    [InlineData("""[{"specversion":"1.0","id":"1","type":"T"}]""", "'source'")]
    [InlineData("""[{"specversion":"1.0","id":"1","source":"/s"}]""", "'type'")]
    [InlineData("""[{"id":"1","source":"/s","type":"T"}]""", "'specversion'")]
    [InlineData("""[{"specversion":"0.3","id":"1","source":"/s","type":"T"}]""", "specversion '0.3'")]
    [InlineData("""[{"specversion":"1.0","id":"1","source":"/s","type":"T","time":"yesterday"}]""", "'time'")]
    [InlineData("""[{"specversion":"1.0","id":"","source":"/s","type":"T"}]""", "'id'")]
    [InlineData("""{"specversion":"1.0","id":"1","source":"/s","type":"T"}""", "JSON array")]
    public async Task Publish_InvalidCloudEvent_Returns400NamingTheProblem(string json, string messagePart)
    {
        var (status, body) = await PostAsync(json);

        Assert.Equal(400, status);
        AssertError(body, "BadRequest", messagePart);
    }

    [Theory]
    [InlineData("""[{"subject":"s","eventType":"T","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1"}]""", "'id'")]
    [InlineData("""[{"id":"1","eventType":"T","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1"}]""", "'subject'")]
    [InlineData("""[{"id":"1","subject":"s","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1"}]""", "'eventType'")]
    [InlineData("""[{"id":"1","subject":"s","eventType":"T","dataVersion":"1"}]""", "'eventTime'")]
    [InlineData("""[{"id":"1","subject":"s","eventType":"T","eventTime":"2026-01-01T00:00:00Z"}]""", "'dataVersion'")]
    [InlineData("""[{"id":"1","subject":"s","eventType":"T","eventTime":"not a time","dataVersion":"1"}]""", "'eventTime'")]
    [InlineData("""[{"id":"1","subject":"s","eventType":"T","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1"}, 5]""", "index 1")]
    public async Task Publish_InvalidEventGridSchemaEvent_Returns400NamingTheProblem(string json, string messagePart)
    {
        var (status, body) = await PostAsync(json, "application/json");

        Assert.Equal(400, status);
        AssertError(body, "BadRequest", messagePart);
    }

    [Fact]
    public async Task Publish_ValidEventGridSchemaEvent_Returns200()
    {
        var (status, _) = await PostAsync(
            """[{"id":"1","subject":"s","eventType":"T","eventTime":"2026-01-01T00:00:00Z","dataVersion":"1","data":{"a":1}}]""",
            "application/json");

        Assert.Equal(200, status);
    }

    [Fact]
    public async Task Publish_WithoutKey_Returns401()
    {
        var (status, body) = await PostAsync("""[{"specversion":"1.0","id":"1","source":"/s","type":"T"}]""", withKey: false);

        Assert.Equal(401, status);
        AssertError(body, "Unauthorized", "aeg-sas-key");
    }

    [Fact]
    public async Task Publish_WithWrongKey_Returns401()
    {
        var (status, body) = await PostAsync("""[{"specversion":"1.0","id":"1","source":"/s","type":"T"}]""", key: "d3Jvbmc=");

        Assert.Equal(401, status);
        AssertError(body, "Unauthorized", "not valid");
    }

    [Fact]
    public async Task Publish_BodyOver1MB_Returns413()
    {
        var big = new string('x', 1024 * 1024);
        var (status, body) = await PostAsync($$"""[{"specversion":"1.0","id":"1","source":"/s","type":"T","data":"{{big}}"}]""");

        Assert.Equal(413, status);
        AssertError(body, "RequestEntityTooLarge", "exceeds");
    }

    [Fact]
    public async Task Publish_UnsupportedContentType_Returns415()
    {
        var (status, body) = await PostAsync("id=1", "application/x-www-form-urlencoded");

        Assert.Equal(415, status);
        AssertError(body, "UnsupportedMediaType", "Content-Type");
    }

    [Fact]
    public async Task Publish_WithoutApiVersion_Returns400()
    {
        var (status, body) = await PostAsync("""[{"specversion":"1.0","id":"1","source":"/s","type":"T"}]""", query: "");

        Assert.Equal(400, status);
        AssertError(body, "BadRequest", "api-version");
    }

    [Fact]
    public async Task Get_OnPublishPath_Returns405WithErrorBody()
    {
        using var response = await Http.GetAsync(_standIn.Endpoint);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(405, (int)response.StatusCode);
        Assert.Equal("MethodNotAllowed", body.GetProperty("error").GetProperty("code").GetString());
    }
}
