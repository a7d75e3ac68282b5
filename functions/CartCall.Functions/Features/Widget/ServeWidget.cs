using CartCall.Functions.Features.OpenApi;

namespace CartCall.Functions.Features.Widget;

/// <summary>
/// <c>GET /api/widget.js</c>: the storefront widget, embedded in the app from functions/widget/cartcall.js.
/// Cached briefly by browsers and CDNs (5 minutes, so a fix reaches shops quickly) and revalidated by ETag.
/// </summary>
public sealed class ServeWidget
{
    public const string ResourceName = "widget/cartcall.js";
    public const string ContentType = WidgetScript.ContentType;
    public const string CacheControl = WidgetScript.CacheControl;

    private static readonly WidgetScript Script = WidgetScript.Embedded(ResourceName);

    [Function(nameof(ServeWidget))]
    [ApiTag("Widget")]
    [Response(200, null, "application/javascript")]
    [Response(304)]
    public IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "widget.js")] HttpRequest request) => Script.Serve(request);
}
