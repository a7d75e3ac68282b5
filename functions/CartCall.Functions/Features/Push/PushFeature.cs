using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.Offers;
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
}
