using System.Globalization;
using CartCall.Functions.Features.CartEvents;

namespace CartCall.Functions.Features.Push;

/// <summary>How a browser session is addressed in Web PubSub.</summary>
public static class PushUsers
{
    /// <summary>The Web PubSub user id of a storefront session: <c>{merchantId}:{sessionId}</c>.</summary>
    public static string For(string merchantId, string sessionId) => merchantId + ":" + sessionId;

    /// <summary>Why a session id from a URL or body cannot be used, or null; the same rule as cart events.</summary>
    public static string? SessionIdProblem(string? sessionId) =>
        string.IsNullOrWhiteSpace(sessionId) ? "sessionId is required."
        : sessionId.Length > CartEventMapper.MaxIdLength || sessionId.Any(c => char.IsControl(c) || c is '/' or '\\' or '#' or '?' or '|')
            ? string.Create(CultureInfo.InvariantCulture, $"sessionId must be at most {CartEventMapper.MaxIdLength} characters without control characters or / \\ # ? |.")
            : null;
}
