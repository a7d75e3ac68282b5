using System.Security.Cryptography;
using System.Text;

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

    /// <summary>Compares in constant time, so timing does not reveal how much of a guessed key was right.</summary>
    public static bool Matches(string? presented, string? expected) =>
        !string.IsNullOrEmpty(presented) && !string.IsNullOrEmpty(expected)
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
}
