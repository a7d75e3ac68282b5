using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Adapters.WebPubSub;
using CartCall.Functions.Features.AgentConsole;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
        services.AddSingleton<EventGridCallPublisher>();
        services.AddSingleton<CallFlowRunner>();
        services.AddSingleton<BodyPreferencesSource>();
        services.TryAddSingleton<IShopperPreferencesSource, CookiePreferencesSource>();
        services.AddSingleton<IQueueFunction, PlaceCall>();
        return services;
    }

    public static IEndpointRouteBuilder MapCalls(this IEndpointRouteBuilder app)
    {
        const string accept = "/api/offers/{offerId}/accept";
        app.MapPost(accept, AcceptOffer.HandleAsync).WithWidgetAuth().AsFunction(AcceptOffer.Name).WithTags("Calls")
            .Accepts<AcceptOfferRequest>("application/json").Produces<AcceptOfferResponse>(202)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(403).ProducesProblem(404).ProducesProblem(409).ProducesProblem(415).ProducesProblem(429);
        app.MapMerchantPreflight(accept, AcceptOffer.Name);

        // The route names a call, not a merchant: the handlers find the merchant through the call for CORS and the key.
        const string status = "/api/calls/{callId}";
        app.MapGet(status, GetCallStatus.HandleAsync).AsFunction(GetCallStatus.Name).WithTags("Calls")
            .Produces<CallStatusView>().ProducesProblem(401).ProducesProblem(403).ProducesProblem(404);
        app.MapMethods(status, [HttpMethods.Options], GetCallStatus.PreflightAsync).AsFunction(GetCallStatus.Name, GetCallStatus.Name + "Preflight")
            .ExcludeFromDescription();
        app.MapPost("/api/calls/{callId}/events", HandleCallEvent.HandleAsync).AsFunction(HandleCallEvent.Name).WithTags("Calls")
            .ExcludeFromDescription();

        var admin = app.MapGroup("/api/merchants/{merchantId}").AddEndpointFilter<AdminKeyFilter>().WithTags("Agent console");
        admin.MapGet("/calls", ListMerchantCalls.HandleAsync).AsFunction(ListMerchantCalls.Name).ProducesProblem(400).ProducesProblem(401).ProducesProblem(404);
        admin.MapPost("/agents/push", NegotiateAgentPush.HandleAsync).AsFunction(NegotiateAgentPush.Name).ProducesProblem(401).ProducesProblem(404);
        app.MapGet("/api/agents/console", ServeAgentConsole.Handle).AsFunction(ServeAgentConsole.Name).WithTags("Agent console").ExcludeFromDescription();
        return app;
    }
}
