using Azure;
using CartCall.Functions.Features.Agents;
using CartCall.Functions.Features.BrowserEvents;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Health;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Offers;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Features.Push;
using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Features.Widget;
using CartCall.Functions.Hosting;
using CartCall.Functions.Storage;
using Microsoft.AspNetCore.Diagnostics;

namespace CartCall.Functions;

/// <summary>Composition root: every feature adds its services and maps its functions here.</summary>
public static class CartCallHost
{
    public static WebApplicationBuilder AddCartCall(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        // Under the Functions host the handler must listen where the host says.
        if (Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT") is { Length: > 0 } port)
        {
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        }

        services.AddSingleton(TimeProvider.System);
        // Answers the framework writes itself (routing's 404/405/415) still say what is wrong.
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c => c.ProblemDetails.Detail ??= c.ProblemDetails.Status switch
        {
            StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
            StatusCodes.Status405MethodNotAllowed => $"{c.HttpContext.Request.Method} is not allowed on {c.HttpContext.Request.Path}.",
            StatusCodes.Status404NotFound => $"Nothing is served at {c.HttpContext.Request.Path}.",
            _ => null,
        });
        services.ConfigureHttpJsonOptions(o => AppJson.Configure(o.SerializerOptions));

        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<HostingOptions>().BindConfiguration(HostingOptions.Section);
        services.AddOptions<CartSessionOptions>().BindConfiguration(CartSessionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<EventGridOptions>().BindConfiguration(EventGridOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<StorageClients>();
        services.AddHostedService<StorageBootstrap>();
        services.AddSingleton<AdminKeyFilter>();

        services.AddMerchants();
        services.AddAgents();
        services.AddSingleton<TableOfferCounters>();
        services.AddSingleton<TableOfferStore>();
        services.AddSingleton<EventGridOfferPublisher>();
        services.AddSingleton<SessionCache>(_ => new SessionCache());
        services.AddSingleton<ISessionStore, TableSessionStore>();
        services.AddSingleton<ReevaluationQueue>();
        services.AddSingleton<SessionEvaluator>();
        services.AddSingleton<IQueueFunction, ReevaluateSession>();
        services.AddSingleton<OfferOutbox>();
        services.AddSingleton<IQueueFunction, PublishOffer>();
        services.AddPreferences();
        services.AddPush(builder.Configuration);
        services.AddBrowserEvents();
        services.AddCartCallOpenApi();
        services.AddCalls(builder.Configuration);

        var hosting = builder.Configuration.GetSection(HostingOptions.Section).Get<HostingOptions>() ?? new HostingOptions();
        if (hosting.LocalQueueTriggers ?? !HostingOptions.UnderFunctionsHost)
        {
            services.AddHostedService<LocalQueueTriggerService>();
        }

        return builder;
    }

    public static WebApplication MapCartCall(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteDependencyFailureAsync });
        app.UseStatusCodePages();

        app.MapMerchants();
        app.MapAgents();
        app.MapCalls();

        var events = app.MapGroup("/api/merchants/{merchantId}").WithTags("Cart events");
        events.MapPost("/cart-events", ReceiveCartEvent.HandleAsync).AsFunction(ReceiveCartEvent.Name)
            .Accepts<CartEventMessage>("application/json").Produces<CartEventAccepted>(202)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415);
        events.MapPost("/shopify", ReceiveShopifyWebhook.HandleAsync).AsFunction(ReceiveShopifyWebhook.Name)
            .Accepts<ShopifyCheckout>("application/json").Produces<CartEventAccepted>(202)
            .ProducesProblem(400).ProducesProblem(401).ProducesProblem(404).ProducesProblem(413).ProducesProblem(415);

        app.MapGet("/api/merchants/{merchantId}/sessions/{sessionId}/decisions", ListSessionDecisions.HandleAsync)
            .AddEndpointFilter<AdminKeyFilter>().AsFunction(ListSessionDecisions.Name).WithTags("Sessions").Produces<DecisionLog>();

        app.MapMethods("/api/offers/deliveries", ["OPTIONS"], DeliverOffer.Handshake).AsFunction(DeliverOffer.Name, DeliverOffer.Name + "Handshake").ExcludeFromDescription();
        app.MapPost("/api/offers/deliveries", DeliverOffer.HandleAsync).AsFunction(DeliverOffer.Name).WithTags("Offers").ExcludeFromDescription();

        app.MapPreferences();
        app.MapPush();
        app.MapWidgetOffers();
        app.MapBrowserEvents();
        app.MapGet("/api/widget.js", ServeWidget.Handle).AsFunction(ServeWidget.Name).WithTags("Widget")
            .Produces(200, contentType: "application/javascript").Produces(304);

        app.MapGet("/api/health", GetHealth.HandleAsync).AsFunction(GetHealth.Name).WithTags("Operations").Produces<HealthReport>().Produces<HealthReport>(503);
        app.MapCartCallOpenApi();
        app.MapQueueFunctions();
        return app;
    }

    // A dependency that fails (storage, Event Grid) is the caller's cue to retry: 503, never a bare 500.
    private static async Task WriteDependencyFailureAsync(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        var (status, detail) = error switch
        {
            SessionConflictException => (StatusCodes.Status503ServiceUnavailable, "The session is being updated by many events at once; retry the request."),
            RequestFailedException e => (StatusCodes.Status503ServiceUnavailable, $"A storage or messaging call failed ({e.Status} {e.ErrorCode}); retry the request."),
            { } e when DependencyFailures.IsTransient(e) => (StatusCodes.Status503ServiceUnavailable, "A dependency could not be reached; retry the request."),
            OperationCanceledException => (StatusCodes.Status503ServiceUnavailable, "The request was cancelled before it completed; retry it."),
            BadHttpRequestException b => (b.StatusCode, b.Message),
            _ => (StatusCodes.Status500InternalServerError, "An unexpected error occurred."),
        };
        context.Response.StatusCode = status;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        await Results.Problem(detail, statusCode: status).ExecuteAsync(context).ConfigureAwait(false);
    }
}
