using System.Buffers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CartCall.Functions.Hosting;

/// <summary>Reads a webhook body as raw bytes (signatures are over the exact bytes) with a hard size limit.</summary>
public static class RequestBody
{
    /// <summary>Cart webhooks are small; anything larger is refused before it is parsed.</summary>
    public const int MaxBytes = 256 * 1024;

    public static bool IsJson(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var type = request.ContentType;
        if (string.IsNullOrEmpty(type))
        {
            return false;
        }

        var media = type.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (media.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && media.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; a longer body yields a 413 problem instead.</summary>
    public static async Task<(byte[]? Body, ProblemHttpResult? Problem)> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ContentLength is long declared && declared > limit)
        {
            return (null, Problems.PayloadTooLarge(limit));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(limit + 1, 16 * 1024));
        try
        {
            using var collected = new MemoryStream();
            int read;
            while ((read = await request.Body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (collected.Length + read > limit)
                {
                    return (null, Problems.PayloadTooLarge(limit));
                }

                collected.Write(buffer, 0, read);
            }

            return (collected.ToArray(), null);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
