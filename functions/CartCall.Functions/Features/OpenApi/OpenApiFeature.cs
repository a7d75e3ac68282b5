using CartCall.Functions.Hosting;
using Microsoft.OpenApi;

namespace CartCall.Functions.Features.OpenApi;

/// <summary><c>GET /api/openapi.json</c>: the OpenAPI document, generated from the endpoints themselves.</summary>
public static class OpenApiFeature
{
    public const string Name = "GetOpenApiDocument";

    public static IServiceCollection AddCartCallOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "CartCall",
                Version = "v1",
                Description = "Cart activity in; scored, economically justified offers of a voice call out. " +
                    "Storefront webhooks are signed: CartCall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"t.body\">.",
            };
            return Task.CompletedTask;
        }));
        return services;
    }

    public static IEndpointRouteBuilder MapCartCallOpenApi(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi("/api/openapi.json").AsFunction(Name).ExcludeFromDescription();
        return app;
    }
}
