using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CartCall.Functions.Hosting;

/// <summary>
/// Reads a JSON body with our own checks so that every failure (content type, size, syntax, shape) is a problem
/// that says exactly what is wrong, rather than the framework's bare 400.
/// </summary>
public static class JsonBody
{
    public static async Task<(T? Value, byte[]? Raw, ProblemHttpResult? Problem)> ReadAsync<T>(
        HttpRequest request, int limit, CancellationToken cancellationToken)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!RequestBody.IsJson(request))
        {
            return (null, null, Problems.UnsupportedMediaType("application/json"));
        }

        var (raw, tooLarge) = await RequestBody.ReadAsync(request, limit, cancellationToken).ConfigureAwait(false);
        if (tooLarge is not null)
        {
            return (null, null, tooLarge);
        }

        var (value, problem) = Parse<T>(raw!);
        return (value, raw, problem);
    }

    public static (T? Value, ProblemHttpResult? Problem) Parse<T>(ReadOnlySpan<byte> raw)
        where T : class
    {
        if (raw.IsEmpty)
        {
            return (null, Problems.BadRequest("The body is empty; send a JSON document."));
        }

        try
        {
            var value = JsonSerializer.Deserialize<T>(raw, AppJson.Options);
            return value is null
                ? (null, Problems.BadRequest("The body is JSON null; send a JSON object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is null ? "" : $" at {e.Path}";
            return (null, Problems.BadRequest($"The body is not valid JSON for this request{where}: {FirstSentence(e.Message)}"));
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }
}
