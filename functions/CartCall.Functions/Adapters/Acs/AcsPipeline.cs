using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>Azure.Core client options for the ACS clients (retry, transport, diagnostics).</summary>
public sealed class AcsClientOptions : ClientOptions;

/// <summary>Builds the shared HTTP pipeline and sends typed JSON requests over it.</summary>
internal sealed class AcsPipeline
{
    private readonly HttpPipeline _pipeline;

    private AcsPipeline(HttpPipeline pipeline, Uri endpoint)
    {
        _pipeline = pipeline;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    /// <summary>
    /// Connection string → HMAC; otherwise an Entra token for <see cref="AcsOptions.EntraScope"/> from the given
    /// credential, a user-assigned managed identity, or DefaultAzureCredential.
    /// </summary>
    public static AcsPipeline Create(AcsOptions options, TimeProvider time, TokenCredential? credential, HttpPipelineTransport? transport)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var clientOptions = new AcsClientOptions();
        clientOptions.Retry.MaxRetries = options.MaxRetries;
        clientOptions.Retry.Delay = options.RetryDelay;
        clientOptions.Retry.MaxDelay = TimeSpan.FromSeconds(Math.Max(options.RetryDelay.TotalSeconds * 8, 1));
        clientOptions.Retry.Mode = RetryMode.Exponential;
        clientOptions.Retry.NetworkTimeout = options.NetworkTimeout;
        if (transport is not null) clientOptions.Transport = transport;

        HttpPipelinePolicy auth;
        Uri endpoint;
        if (options.ParsedConnectionString is { } cs)
        {
            auth = new AcsHmacAuthenticationPolicy(cs.AccessKey, time);
            endpoint = cs.Endpoint;
        }
        else
        {
            endpoint = options.Endpoint ?? throw new InvalidOperationException("Acs: neither ConnectionString nor Endpoint is set.");
            credential ??= string.IsNullOrWhiteSpace(options.ManagedIdentityClientId)
                ? new DefaultAzureCredential()
                : new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(options.ManagedIdentityClientId));
            auth = new BearerTokenAuthenticationPolicy(credential, AcsOptions.EntraScope);
        }

        var pipeline = HttpPipelineBuilder.Build(
            clientOptions,
            perCallPolicies: [new RepeatabilityPolicy(time)],
            perRetryPolicies: [auth],
            responseClassifier: new ResponseClassifier());
        return new AcsPipeline(pipeline, endpoint);
    }

    public HttpMessage CreateMessage(RequestMethod method, string path, string apiVersion, bool repeatable)
    {
        var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(Endpoint);
        message.Request.Uri.AppendPath(path, escape: false);
        message.Request.Uri.AppendQuery("api-version", apiVersion);
        message.Request.Headers.SetValue("Accept", "application/json");
        if (repeatable) RepeatabilityPolicy.MarkRepeatable(message);
        return message;
    }

    public static void SetJson<T>(HttpMessage message, T body, JsonTypeInfo<T> type)
    {
        message.Request.Headers.SetValue("Content-Type", "application/json");
        message.Request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(body, type));
    }

    /// <summary>Sends; throws <see cref="AcsRequestFailedException"/> unless the status is one of <paramref name="expected"/>.</summary>
    public async Task<Response> SendAsync(HttpMessage message, string operation, int[] expected, CancellationToken ct)
    {
        await _pipeline.SendAsync(message, ct).ConfigureAwait(false);
        var response = message.Response;
        if (Array.IndexOf(expected, response.Status) >= 0) return response;
        throw ToException(response, operation);
    }

    public static T ReadJson<T>(Response response, JsonTypeInfo<T> type, string operation)
    {
        try
        {
            return JsonSerializer.Deserialize(response.Content.ToMemory().Span, type)
                   ?? throw new AcsRequestFailedException(response.Status, "EmptyBody", "The reply had no JSON body.", operation);
        }
        catch (JsonException e)
        {
            throw new AcsRequestFailedException(response.Status, "InvalidBody", e.Message, operation, e);
        }
    }

    private static AcsRequestFailedException ToException(Response response, string operation)
    {
        string? code = null, text = null;
        try
        {
            var body = response.Content;
            if (body.ToMemory().Length > 0)
            {
                var error = JsonSerializer.Deserialize(body.ToMemory().Span, AcsJsonContext.Default.CommunicationErrorResponseModel);
                code = error?.Error?.Code;
                text = error?.Error?.Message;
            }
        }
        catch (JsonException)
        {
            // Not every failure (e.g. a proxy's 502) has a CommunicationErrorResponse body; status alone then.
        }

        return new AcsRequestFailedException(response.Status, code ?? response.ReasonPhrase, text, operation);
    }
}
