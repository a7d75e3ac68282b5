using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CartCall.Functions.Features.Push;

public static class PushFeature
{
    public static IServiceCollection AddPush(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddWebPubSub(configuration);
        services.AddSingleton<TableWidgetSessionStore>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOfferNotifier, WebPubSubOfferNotifier>());
        return services;
    }

    public static IEndpointRouteBuilder MapPush(this IEndpointRouteBuilder app)
    {
        const string route = "/api/merchants/{merchantId}/sessions/{sessionId}/push";
        app.MapPost(route, NegotiatePush.HandleAsync).WithWidgetAuth().AsFunction(NegotiatePush.Name).WithTags("Widget")
            .Produces<PushNegotiation>().ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);
        app.MapMerchantPreflight(route, NegotiatePush.Name);
        return app;
    }
}
