using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Adapters.WebPubSub;

namespace CartCall.Functions.Features.Calls;

/// <summary>Calls: accept → the call's orchestration (dial, ACS callbacks as events, agents, the end) → call status; the agent console.</summary>
public static class CallsFeature
{
    public static IServiceCollection AddCalls(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CallsOptions>().BindConfiguration(CallsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CallingOptions>().BindConfiguration(CallingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<BrowserCalling>();
        services.AddAcs(configuration);
        services.AddWebPubSub(configuration);
        services.AddSingleton<TableCallStore>();
        services.AddSingleton<CallCounters>();
        services.AddSingleton<CallbackUrls>();
        services.AddSingleton<CallStatusNotifier>();
        services.AddSingleton<CallDialer>();
        services.AddSingleton<AgentRouter>();
        services.AddSingleton<StartedCalls>();
        services.AddSingleton<DurableCallStarters>();
        services.AddSingleton<AcceptOfferService>();
        services.AddSingleton<Hooks.IHookEventSource, CallHookEvents>();
        return services;
    }
}
