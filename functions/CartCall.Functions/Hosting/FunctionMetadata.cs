namespace CartCall.Functions.Hosting;

/// <summary>
/// Names the Azure Function an endpoint belongs to (its folder under functions/Definitions). Every endpoint
/// carries one, which is how a test proves the function.json folders and the served routes agree.
/// </summary>
public sealed record FunctionMetadata(string Name);

public static class FunctionMetadataExtensions
{
    /// <summary>Marks the endpoint as (part of) the function <paramref name="name"/>.</summary>
    public static TBuilder AsFunction<TBuilder>(this TBuilder builder, string name, string? endpointName = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WithMetadata(new FunctionMetadata(name));
        return builder.WithName(endpointName ?? name);
    }
}
