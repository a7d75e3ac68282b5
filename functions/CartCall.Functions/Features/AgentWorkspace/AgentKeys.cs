using System.Security.Cryptography;
using System.Text;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>The agent signed in to the workspace: who they are, for which merchant.</summary>
public sealed record AgentPrincipal(string MerchantId, string AgentId);

/// <summary>
/// Per-agent workspace keys: <c>cca_{merchantId}.{agentId}.{secret}</c> with 32 random bytes of secret (base64url).
/// Only the SHA-256 of the whole key is stored, beside the agent; a new key replaces (revokes) the old one. A plain hash
/// is enough for a 256-bit random secret: there is nothing to guess, so no slow password hash is needed. The merchant's
/// admin key never reaches an agent's browser.
/// </summary>
public sealed class AgentKeys(TableAgentStore agents)
{
    public const string Prefix = "cca_";

    /// <summary>The key an agent's workspace sends, as <c>Authorization: Bearer {key}</c>.</summary>
    public const string Scheme = "Bearer";

    /// <summary>Issues a new key for the agent (the old one stops working); null when there is no such agent.</summary>
    public async Task<string?> IssueAsync(string merchantId, string agentId, CancellationToken cancellationToken)
    {
        var key = $"{Prefix}{merchantId}.{agentId}.{Base64Url(RandomNumberGenerator.GetBytes(32))}";
        return await agents.SetKeyHashAsync(merchantId, agentId, Hash(key), cancellationToken).ConfigureAwait(false) ? key : null;
    }

    /// <summary>The agent a request's bearer key belongs to, or a 401 problem that says what is wrong.</summary>
    public async Task<(AgentPrincipal? Agent, IResult? Problem)> AuthenticateAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.FirstOrDefault();
        if (header is null || !header.StartsWith(Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Unauthorized("Sign in: send your agent key as 'Authorization: Bearer cca_…'."));
        }

        var key = header[(Scheme.Length + 1)..].Trim();
        if (Parse(key) is not { } who)
        {
            return (null, Problems.Unauthorized("That is not an agent key."));
        }

        var stored = await agents.GetWithKeyHashAsync(who.MerchantId, who.AgentId, cancellationToken).ConfigureAwait(false);
        // An unknown agent is checked against a hash nothing matches, so it takes as long and reads the same as a wrong key.
        var expected = stored?.KeyHash ?? new string('0', 64);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Hash(key)), Encoding.ASCII.GetBytes(expected)) && stored is not null
            ? (who, null)
            : (null, Problems.Unauthorized("The agent key is not valid (a newer one may have replaced it)."));
    }

    /// <summary>The merchant and agent a key names, when it has the key's form.</summary>
    public static AgentPrincipal? Parse(string key)
    {
        if (key.Length > 256 || !key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = key[Prefix.Length..].Split('.');
        return parts.Length == 3 && MerchantValidator.IdPattern().IsMatch(parts[0]) && MerchantValidator.IdPattern().IsMatch(parts[1]) && parts[2].Length >= 32
            ? new AgentPrincipal(parts[0], parts[1])
            : null;
    }

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
