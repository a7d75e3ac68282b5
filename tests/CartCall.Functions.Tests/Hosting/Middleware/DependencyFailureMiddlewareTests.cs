using System.Text.Json.Nodes;
using Azure;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting.Middleware;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCall.Functions.Tests.Hosting.Middleware;

public sealed class DependencyFailureMiddlewareTests
{
    private static async Task<(int Status, JsonNode? Body, string RetryAfter)> AnswerAsync(Exception e)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        var answer = DependencyFailureMiddleware.Map(e, http, "Test", NullLogger.Instance);
        if (answer is null)
        {
            return (0, null, "");
        }

        await answer.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, await JsonNode.ParseAsync(http.Response.Body), http.Response.Headers.RetryAfter.ToString());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task TransientStorageFailure_Is503WithRetryAfter(int status)
    {
        var (code, body, retryAfter) = await AnswerAsync(new RequestFailedException(status, "boom"));

        Assert.Equal(503, code);
        Assert.Equal("1", retryAfter);
        Assert.Contains("retry", body!["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    public async Task DependencyRefusingCartCall_IsAConfigurationError_NotARetry(int status)
    {
        var (code, body, retryAfter) = await AnswerAsync(new RequestFailedException(status, "refused"));

        Assert.Equal(500, code);
        Assert.Equal("", retryAfter);
        Assert.Equal("https://cartcall.dev/problems/server-error", body!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task ExhaustedConnectionRetries_ReportedAsAggregate_Are503()
    {
        var (code, _, _) = await AnswerAsync(new AggregateException(new HttpRequestException("refused"), new HttpRequestException("refused")));

        Assert.Equal(503, code);
    }

    [Fact]
    public async Task ContendedSession_Is503()
    {
        var (code, body, _) = await AnswerAsync(new SessionConflictException("busy"));

        Assert.Equal(503, code);
        Assert.Contains("session", body!["detail"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task AnythingElse_IsNotItsBusiness()
    {
        var (code, _, _) = await AnswerAsync(new InvalidOperationException("a bug"));

        Assert.Equal(0, code);
    }

    [Fact]
    public async Task NonHttpFunction_KeepsItsException_SoTheHostRetries()
    {
        var context = WorkerContexts.For("queueTrigger");
        var middleware = new DependencyFailureMiddleware(NullLogger<DependencyFailureMiddleware>.Instance);

        await Assert.ThrowsAsync<RequestFailedException>(() => middleware.Invoke(context.Object, _ => throw new RequestFailedException(503, "down")));
    }

    [Fact]
    public async Task ProblemDetails_LeavesNonHttpFunctionsExceptionsAlone()
    {
        var context = WorkerContexts.For("activityTrigger");
        var middleware = new ProblemDetailsMiddleware(NullLogger<ProblemDetailsMiddleware>.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() => middleware.Invoke(context.Object, _ => throw new InvalidOperationException("x")));
    }
}
