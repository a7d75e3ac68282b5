using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>
/// Error responses: an RFC 7807 problem document that also carries the service's <c>ErrorDetail</c> members
/// (<c>code</c>, <c>message</c>), plus the <c>x-ms-error-code</c> header Azure SDKs read.
/// </summary>
internal static class StandInProblem
{
    public static async Task WriteAsync(HttpContext context, int status, string code, string detail)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return;
        }

        response.StatusCode = status;
        response.Headers["x-ms-error-code"] = code;
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        response.ContentType = "application/problem+json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "about:blank");
            writer.WriteString("title", TitleFor(status));
            writer.WriteNumber("status", status);
            writer.WriteString("detail", detail);
            writer.WriteString("instance", context.Request.Path.Value);
            writer.WriteString("code", code);
            writer.WriteString("message", detail);
            writer.WriteEndObject();
        }

        await response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
    }

    private static string TitleFor(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        _ => "Error",
    };
}
