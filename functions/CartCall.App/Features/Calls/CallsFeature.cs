using CartCall.App.Adapters.Acs;
using CartCall.App.Adapters.WebPubSub;
using CartCall.App.Features.AgentConsole;
using CartCall.App.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CartCall.App.Features.Calls;

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
        services.AddSingleton<EventGridCallPublisher>();
        services.AddSingleton<CallFlowRunner>();
        // The widget branch's cookie-backed source replaces this when merged.
        services.TryAddSingleton<IShopperPreferencesSource, BodyPreferencesSource>();
        services.AddSingleton<IQueueFunction, PlaceCall>();
        return services;
    }

    public static IEndpointRouteBuilder MapCalls(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/offers/{offerId}/accept", AcceptOffer.HandleAsync).AsFunction(AcceptOffer.Name).WithTags("Calls")
            .Accepts<AcceptOfferRequest>("application/json").Produces<AcceptOfferResponse>(202)
            .ProducesProblem(400).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415).ProducesProblem(429);
        app.MapGet("/api/calls/{callId}", GetCallStatus.HandleAsync).AsFunction(GetCallStatus.Name).WithTags("Calls")
            .Produces<CallStatusView>().ProducesProblem(404);
        app.MapPost("/api/calls/{callId}/events", HandleCallEvent.HandleAsync).AsFunction(HandleCallEvent.Name).WithTags("Calls")
            .ExcludeFromDescription();

        var admin = app.MapGroup("/api/merchants/{merchantId}").AddEndpointFilter<AdminKeyFilter>().WithTags("Agent console");
        admin.MapGet("/calls", ListMerchantCalls.HandleAsync).AsFunction(ListMerchantCalls.Name).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404);
        admin.MapPost("/agents/push", NegotiateAgentPush.HandleAsync).AsFunction(NegotiateAgentPush.Name).ProducesProblem(401).ProducesProblem(404);
        app.MapGet("/api/agents/console", ServeAgentConsole.Handle).AsFunction(ServeAgentConsole.Name).WithTags("Agent console").ExcludeFromDescription();
        return app;
    }
}
