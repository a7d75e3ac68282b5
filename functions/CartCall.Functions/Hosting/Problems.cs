using Microsoft.AspNetCore.Http.HttpResults;

namespace CartCall.Functions.Hosting;

/// <summary>RFC 7807 answers that say what is wrong. Every 4xx the app gives goes through here.</summary>
public static class Problems
{
    private const string TypeBase = "https://cartcall.dev/problems/";

    public static ProblemHttpResult BadRequest(string detail, IReadOnlyList<string>? errors = null) =>
        Make(StatusCodes.Status400BadRequest, "invalid-request", "The request is not valid.", detail, errors);

    public static ProblemHttpResult Unauthorized(string detail) =>
        Make(StatusCodes.Status401Unauthorized, "unauthorized", "The request is not authenticated.", detail);

    public static ProblemHttpResult Forbidden(string detail) =>
        Make(StatusCodes.Status403Forbidden, "forbidden", "The request is not allowed.", detail);

    public static ProblemHttpResult NotFound(string detail) =>
        Make(StatusCodes.Status404NotFound, "not-found", "Not found.", detail);

    public static ProblemHttpResult Conflict(string detail) =>
        Make(StatusCodes.Status409Conflict, "conflict", "The request conflicts with the current state.", detail);

    public static ProblemHttpResult PayloadTooLarge(long limit) =>
        Make(StatusCodes.Status413PayloadTooLarge, "payload-too-large", "The body is too large.", $"The body must be at most {limit} bytes.");

    public static ProblemHttpResult UnsupportedMediaType(string expected) =>
        Make(StatusCodes.Status415UnsupportedMediaType, "unsupported-media-type", "Unsupported content type.", $"Send the body as {expected}.");

    public static ProblemHttpResult TooManyRequests(string detail) =>
        Make(StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests.", detail);

    public static ProblemHttpResult Unavailable(string detail) =>
        Make(StatusCodes.Status503ServiceUnavailable, "unavailable", "A dependency is unavailable; retry later.", detail);

    public static ProblemHttpResult ServerError(string detail) =>
        Make(StatusCodes.Status500InternalServerError, "server-error", "CartCall could not complete the request.", detail);

    /// <summary>402: the call needs the shopper's payment (or the card was refused); <paramref name="extensions"/> say how to pay.</summary>
    public static ProblemHttpResult PaymentRequired(string detail, IDictionary<string, object?> extensions) =>
        TypedResults.Problem(detail, type: TypeBase + "payment-required", title: "The call needs a payment.", statusCode: StatusCodes.Status402PaymentRequired, extensions: extensions);

    /// <summary>A problem for a status another component chose (e.g. Kestrel's 413 for a body over its limit).</summary>
    public static ProblemHttpResult Status(int status, string detail) =>
        Make(status, "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture), "The request was refused.", detail);

    private static ProblemHttpResult Make(int status, string slug, string title, string detail, IReadOnlyList<string>? errors = null)
    {
        var extensions = errors is { Count: > 0 } ? new Dictionary<string, object?> { ["errors"] = errors } : null;
        return TypedResults.Problem(detail, type: TypeBase + slug, title: title, statusCode: status, extensions: extensions);
    }
}
