using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>Outcome of checking a callback's Authorization header.</summary>
public sealed record AcsCallbackAuthResult(bool Succeeded, string? FailureReason)
{
    public static readonly AcsCallbackAuthResult Success = new(true, null);

    public static AcsCallbackAuthResult Fail(string reason) => new(false, reason);
}

/// <summary>
/// Checks that a callback really comes from ACS: an RS256 JWT issued by the configured issuer for this resource's
/// immutable id, signed by a key from the published OpenID configuration (fetched once and cached).
/// </summary>
public sealed class AcsCallbackAuthenticator
{
    private readonly IConfigurationManager<OpenIdConnectConfiguration> _configuration;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly string _issuer;
    private readonly string _audience;
    private readonly TimeProvider _time;
    private readonly ILogger<AcsCallbackAuthenticator> _logger;

    public AcsCallbackAuthenticator(AcsOptions options, TimeProvider timeProvider, ILogger<AcsCallbackAuthenticator> logger, HttpClient? metadataHttpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _issuer = options.CallbackIssuer;
        _audience = !string.IsNullOrWhiteSpace(options.ImmutableResourceId)
            ? options.ImmutableResourceId
            : throw new ArgumentException("Acs:ImmutableResourceId is required.", nameof(options));
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        var metadata = options.OpenIdConfigurationUri;
        var retriever = metadataHttpClient is null ? new HttpDocumentRetriever() : new HttpDocumentRetriever(metadataHttpClient);
        // Plain http only for a stand-in on this machine; anywhere else the keys must come over TLS.
        retriever.RequireHttps = !(metadata.Scheme == Uri.UriSchemeHttp && AcsOptions.IsLoopback(metadata));
        // The signing keys (JWKS) are one cached document for the one configured metadata address, never keyed by
        // anything a caller sends. A token naming an unknown key asks for a refresh, which ConfigurationManager grants
        // at most once per RefreshInterval, so unauthenticated callers can neither grow the cache nor make it refetch.
        _configuration = new ConfigurationManager<OpenIdConnectConfiguration>(
            metadata.AbsoluteUri, new OpenIdConnectConfigurationRetriever(), retriever)
        {
            RefreshInterval = TimeSpan.FromMinutes(5),
        };
    }

    /// <summary>Validates the raw <c>Authorization</c> header value.</summary>
    public async Task<AcsCallbackAuthResult> AuthenticateAsync(string? authorizationHeader, CancellationToken cancellationToken)
    {
        const string prefix = "Bearer ";
        if (string.IsNullOrWhiteSpace(authorizationHeader)) return AcsCallbackAuthResult.Fail("missing Authorization header");
        if (!authorizationHeader.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            return AcsCallbackAuthResult.Fail("Authorization is not a Bearer token");
        var token = authorizationHeader[prefix.Length..].Trim();
        if (!_handler.CanReadToken(token)) return AcsCallbackAuthResult.Fail("token is not a JWT");

        OpenIdConnectConfiguration config;
        try
        {
            config = await _configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            _logger.LogWarning(e, "ACS callback signing keys could not be fetched");
            return AcsCallbackAuthResult.Fail("signing keys unavailable");
        }

        var result = await _handler.ValidateTokenAsync(token, Parameters(config)).ConfigureAwait(false);
        if (result.IsValid) return AcsCallbackAuthResult.Success;

        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // ACS may have rolled its keys since we cached them: refresh once and retry.
            _configuration.RequestRefresh();
            config = await _configuration.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
            result = await _handler.ValidateTokenAsync(token, Parameters(config)).ConfigureAwait(false);
            if (result.IsValid) return AcsCallbackAuthResult.Success;
        }

        var reason = Describe(result.Exception);
        _logger.LogWarning("ACS callback token rejected: {Reason}", reason);
        return AcsCallbackAuthResult.Fail(reason);
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration config) => new()
    {
        ValidIssuer = _issuer,
        ValidAudience = _audience,
        IssuerSigningKeys = config.SigningKeys,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidateIssuerSigningKey = true,
        ClockSkew = TimeSpan.FromMinutes(1),
        // Lifetime against the injected clock so tests and replays can control "now".
        LifetimeValidator = ValidateLifetime,
    };

    private bool ValidateLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var skew = parameters.ClockSkew;
        if (expires is null || expires.Value.ToUniversalTime() + skew < now) return false;
        return notBefore is null || notBefore.Value.ToUniversalTime() - skew <= now;
    }

    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenInvalidAudienceException => "wrong audience",
        SecurityTokenInvalidIssuerException => "wrong issuer",
        SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException => "token expired or not yet valid",
        SecurityTokenSignatureKeyNotFoundException => "signed by an unknown key",
        SecurityTokenInvalidSignatureException => "invalid signature",
        SecurityTokenInvalidAlgorithmException => "algorithm not allowed",
        null => "invalid token",
        _ => "invalid token: " + e.GetType().Name,
    };
}
