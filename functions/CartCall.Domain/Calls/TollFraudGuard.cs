using CartCall.Domain.Preferences;

namespace CartCall.Domain.Calls;

/// <param name="AllowedCountries">ISO 3166 region codes the merchant will dial (e.g. GB, DE).</param>
public sealed record TollFraudSettings(
    IReadOnlyList<string> AllowedCountries,
    int MaxCallsPerNumberPerHour,
    int MaxCallsPerSessionPerHour,
    int MaxCallsPerClientAddressPerHour)
{
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (AllowedCountries is null)
        {
            problems.Add("allowedCountries is missing.");
        }
        else
        {
            foreach (var country in AllowedCountries)
            {
                if (country is not { Length: 2 } || !char.IsAsciiLetter(country[0]) || !char.IsAsciiLetter(country[1]))
                {
                    problems.Add($"allowedCountries entry '{country}' is not a two-letter ISO region code.");
                }
            }
        }

        if (MaxCallsPerNumberPerHour < 0 || MaxCallsPerSessionPerHour < 0 || MaxCallsPerClientAddressPerHour < 0)
        {
            problems.Add("Per-hour call limits must not be negative.");
        }

        return problems;
    }
}

/// <summary>Calls already placed in the last hour, counted by the app.</summary>
public sealed record TollFraudCounters(int CallsToNumberLastHour, int CallsForSessionLastHour, int CallsFromAddressLastHour);

/// <summary>
/// Stops CartCall being used to pump calls: only ordinary numbers, only allowed countries, and rate limits per
/// number, session and client address.
/// </summary>
public static class TollFraudGuard
{
    /// <param name="number">The checked number for a phone call; null for a browser call (only counters apply).</param>
    /// <returns>Why the call is refused; empty means allowed.</returns>
    public static IReadOnlyList<string> Check(PhoneCheck? number, TollFraudSettings s, TollFraudCounters c)
    {
        ArgumentNullException.ThrowIfNull(s);
        ArgumentNullException.ThrowIfNull(c);
        var problems = new List<string>();

        if (number is not null)
        {
            if (!number.Ok)
            {
                problems.Add(number.Problem ?? "The phone number was refused.");
            }
            else if (number.NumberType is { } type && Preferences.PhoneNumbers.RefusedTypes.Contains(type))
            {
                // Belt and braces: a PhoneCheck built elsewhere must not smuggle in a premium-rate number.
                problems.Add($"{number.E164} is a {type} number; we do not place calls to those.");
            }

            if (!IsAllowedCountry(number.RegionCode, s.AllowedCountries))
            {
                problems.Add($"Calls to region '{number.RegionCode ?? "unknown"}' are not allowed for this merchant.");
            }

            if (c.CallsToNumberLastHour >= s.MaxCallsPerNumberPerHour)
            {
                problems.Add($"This number has had {c.CallsToNumberLastHour} call(s) in the last hour (limit {s.MaxCallsPerNumberPerHour}).");
            }
        }

        if (c.CallsForSessionLastHour >= s.MaxCallsPerSessionPerHour)
        {
            problems.Add($"This session has had {c.CallsForSessionLastHour} call(s) in the last hour (limit {s.MaxCallsPerSessionPerHour}).");
        }

        if (c.CallsFromAddressLastHour >= s.MaxCallsPerClientAddressPerHour)
        {
            problems.Add($"This client address has requested {c.CallsFromAddressLastHour} call(s) in the last hour (limit {s.MaxCallsPerClientAddressPerHour}).");
        }

        return problems;
    }

    private static bool IsAllowedCountry(string? region, IReadOnlyList<string>? allowed)
    {
        if (region is null || allowed is null)
        {
            return false;
        }

        foreach (var country in allowed)
        {
            if (string.Equals(country, region, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
