using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Adapters.WebPubSub;

namespace CartCall.Functions.Features.Calls;

/// <summary>Issue 4: accept → PlaceCall → ACS callbacks → agent; call status; the agent console.</summary>
public static class CallsFeature
{
    public static IServiceCollection AddCalls(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallsOptions>().BindConfiguration(CallsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddAcs(configuration);
        services.AddWebPubSub(configuration);
        services.AddSingleton<TableCallStore>();
        services.AddSingleton<CallCounters>();
        services.AddSingleton<CallQueue>();
        services.AddSingleton<CallbackUrls>();
        services.AddSingleton<CallStatusNotifier>();
        services.AddSingleton<CallFlowRunner>();
        services.AddSingleton<AcceptOfferService>();
        return services;
    }
}
