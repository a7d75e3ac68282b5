using System.Text.Json.Nodes;
using CartCall.Functions.Features.OpenApi;

namespace CartCall.Functions.Tests.Hosting;

public sealed class OpenApiBuilderTests
{
    [Fact]
    public void Document_BuildsFromTheAssembly_WithSchemasForEveryReferencedType()
    {
        var document = OpenApiDocument.Build(typeof(CartCallApp).Assembly);

        var schemas = document["components"]!["schemas"]!.AsObject();
        var refs = document.ToJsonString().Split("\"$ref\":\"#/components/schemas/").Skip(1).Select(r => r[..r.IndexOf('"')]).Distinct().ToList();
        Assert.NotEmpty(refs);
        Assert.All(refs, r => Assert.True(schemas.ContainsKey(r), $"{r} is referenced but has no schema"));
        Assert.Equal("object", schemas["Merchant"]!["type"] is JsonArray types ? types[0]!.GetValue<string>() : schemas["Merchant"]!["type"]!.GetValue<string>());
        Assert.NotNull(schemas["Merchant"]!["properties"]!["signingSecrets"]);
    }
}
