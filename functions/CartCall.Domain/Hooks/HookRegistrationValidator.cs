using System.Globalization;
using System.Net;

namespace CartCall.Domain.Hooks;

/// <summary>What a registration is checked against besides its own fields.</summary>
/// <param name="AllowLoopbackHttp">Development only: http://localhost and other loopback webhooks are accepted.</param>
/// <param name="AllowedExecutables">Names of the executables configured for process hooks.</param>
public sealed record HookValidationRules(bool AllowLoopbackHttp, IReadOnlyCollection<string> AllowedExecutables)
{
    public static readonly HookValidationRules Production = new(false, []);
}

/// <summary>Checks a registration and lists every problem at once, each naming its field.</summary>
public static class HookRegistrationValidator
{
    public static IReadOnlyList<string> Validate(HookRegistration hook, HookValidationRules rules)
    {
        ArgumentNullException.ThrowIfNull(hook);
        ArgumentNullException.ThrowIfNull(rules);
        var problems = new List<string>();

        CheckId(problems, "hookId", hook.HookId);
        CheckId(problems, "merchantId", hook.MerchantId);

        if (hook.Points is null || hook.Points.Count == 0)
        {
            problems.Add($"points must name at least one lifecycle point: {string.Join(", ", HookPoints.All)}.");
        }
        else
        {
            foreach (var point in hook.Points.Where(p => !HookPoints.IsKnown(p)).Distinct(StringComparer.Ordinal))
            {
                problems.Add($"points: '{point}' is not a lifecycle point; known points are {string.Join(", ", HookPoints.All)}.");
            }

            if (hook.Points.Distinct(StringComparer.Ordinal).Count() != hook.Points.Count)
            {
                problems.Add("points lists a lifecycle point more than once.");
            }
        }

        if (!Enum.IsDefined(hook.Kind))
        {
            problems.Add("kind must be webhook or process.");
        }
        else if (string.IsNullOrWhiteSpace(hook.Target))
        {
            problems.Add(hook.Kind == HookKind.Webhook ? "target must be the webhook's https URL." : "target must name an allow-listed executable.");
        }
        else if (hook.Target.Length > HookBounds.MaxTargetLength)
        {
            problems.Add($"target is longer than {HookBounds.MaxTargetLength} characters.");
        }
        else if (hook.Kind == HookKind.Webhook)
        {
            CheckWebhookUrl(problems, hook.Target, rules);
        }
        else if (!rules.AllowedExecutables.Contains(hook.Target, StringComparer.Ordinal))
        {
            problems.Add(rules.AllowedExecutables.Count == 0
                ? "target: process hooks are not enabled on this deployment (no executables are allow-listed)."
                : $"target: '{hook.Target}' is not an allow-listed executable; allowed: {string.Join(", ", rules.AllowedExecutables.Order(StringComparer.Ordinal))}.");
        }

        if (hook.Timeout < HookBounds.MinTimeout || hook.Timeout > HookBounds.MaxTimeout)
        {
            problems.Add($"timeout must be between {Ms(HookBounds.MinTimeout)} and {Ms(HookBounds.MaxTimeout)} (was {Ms(hook.Timeout)}).");
        }

        CheckRetry(problems, hook.Retry);

        if (hook.Priority < HookBounds.MinPriority || hook.Priority > HookBounds.MaxPriority)
        {
            problems.Add($"priority must be between {HookBounds.MinPriority} and {HookBounds.MaxPriority}.");
        }

        if (!Enum.IsDefined(hook.FailureMode))
        {
            problems.Add("failureMode must be open or closed.");
        }

        return problems;
    }

