using CartCall.Functions.Adapters.EventGrid;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.AgentWorkspace;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Features.BrowserEvents;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Experiments;
using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Learning;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Features.Push;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Storage;
using Microsoft.Azure.Functions.Worker.Builder;

namespace CartCall.Functions;

/// <summary>Composition root: CartCall's services, options and worker middleware, added to the Functions worker.</summary>
public static class CartCallApp
{
    public static FunctionsApplicationBuilder AddCartCall(this FunctionsApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;

        // Cross-cutting concerns, outermost first: whatever escapes a function becomes problem details; a failed
        // dependency a 503; then the storefront gate (CORS, publishable key) and the admin key.
        builder.UseMiddleware<ProblemDetailsMiddleware>();
        builder.UseMiddleware<DependencyFailureMiddleware>();
        builder.UseMiddleware<MerchantCorsMiddleware>();
        builder.UseMiddleware<AdminKeyMiddleware>();

        services.AddSingleton(TimeProvider.System);
        services.AddCartCallTelemetry(configuration);
        services.ConfigureHttpJsonOptions(o => AppJson.Configure(o.SerializerOptions));

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<CartSessionOptions>().BindConfiguration(CartSessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EventGridOptions>().BindConfiguration(EventGridOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EventGridPublisher>();

        services.AddOptions<CacheOptions>().BindConfiguration(CacheOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OptimisticConcurrencyOptions>().BindConfiguration(OptimisticConcurrencyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<OptimisticConcurrency>();
        services.AddSingleton<StorageClients>();
        services.AddHostedService<StorageBootstrap>();

        services.AddMerchants();
        services.AddAgents();
        services.AddAgentWorkspace();
        services.AddSessions();
        services.AddOffers();
        services.AddExperiments();
        services.AddLearning();
        services.AddPreferences();
        services.AddPush(configuration);
        services.AddBrowserEvents();
        services.AddCartCallOpenApi();
        services.AddCalls(configuration);
        services.AddBilling(configuration);
        services.AddHooks(configuration);
        return builder;
    }
}
