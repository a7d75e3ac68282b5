using Azure.Core;
using Azure.Core.Pipeline;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>
/// ACS Identity: users and VoIP tokens for the browser widget and the agent console. Hand-written over the REST API for
/// the same reason as <see cref="AcsCallClient"/>: Azure.Communication.Identity is not served here (no
/// <c>Azure.Communication.*</c> package is); its <c>CommunicationIdentityClient</c> can replace this class behind the
/// same two methods.
/// </summary>
public sealed class AcsIdentityClient
{
    private readonly AcsPipeline _pipeline;
    private readonly string _apiVersion;

    public AcsIdentityClient(AcsOptions options, TimeProvider timeProvider, TokenCredential? credential = null, HttpPipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pipeline = AcsPipeline.Create(options, timeProvider, credential, transport);
        _apiVersion = options.IdentityApiVersion;
    }

    /// <param name="scopes">Token scopes, usually <c>voip</c>.</param>
    /// <param name="expiresIn">Token lifetime (service allows 1 h to 24 h); null = the service's default (24 h).</param>
    public async Task<AcsUserAndToken> CreateUserAndTokenAsync(IReadOnlyList<string> scopes, TimeSpan? expiresIn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scopes);
        if (scopes.Count == 0) throw new ArgumentException("At least one scope (e.g. voip) is required.", nameof(scopes));
        var body = new IdentityCreateRequestModel
        {
            CreateTokenWithScopes = scopes.ToList(),
            ExpiresInMinutes = expiresIn is { } e ? (int)e.TotalMinutes : null,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, "/identities", _apiVersion, repeatable: false);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.IdentityCreateRequestModel);
        var response = await _pipeline.SendAsync(message, "CreateUserAndToken", [201, 200], cancellationToken).ConfigureAwait(false);
        var reply = AcsPipeline.ReadJson(response, AcsJsonContext.Default.IdentityAccessTokenResultModel, "CreateUserAndToken");
        if (reply.Identity?.Id is not { } id || reply.AccessToken?.Token is not { } token)
            throw new AcsRequestFailedException(response.Status, "InvalidBody", "The reply lacked identity.id or accessToken.token.", "CreateUserAndToken");
        return new AcsUserAndToken(new CommunicationUserIdentifier(id), token, reply.AccessToken.ExpiresOn);
    }

    public async Task<AcsAccessToken> IssueTokenAsync(CommunicationUserIdentifier user, IReadOnlyList<string> scopes, TimeSpan? expiresIn = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(scopes);
        var body = new IdentityIssueTokenRequestModel
        {
            Scopes = scopes.ToList(),
            ExpiresInMinutes = expiresIn is { } e ? (int)e.TotalMinutes : null,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, "/identities/" + Uri.EscapeDataString(user.Id) + "/:issueAccessToken", _apiVersion, repeatable: false);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.IdentityIssueTokenRequestModel);
        var response = await _pipeline.SendAsync(message, "IssueAccessToken", [200], cancellationToken).ConfigureAwait(false);
        var reply = AcsPipeline.ReadJson(response, AcsJsonContext.Default.AccessTokenModel, "IssueAccessToken");
        return new AcsAccessToken(reply.Token ?? throw new AcsRequestFailedException(200, "InvalidBody", "No token in reply.", "IssueAccessToken"), reply.ExpiresOn);
    }
}
