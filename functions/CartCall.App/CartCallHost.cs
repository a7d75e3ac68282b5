namespace CartCall.App;

/// <summary>Composition root: every feature adds its services and maps its functions here.</summary>
public static class CartCallHost
{
    public static WebApplicationBuilder AddCartCall(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    public static WebApplication MapCartCall(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
