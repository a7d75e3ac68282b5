using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace CartCall.Domain.Experiments;

/// <summary>Which side of the experiment a session is on.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExperimentArm>))]
public enum ExperimentArm
{
    /// <summary>Offers the policy decides on are shown.</summary>
    Treatment,

    /// <summary>The holdout: scored and decided as usual, the offer recorded but never shown.</summary>
    Control,
}

/// <summary>
/// Assigns sessions to the holdout (control group) from a stable hash of (merchant, session), so every instance,
/// every retry and every replay puts a session on the same side, with nothing stored.
/// </summary>
/// <remarks>
/// The bucket is the first 53 bits of SHA-256 over a versioned, length-prefixed key, read as a number in [0, 1); a
/// session is in the control group when its bucket is below the share. SHA-256 is used for its uniformity, not its
/// secrecy: storefront session ids can be sequential, and a weak hash would cluster them. Because the bucket does not
/// depend on the share, raising the share only adds sessions to the control group, and lowering it only removes them.
/// </remarks>
public static class HoldoutAssignment
{
    /// <summary>Share of sessions held out when a merchant configures nothing.</summary>
    public const double DefaultShare = 0.10;

    /// <summary>More than half held out would spend most traffic on measuring rather than selling.</summary>
    public const double MaxShare = 0.5;

    // Part of the key: changing it re-randomises every assignment (a new experiment), so it never changes silently.
    private const string KeyVersion = "cartcall-holdout-v1";

    /// <summary>The session's position in [0, 1), uniform over sessions and fixed for ever.</summary>
    public static double Bucket(string merchantId, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(merchantId);
        ArgumentNullException.ThrowIfNull(sessionId);

        // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
        var key = $"{KeyVersion}\n{merchantId.Length}:{merchantId}\n{sessionId.Length}:{sessionId}";
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        var top53 = BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11;
        return top53 * (1.0 / (1UL << 53));
    }

    /// <summary>The arm of a session for a holdout share in [0, <see cref="MaxShare"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException">The share is outside [0, 0.5] or not a number.</exception>
    public static ExperimentArm Assign(string merchantId, string sessionId, double controlShare)
    {
        if (!(controlShare is >= 0 and <= MaxShare))
        {
            throw new ArgumentOutOfRangeException(nameof(controlShare), controlShare, $"The holdout share must be between 0 and {MaxShare}.");
        }

        return Bucket(merchantId, sessionId) < controlShare ? ExperimentArm.Control : ExperimentArm.Treatment;
    }
}
