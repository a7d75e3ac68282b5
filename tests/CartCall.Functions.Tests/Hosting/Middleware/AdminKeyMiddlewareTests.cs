using System.Text.Json.Nodes;
using CartCall.Functions.Hosting.Middleware;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Hosting.Middleware;

public sealed class AdminKeyMiddlewareTests
{
    private const string Key = "the-operators-admin-key";

    private static async Task<(int Status, string Detail)> Run(IResult result)
    {
        var http = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        http.Response.Body = new MemoryStream();
        await result.ExecuteAsync(http);
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, (await JsonNode.ParseAsync(http.Response.Body))!["detail"]!.GetValue<string>());
    }

    [Fact]
    public void TheRightKey_IsLetThrough() => Assert.Null(AdminKeyMiddleware.Check(Key, Key));

    [Fact]
    public async Task NoKey_Is401SayingWhereToSendIt()
    {
        var (status, detail) = await Run(AdminKeyMiddleware.Check("", Key)!);

        Assert.Equal(401, status);
        Assert.Contains(AdminKeyMiddleware.Header, detail);
    }

    [Theory]
    [InlineData("the-operators-admin-kez")]
    [InlineData("the-operators-admin-key ")]
    [InlineData("THE-OPERATORS-ADMIN-KEY")]
    public async Task AWrongKey_Is401(string presented)
    {
        var (status, _) = await Run(AdminKeyMiddleware.Check(presented, Key)!);

        Assert.Equal(401, status);
    }

    [Fact]
    public async Task FunctionsThatAreNotAdmin_AreNotAsked()
    {
        var context = WorkerContexts.For("httpTrigger", "CartCall.Functions.Features.Health.GetHealth.RunAsync");
        var middleware = new AdminKeyMiddleware(Options.Create(new AdminOptions { Key = Key }));
        var called = false;

        await middleware.Invoke(context.Object, _ =>
        {
            called = true;
            return Task.CompletedTask;
        });

        Assert.True(called);
    }
}
