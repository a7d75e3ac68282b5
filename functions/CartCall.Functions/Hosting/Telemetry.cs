using System.Diagnostics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace CartCall.Functions.Hosting;

/// <summary>
/// CartCall's traces: one <see cref="ActivitySource"/> named <c>CartCall</c>, its span names, and the attribute names
/// every span carries where it knows them. One trace runs from a cart event through its decision, the offer's publish
/// and delivery (the Event Grid hop carries W3C <c>traceparent</c> as a CloudEvent extension attribute) to the accept
/// and the call (the offer and the call keep the trace context they were made in, for the spans that come later).
/// </summary>
public static class Telemetry
{
    public const string SourceName = "CartCall";

    public const string MerchantId = "cartcall.merchant_id";
    public const string SessionId = "cartcall.session_id";
    public const string OfferId = "cartcall.offer_id";
    public const string CallId = "cartcall.call_id";

    /// <summary>Span names, one per step of the offer and call flow.</summary>
    public static class Spans
    {
        public const string CartEventIngest = "cart_event.ingest";
        public const string Decision = "offer.decide";
        public const string OfferPublish = "offer.publish";
        public const string OfferDelivery = "offer.deliver";
        public const string Accept = "call.accept";
        public const string PlaceCall = "call.place";
        public const string Callback = "call.callback";
    }

    /// <summary>The CloudEvents distributed-tracing extension attributes.</summary>
    public const string TraceParentAttribute = "traceparent";
    public const string TraceStateAttribute = "tracestate";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// Starts a span. With a stored <paramref name="traceParent"/> (an offer's or a call's), the span continues that trace
    /// and links to the one it was started in (the request's); otherwise it is a child of the current span.
    /// </summary>
    public static Activity? Start(string name, ActivityKind kind = ActivityKind.Internal, string? traceParent = null, string? traceState = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        if (traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent))
        {
            var links = Activity.Current is { } current ? new[] { new ActivityLink(current.Context) } : null;
            return Source.StartActivity(name, kind, parent, links: links);
        }

        return Source.StartActivity(name, kind);
    }

    /// <summary>The W3C <c>traceparent</c> of the current span, to keep with what it made (an offer, a call, an outbox message).</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>Links the current span to a stored trace context, where it is known only after the span started.</summary>
    public static void LinkTo(string? traceParent)
    {
        if (Activity.Current is { } current && traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var context))
        {
            current.AddLink(new ActivityLink(context));
        }
    }

    /// <summary>Sets the CartCall ids the span knows; null ones are left out.</summary>
    public static Activity? Ids(this Activity? activity, string? merchantId = null, string? sessionId = null, string? offerId = null, string? callId = null)
    {
        if (activity is null)
        {
            return null;
        }

        if (merchantId is not null) activity.SetTag(MerchantId, merchantId);
        if (sessionId is not null) activity.SetTag(SessionId, sessionId);
        if (offerId is not null) activity.SetTag(OfferId, offerId);
        if (callId is not null) activity.SetTag(CallId, callId);
        return activity;
    }

    /// <summary>Marks the span failed with the exception that ended it.</summary>
    public static void Failed(this Activity? activity, Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
        activity?.AddException(e);
    }

    /// <summary>
    /// OpenTelemetry through the Functions worker's package (its resource attributes and invocation spans), with the
    /// <c>CartCall</c> source. Where the traces go: Application Insights when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>
    /// is set (Azure; Entra ID auth when <c>APPLICATIONINSIGHTS_AUTHENTICATION_STRING</c> says <c>Authorization=AAD</c>);
    /// else OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; else the console only when
    /// <c>CartCall:Telemetry:Console</c> is true. Otherwise spans are made (they carry the trace across the Event Grid
    /// hop) but sent nowhere, which keeps tests quiet.
    /// </summary>
    public static void AddCartCallTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var appInsights = configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        var otlp = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var console = configuration.GetValue<bool>("CartCall:Telemetry:Console");

        var otel = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing =>
            {
                tracing.AddSource(SourceName);
                if (string.IsNullOrEmpty(appInsights))
                {
                    // Locally nothing upstream samples (the local host's trace context says "not sampled" by default):
                    // record every trace. In Azure the host's sampling decision, carried in the trace context, stands.
                    tracing.SetSampler(new AlwaysOnSampler());
                }

                if (console)
                {
                    tracing.AddConsoleExporter();
                }
            });

        if (!string.IsNullOrEmpty(appInsights))
        {
            var aad = configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]?.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase) == true;
            otel.UseAzureMonitorExporter(o =>
            {
                o.ConnectionString = appInsights;
                if (aad)
                {
                    // Local authentication is off on the Application Insights resource: the app's managed identity sends.
                    o.Credential = new DefaultAzureCredential();
                }
            });
        }
        else if (!string.IsNullOrEmpty(otlp))
        {
            otel.UseOtlpExporter();
        }
    }
}
