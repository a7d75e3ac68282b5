using System.Globalization;

namespace CartCall.Functions.Hosting;

/// <summary>Query values read by hand, so a malformed one is a 400 that names it, never an exception.</summary>
public static class Query
{
    public static string? Text(HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        var value = request.Query[name];
        return value.Count == 0 ? null : value.ToString();
    }

    /// <summary>An optional whole number: absent is null; present and not a whole number is a problem naming it.</summary>
    public static (int? Value, IResult? Problem) OptionalInt(HttpRequest request, string name)
    {
        var text = Text(request, name);
        if (text is null)
        {
            return (null, null);
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? (value, null)
            : (null, Problems.BadRequest($"The query value {name} must be a whole number, not '{Truncate(text)}'."));
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
