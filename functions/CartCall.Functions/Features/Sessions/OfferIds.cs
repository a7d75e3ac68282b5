using System.Security.Cryptography;
using System.Text;

namespace CartCall.Functions.Features.Sessions;

/// <summary>
/// Offer ids derive from what caused the offer, so a retried evaluation of the same cause names the same offer and
/// every downstream step can deduplicate on it.
/// </summary>
public static class OfferIds
{
    public static string For(string merchantId, string sessionId, string cause)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{merchantId}\n{sessionId}\n{cause}"), hash);
        return "of_" + Convert.ToHexStringLower(hash[..12]);
    }
}
