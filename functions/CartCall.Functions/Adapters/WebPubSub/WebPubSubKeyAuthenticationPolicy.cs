using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace CartCall.Functions.Adapters.WebPubSub;

/// <summary>
/// Signs each attempt with <c>Authorization: Bearer</c> HS256, aud = the full request URL (as the .NET SDK does),
/// exp = now + 5 min. Runs per retry so a retried request carries a fresh token.
/// </summary>
internal sealed class WebPubSubKeyAuthenticationPolicy(string accessKey, TimeProvider timeProvider) : HttpPipelineSynchronousPolicy
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private readonly byte[] _key = Encoding.UTF8.GetBytes(accessKey);

    public override void OnSendingRequest(HttpMessage message)
    {
        var audience = message.Request.Uri.ToUri().AbsoluteUri;
        var token = WebPubSubJwt.Sign(_key, audience, timeProvider.GetUtcNow(), Lifetime);
        message.Request.Headers.SetValue(HttpHeader.Names.Authorization, "Bearer " + token);
    }
}