    private static void CheckRetry(List<string> problems, HookRetryPolicy? retry)
    {
        if (retry is null)
        {
            problems.Add("retry is missing.");
            return;
        }

        if (retry.MaxAttempts is < HookBounds.MinAttempts or > HookBounds.MaxAttempts)
        {
            problems.Add($"retry.maxAttempts must be between {HookBounds.MinAttempts} and {HookBounds.MaxAttempts} (was {retry.MaxAttempts}).");
        }

        if (retry.FirstInterval < HookBounds.MinFirstInterval || retry.FirstInterval > HookBounds.MaxFirstInterval)
        {
            problems.Add($"retry.firstInterval must be between {Ms(HookBounds.MinFirstInterval)} and {Ms(HookBounds.MaxFirstInterval)}.");
        }

        if (!double.IsFinite(retry.BackoffCoefficient)
            || retry.BackoffCoefficient < HookBounds.MinBackoffCoefficient || retry.BackoffCoefficient > HookBounds.MaxBackoffCoefficient)
        {
            problems.Add($"retry.backoffCoefficient must be between {HookBounds.MinBackoffCoefficient:0.0} and {HookBounds.MaxBackoffCoefficient:0.0}.");
        }

        if (retry.MaxInterval < retry.FirstInterval || retry.MaxInterval > HookBounds.MaxMaxInterval)
        {
            problems.Add($"retry.maxInterval must be at least retry.firstInterval and at most {Ms(HookBounds.MaxMaxInterval)}.");
        }
    }

    private static void CheckWebhookUrl(List<string> problems, string target, HookValidationRules rules)
    {
        if (!Uri.TryCreate(target, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            problems.Add("target must be an absolute https URL.");
            return;
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            problems.Add("target must not carry credentials in the URL; the request is signed with the merchant's secret instead.");
        }

        if (!string.IsNullOrEmpty(url.Fragment))
        {
            problems.Add("target must not have a #fragment.");
        }

        var loopback = IsLoopback(url);
        if (loopback && !rules.AllowLoopbackHttp)
        {
            problems.Add("target: loopback addresses are accepted only in development.");
        }
        else if (url.Scheme != Uri.UriSchemeHttps && !loopback)
        {
            problems.Add("target must use https (plain http is accepted only for loopback in development).");
        }

        if (!loopback && IPAddress.TryParse(url.IdnHost, out var ip) && HookAddresses.IsPrivate(ip))
        {
            // A hook is the merchant's server on the internet; private and link-local addresses (the cloud's
            // metadata endpoint among them) would let a registration reach inside our own network.
            problems.Add($"target: {ip} is a private or link-local address; register a public host name.");
        }
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var ip) && IPAddress.IsLoopback(ip));

    private static void CheckId(List<string> problems, string field, string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            problems.Add($"{field} is missing.");
        }
        else if (id.Length > HookBounds.MaxIdLength || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            problems.Add($"{field} must be 1–{HookBounds.MaxIdLength} characters of letters, digits, '-', '_' or '.'.");
        }
    }

    private static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms";
}

/// <summary>Which addresses a webhook may reach outside development (checked on registration and again at connect time,
/// since a public name can resolve to a private address).</summary>
public static class HookAddresses
{
    /// <summary>Private, link-local (the cloud metadata endpoint), carrier-grade NAT, unspecified or unique-local.</summary>
    public static bool IsPrivate(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }

        if (ip.IsIPv6LinkLocal || ip.IsIPv6SiteLocal || ip.IsIPv6UniqueLocal || ip.Equals(IPAddress.IPv6Any))
        {
            return true;
        }

        var b = ip.GetAddressBytes();
        return b.Length == 4 && (b[0] == 10 || b[0] == 0 || (b[0] == 172 && b[1] is >= 16 and <= 31) || (b[0] == 192 && b[1] == 168)
            || (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] is >= 64 and <= 127));
    }

    /// <summary>Whether a production webhook may connect to this address.</summary>
    public static bool IsPublic(IPAddress ip)
    {
        ArgumentNullException.ThrowIfNull(ip);
        var v = ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
        return !IPAddress.IsLoopback(v) && !IsPrivate(v);
    }
}
