using CartCall.Functions.Features.OpenApi;

namespace CartCall.Functions.Features.Widget;

/// <summary>
/// The browser-call scripts, loaded only when a browser call is chosen (the base widget stays small):
/// <c>GET /api/widget-calling.js</c> (the calling adapters and the in-call panel, functions/widget/cartcall-calling.js),
/// <c>GET /api/agent-calling.js</c> (the agent's ringing and answering component, used by the agent workspace) and
/// <c>GET /api/widget-calling-acs.js</c> (the <c>acs</c> adapter's bundle of Microsoft's Calling SDK, built by esbuild
/// from the pinned npm package and copied beside the app by widget.targets).
/// </summary>
public sealed class ServeCallingScripts
{
    public const string CallingResource = "widget/cartcall-calling.js";
    public const string AgentResource = "widget/agent-calling.js";
    public const string SdkBundleFile = "widget/cartcall-calling-acs.js";

    private static readonly WidgetScript Calling = WidgetScript.Embedded(CallingResource);
    private static readonly WidgetScript Agent = WidgetScript.Embedded(AgentResource);
    private static readonly WidgetScript SdkBundle = WidgetScript.File(SdkBundleFile);

    [Function("ServeWidgetCalling")]
    [ApiTag("Widget")]
    [Response(200, null, "application/javascript")]
    [Response(304)]
    [Problems(404)]
    public IResult ServeCalling(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget-calling.js")] HttpRequest request) => Calling.Serve(request);

    [Function("ServeAgentCalling")]
    [ApiTag("Widget")]
    [Response(200, null, "application/javascript")]
    [Response(304)]
    [Problems(404)]
    public IResult ServeAgentCalling(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "agent-calling.js")] HttpRequest request) => Agent.Serve(request);

    [Function("ServeWidgetCallingSdk")]
    [ApiTag("Widget")]
    [Response(200, null, "application/javascript")]
    [Response(304)]
    [Problems(404)]
    public IResult ServeCallingSdk(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget-calling-acs.js")] HttpRequest request) => SdkBundle.Serve(request);
}
