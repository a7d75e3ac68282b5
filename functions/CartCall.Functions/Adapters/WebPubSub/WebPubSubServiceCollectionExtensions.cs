using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Adapters.WebPubSub;

public static class WebPubSubServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="WebPubSubOptions"/> from the <c>WebPubSub</c> section (validated at start-up) and one shared
    /// <see cref="WebPubSubRestClient"/>. Settings: <c>WebPubSub:ConnectionString</c> (or <c>Endpoint</c> + <c>AccessKey</c>), <c>WebPubSub:Hub</c>.
    /// </summary>
    public static IServiceCollection AddWebPubSub(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<WebPubSubOptions>()
            .Bind(configuration.GetSection(WebPubSubOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebPubSubOptions>, WebPubSubOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new WebPubSubRestClient(
            sp.GetRequiredService<IOptions<WebPubSubOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }
}
