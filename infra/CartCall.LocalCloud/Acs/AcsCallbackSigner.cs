using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CartCall.LocalCloud.Acs;

/// <summary>The stand-in's RSA signing key: signs callback JWTs and publishes the public half as JWKS.</summary>
internal sealed class AcsCallbackSigner : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly RsaSecurityKey _key;
    private readonly JsonWebTokenHandler _handler = new();
    private readonly TimeProvider _time;

    public AcsCallbackSigner(TimeProvider time)
    {
        _time = time;
        KeyId = Convert.ToHexString(RandomNumberGenerator.GetBytes(8)).ToLowerInvariant();
        _key = new RsaSecurityKey(_rsa) { KeyId = KeyId };
    }

    public string KeyId { get; }

    /// <summary>A fresh RS256 token per event, valid 5 minutes, as ACS sends.</summary>
    public string CreateToken(string issuer, string audience, IDictionary<string, object>? extraClaims = null, TimeSpan? lifetime = null)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + (lifetime ?? TimeSpan.FromMinutes(5)),
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.RsaSha256),
            Claims = extraClaims,
            Subject = new ClaimsIdentity(),
        };
        return _handler.CreateToken(descriptor);
    }

    /// <summary>The claims of a token this signer issued for <paramref name="audience"/>, or null when it is not one (forged, expired, other key).</summary>
    public async Task<IDictionary<string, object>?> ValidateAsync(string token, string issuer, string audience)
    {
        var result = await _handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKey = _key,
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(1),
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return (notBefore is null || notBefore <= now.AddMinutes(1)) && expires is { } e && e > now;
            },
        }).ConfigureAwait(false);
        return result.IsValid ? result.Claims : null;
    }

    public JsonObject Jwks()
    {
        var p = _rsa.ExportParameters(includePrivateParameters: false);
        return new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["alg"] = "RS256",
                ["kid"] = KeyId,
                ["n"] = Base64UrlEncoder.Encode(p.Modulus),
                ["e"] = Base64UrlEncoder.Encode(p.Exponent),
            }),
        };
    }

    public void Dispose() => _rsa.Dispose();
}
