using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CartCall.Functions.Adapters.WebPubSub;

/// <summary>Pipeline settings of <see cref="WebPubSubRestClient"/>: Azure.Core's retries, logging and transport.</summary>
public sealed class WebPubSubRestClientOptions : ClientOptions
{
    /// <summary>The data-plane api-version sent on every call; the latest GA.</summary>
    public string ApiVersion { get; set; } = "2024-12-01";
}

/// <summary>
/// A small typed client for the Web PubSub data-plane REST API (the parts CartCall uses), on Azure.Core's
/// <see cref="HttpPipeline"/>: retries, logging, and key auth by <see cref="WebPubSubKeyAuthenticationPolicy"/>.
/// Create once and share: it is thread-safe.
/// <para>
/// Why hand-written: the official Azure.Messaging.WebPubSub package (its <c>WebPubSubServiceClient</c>) is not served
/// by the feed this project builds from, and no other Web PubSub package is. This class is the seam: the push features
/// call only its send and client-URL methods, which map one to one onto the official client's, so that client can
/// replace it when the package is obtainable.
/// </para>
/// </summary>
public sealed class WebPubSubRestClient
{
    private readonly HttpPipeline _pipeline;
    private readonly TimeProvider _timeProvider;
    private readonly byte[] _key;
    private readonly string _apiVersion;

    public WebPubSubRestClient(WebPubSubOptions options, TimeProvider timeProvider, WebPubSubRestClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        var (endpoint, accessKey) = options.Resolve();
        clientOptions ??= new WebPubSubRestClientOptions();
        Endpoint = endpoint;
        Hub = options.Hub;
        _timeProvider = timeProvider;
        _key = Encoding.UTF8.GetBytes(accessKey);
        _apiVersion = clientOptions.ApiVersion;
        _pipeline = HttpPipelineBuilder.Build(
            clientOptions,
            perCallPolicies: [],
            perRetryPolicies: [new WebPubSubKeyAuthenticationPolicy(accessKey, timeProvider)],
            new ResponseClassifier());
    }

    /// <summary>The service endpoint, e.g. <c>https://name.webpubsub.azure.com</c> (no trailing slash).</summary>
    public Uri Endpoint { get; }

    public string Hub { get; }

    /// <summary>Sends a JSON message to every connection of <paramref name="userId"/>. Fire-and-forget like the service: a user with no connection is not an error.</summary>
    public Task<Response> SendToUserAsync(string userId, BinaryData json, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return SendJsonAsync(["users", userId], json, cancellationToken);
    }

    /// <summary>Sends a JSON message to every connection in <paramref name="group"/>.</summary>
    public Task<Response> SendToGroupAsync(string group, BinaryData json, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        return SendJsonAsync(["groups", group], json, cancellationToken);
    }

    /// <summary>Sends a JSON message to every connection of the hub.</summary>
    public Task<Response> SendToAllAsync(BinaryData json, CancellationToken cancellationToken) =>
        SendJsonAsync([], json, cancellationToken);

    /// <summary>Adds the user's connections to <paramref name="group"/>.</summary>
    public Task<Response> AddUserToGroupAsync(string group, string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return SendAsync(RequestMethod.Put, ["users", userId, "groups", group], null, null, [200], cancellationToken);
    }

    public Task<Response> RemoveUserFromGroupAsync(string group, string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return SendAsync(RequestMethod.Delete, ["users", userId, "groups", group], null, null, [200, 204], cancellationToken);
    }

    /// <summary>Whether the user has at least one live connection.</summary>
    public async Task<bool> UserExistsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var response = await SendAsync(RequestMethod.Head, ["users", userId], null, null, [200, 404], cancellationToken);
        return response.Status == 200;
    }

    /// <summary>Closes every connection of the user (e.g. when a shopper's session ends).</summary>
    public Task<Response> CloseUserConnectionsAsync(string userId, string? reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        return SendAsync(RequestMethod.Post, ["users", userId, ":closeConnections"], null, reason is null ? null : ("reason", reason), [204], cancellationToken);
    }

    /// <summary>
    /// The URL a browser connects to: <c>ws(s)://host/client/hubs/{hub}?access_token=...</c>, signed locally with
    /// the access key (no service call), for <paramref name="userId"/>, joining <paramref name="groups"/> on connect.
    /// </summary>
    public Uri GetClientAccessUri(string userId, IEnumerable<string> groups, IEnumerable<string> roles, TimeSpan lifetime)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(roles);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);

        var clientPath = "/client/hubs/" + Hub;
        var token = WebPubSubJwt.Sign(_key, Endpoint.GetLeftPart(UriPartial.Authority) + clientPath, _timeProvider.GetUtcNow(), lifetime, userId, roles, groups);
        var socketUrl = new UriBuilder(Endpoint)
        {
            Scheme = Endpoint.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
            Path = clientPath,
            Query = "access_token=" + Uri.EscapeDataString(token),
        };
        return socketUrl.Uri;
    }

    private Task<Response> SendJsonAsync(string[] target, BinaryData json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(json);
        return SendAsync(RequestMethod.Post, [.. target, ":send"], json, null, [202], cancellationToken);
    }

    private async Task<Response> SendAsync(
        RequestMethod method,
        string[] pathAfterHub,
        BinaryData? json,
        (string Name, string Value)? query,
        int[] expected,
        CancellationToken cancellationToken)
    {
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = method;
        request.Uri.Reset(Endpoint);
        request.Uri.AppendPath("/api/hubs/", escape: false);
        request.Uri.AppendPath(Hub, escape: true);
        foreach (var segment in pathAfterHub)
        {
            request.Uri.AppendPath("/", escape: false);
            // ":send" and friends are literal; user ids and group names are data and get escaped.
            request.Uri.AppendPath(segment, escape: !segment.StartsWith(':'));
        }

        request.Uri.AppendQuery("api-version", _apiVersion, escapeValue: true);
        if (query is { } q)
        {
            request.Uri.AppendQuery(q.Name, q.Value, escapeValue: true);
        }

        if (json is not null)
        {
            request.Headers.SetValue(HttpHeader.Names.ContentType, "application/json");
            request.Content = RequestContent.Create(json);
        }

        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        // The response content is buffered (as in Azure's generated clients), so it stays readable after the message is disposed.
        var response = message.Response;
        if (Array.IndexOf(expected, response.Status) < 0)
        {
            throw new RequestFailedException(response);
        }

        return response;
    }
}
