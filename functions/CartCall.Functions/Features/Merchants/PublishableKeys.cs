using System.Security.Cryptography;
using System.Text;
using CartCall.Functions.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CartCall.Functions.Features.Merchants;

/// <summary>Makes and checks merchants' publishable keys.</summary>
public static class PublishableKeys
{
    public const string Prefix = "pk_";
    public const int RandomLength = 24;
    public const string Header = "x-cartcall-publishable-key";

    private const string UrlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    public static string Generate() => Prefix + RandomNumberGenerator.GetString(UrlSafe, RandomLength);

    public static bool IsWellFormed(string? key) =>
        key is not null && key.StartsWith(Prefix, StringComparison.Ordinal) && key.Length >= Prefix.Length + RandomLength && key.Length <= 128
        && key.AsSpan(Prefix.Length).IndexOfAnyExcept(UrlSafe) < 0;

    /// <summary>
    /// The publishable-key check every storefront route makes, in one place (the storefront middleware, and
    /// GetCallStatus, which finds its merchant through the call): null when the request carries
    /// <paramref name="merchant"/>'s key in <see cref="Header"/>, else the 401 problem to answer.
    /// </summary>
    public static ProblemHttpResult? Check(HttpRequest request, Merchant merchant)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(merchant);
        var presented = request.Headers[Header].ToString();
        if (presented.Length == 0)
        {
            return Problems.Unauthorized($"Send the merchant's publishable key in the {Header} header.");
        }

        return Matches(presented, merchant.PublishableKey) ? null : Refused();
    }

    /// <summary>
    /// The one answer for "unknown or unauthorised" on storefront routes: an unknown merchant (or offer, or call) and a
    /// wrong key get these same words, so the answer does not reveal which ids exist.
    /// </summary>
    public static ProblemHttpResult Refused() =>
        Problems.Unauthorized($"The merchant is unknown or the {Header} header does not hold its publishable key.");

    /// <summary>Compares in constant time, so timing does not reveal how much of a guessed key was right.</summary>
    public static bool Matches(string? presented, string? expected) =>
        !string.IsNullOrEmpty(presented) && !string.IsNullOrEmpty(expected)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}
