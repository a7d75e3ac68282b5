using System.Collections.Concurrent;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CartCall.LocalCloud.Storefront;

/// <summary>
/// A small storefront on 127.0.0.1 that behaves like a real one towards CartCall: its server keeps each shopper's
/// cart under its own session cookie and posts every cart event to CartCall's signed webhook; its pages embed the
/// widget with the store's session id. Pages: products, cart, checkout (details, shipping, payment — card
/// <see cref="StorefrontCatalog.DeclineCard"/> declines), order confirmation.
/// </summary>
public sealed partial class DemoStorefront : IAsyncDisposable
{
    private const string WidgetMarker = "<!--cartcall-widget-->";

    private readonly WebApplication _app;
    private readonly CartCallWebhookClient _webhook;
    private int _disposed;

    private DemoStorefront(WebApplication app, CartCallWebhookClient webhook, StorefrontSessions sessions, Uri url)
    {
        _app = app;
        _webhook = webhook;
        Sessions = sessions;
        Url = url;
    }

    /// <summary><c>http://127.0.0.1:{port}/</c>; its origin is what the merchant must allow.</summary>
    public Uri Url { get; }

    /// <summary><c>http://127.0.0.1:{port}</c>, exactly as a browser sends it in <c>Origin</c>.</summary>
    public string Origin => Url.GetLeftPart(UriPartial.Authority);

    public StorefrontSessions Sessions { get; }

    /// <summary>What CartCall answered to each cart event the store sent, oldest first.</summary>
    public IReadOnlyList<StorefrontDelivery> Deliveries => _webhook.Deliveries;

    /// <summary>Cart events queued or in flight to CartCall.</summary>
    public int PendingDeliveries => _webhook.Pending;

    public static async Task<DemoStorefront> StartAsync(DemoStorefrontOptions o, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        var loggers = o.LoggerFactory ?? NullLoggerFactory.Instance;
        var pages = new PageTemplates(o);
        var sessions = new StorefrontSessions(o.TimeProvider);
        var webhook = new CartCallWebhookClient(o, loggers.CreateLogger<DemoStorefront>());

        // The empty builder reads no environment or appsettings, so nothing around the store can move its port.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, o.Port);
            k.AddServerHeader = false;
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggers);
        var app = builder.Build();
        var handlers = new StorefrontEndpoints(o, pages, sessions, webhook);
        handlers.Map(app);

        try
        {
            await app.StartAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            await webhook.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new DemoStorefront(app, webhook, sessions, new Uri($"http://127.0.0.1:{new Uri(address).Port}/"));
    }

    /// <summary>Waits (bounded) until every queued cart event has had its answer.</summary>
    public async Task FlushAsync(TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_webhook.Pending > 0)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{_webhook.Pending} cart events were still unsent after {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(20, ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _app.DisposeAsync().ConfigureAwait(false);
            await _webhook.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The embedded static pages, with the widget tag put in where each page marks it.</summary>
    private sealed partial class PageTemplates(DemoStorefrontOptions o)
    {
        private static readonly Assembly Assembly = typeof(DemoStorefront).Assembly;
        private readonly ConcurrentDictionary<string, string> _cache = new(StringComparer.Ordinal);

        public static string? Text(string name)
        {
            using var stream = Assembly.GetManifestResourceStream("storefront/" + name);
            if (stream is null)
            {
                return null;
            }

            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }

        public string Page(string name, string sessionId)
        {
            var html = _cache.GetOrAdd(name, Compose);
            var tag = $"<script src=\"{E(o.ResolvedWidgetUrl.AbsoluteUri)}\" data-merchant=\"{E(o.MerchantId)}\" " +
                $"data-publishable-key=\"{E(o.PublishableKey)}\" data-session-id=\"{E(sessionId)}\" data-language=\"{E(o.Language)}\"" +
                (o.VoiceProcessing ? "" : " data-voice-processing=\"off\"") + " async></script>";
            return html.Replace(WidgetMarker, tag, StringComparison.Ordinal);
        }

        private static string E(string value) => WebUtility.HtmlEncode(value);

        [GeneratedRegex(@"\A<!--title: (?<title>[^|]+) \| page: (?<page>[^>]+)-->\n")]
        private static partial Regex PageHeader();

        // Every page shares one frame (head, header, footer, widget marker); a page file holds only its own main
        // content under a first line <!--title: … | page: …-->.
        private static string Compose(string name)
        {
            var fragment = Text(name) ?? throw new InvalidOperationException($"The page {name} is not embedded.");
            var layout = Text("_layout.html") ?? throw new InvalidOperationException("The page layout is not embedded.");
            var header = PageHeader().Match(fragment);
            if (!header.Success)
            {
                throw new InvalidOperationException($"The page {name} does not start with <!--title: … | page: …-->.");
            }

            return layout
                .Replace("{{title}}", header.Groups["title"].Value, StringComparison.Ordinal)
                .Replace("{{page}}", header.Groups["page"].Value, StringComparison.Ordinal)
                .Replace("{{content}}", fragment[header.Length..].TrimEnd('\n'), StringComparison.Ordinal);
        }
    }

    /// <summary>The store's pages and JSON API. Page views are cart events too, sent by the server as it serves them.</summary>
    private sealed class StorefrontEndpoints(DemoStorefrontOptions o, PageTemplates pages, StorefrontSessions sessions, CartCallWebhookClient webhook)
    {
        public void Map(WebApplication app)
        {
            app.MapGet("/", (HttpContext c, CancellationToken ct) => PageAsync(c, "index.html", "page_viewed", ct));
            app.MapGet("/cart", (HttpContext c, CancellationToken ct) => PageAsync(c, "cart.html", "cart_viewed", ct));
            app.MapGet("/checkout", (HttpContext c, CancellationToken ct) => CheckoutPageAsync(c, "checkout.html", "checkout_started", ct));
            app.MapGet("/checkout/shipping", (HttpContext c, CancellationToken ct) => CheckoutPageAsync(c, "shipping.html", "shipping_viewed", ct));
            app.MapGet("/checkout/payment", (HttpContext c, CancellationToken ct) => CheckoutPageAsync(c, "payment.html", "page_viewed", ct));
            app.MapGet("/order/{orderId}", (HttpContext c, CancellationToken ct) => PageAsync(c, "order.html", null, ct));
            app.MapGet("/assets/{name}", Asset);

            var api = app.MapGroup("/store/api");
            api.MapGet("/products", () => TypedResults.Ok(new
            {
                currency = o.Currency,
                products = StorefrontCatalog.Products.Select(p => new { p.Sku, p.Title, p.Description, p.UnitPrice }),
            }));
            api.MapGet("/cart", (HttpContext c) => TypedResults.Ok(View(Session(c))));
            api.MapPost("/cart/items", AddItemAsync);
            api.MapDelete("/cart/items/{sku}", RemoveItemAsync);
            api.MapPost("/cart/coupon", CouponAsync);
            api.MapPost("/checkout/details", DetailsAsync);
            api.MapPost("/checkout/shipping", ShippingAsync);
            api.MapPost("/checkout/payment", PayAsync);
            api.MapGet("/orders/{orderId}", (HttpContext c, string orderId) =>
                sessions.FindOrder(orderId) is { } order && order.SessionId == Session(c).Id
                    ? Results.Ok(OrderView(order))
                    : Problem(404, $"There is no order {orderId} in this session."));
            app.MapFallback((HttpContext c) => Problem(404, $"Nothing is served at {c.Request.Path}."));
        }

        private async Task<IResult> PageAsync(HttpContext c, string page, string? eventType, CancellationToken ct)
        {
            var session = Session(c);
            if (eventType is not null)
            {
                await SendAsync(c, session, eventType, ct).ConfigureAwait(false);
            }

            c.Response.Headers.CacheControl = "no-store";
            return Results.Content(pages.Page(page, session.Id), "text/html; charset=utf-8");
        }

        private async Task<IResult> CheckoutPageAsync(HttpContext c, string page, string eventType, CancellationToken ct)
        {
            var session = Session(c);
            lock (session.Gate)
            {
                if (session.Lines.Count == 0)
                {
                    return Results.Redirect("/cart");
                }
            }

            return await PageAsync(c, page, eventType, ct).ConfigureAwait(false);
        }

        private static IResult Asset(string name)
        {
            var type = Path.GetExtension(name) switch
            {
                ".css" => "text/css; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => null,
            };
            var text = type is null ? null : PageTemplates.Text(name);
            return text is null ? Problem(404, $"There is no asset {name}.") : Results.Text(text, type);
        }

        private async Task<IResult> AddItemAsync(HttpContext c, CancellationToken ct)
        {
            var body = await ReadAsync<AddItemRequest>(c, ct).ConfigureAwait(false);
            var product = StorefrontCatalog.Find(body?.Sku);
            if (product is null)
            {
                return Problem(400, $"There is no product '{body?.Sku}'. Known: {string.Join(", ", StorefrontCatalog.Products.Select(p => p.Sku))}.");
            }

            var quantity = body!.Quantity ?? 1;
            if (quantity is < 1 or > 99)
            {
                return Problem(400, "quantity must be between 1 and 99.");
            }

            var session = Session(c);
            lock (session.Gate)
            {
                session.Add(product, quantity);
            }

            await SendAsync(c, session, "item_added", ct).ConfigureAwait(false);
            return Results.Ok(View(session));
        }

        private async Task<IResult> RemoveItemAsync(HttpContext c, string sku, CancellationToken ct)
        {
            var session = Session(c);
            bool removed;
            lock (session.Gate)
            {
                removed = session.Remove(sku);
            }

            if (!removed)
            {
                return Problem(404, $"'{sku}' is not in the cart.");
            }

            await SendAsync(c, session, "item_removed", ct).ConfigureAwait(false);
            return Results.Ok(View(session));
        }

        // No code is live in the demo: every one is refused, which is itself a signal CartCall scores.
        private async Task<IResult> CouponAsync(HttpContext c, CancellationToken ct)
        {
            var body = await ReadAsync<CouponRequest>(c, ct).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(body?.Code))
            {
                return Problem(400, "code is required.");
            }

            await SendAsync(c, Session(c), "coupon_rejected", ct).ConfigureAwait(false);
            return Problem(422, $"The code '{body.Code.Trim()}' is not valid or has expired.");
        }

        private async Task<IResult> DetailsAsync(HttpContext c, CancellationToken ct)
        {
            var body = await ReadAsync<DetailsRequest>(c, ct).ConfigureAwait(false);
            var problems = new List<string>();
            Require(body?.Name, "name", problems);
            Require(body?.Address, "address", problems);
            Require(body?.City, "city", problems);
            Require(body?.PostalCode, "postalCode", problems);
            Require(body?.Country, "country", problems);
            if (string.IsNullOrWhiteSpace(body?.Email) || !body.Email.Contains('@', StringComparison.Ordinal))
            {
                problems.Add("email must be an email address.");
            }

            if (problems.Count > 0)
            {
                return Problem(400, string.Join(" ", problems));
            }

            var session = Session(c);
            lock (session.Gate)
            {
                session.Details = new CheckoutDetails(body!.Name!.Trim(), body.Email!.Trim(), body.Address!.Trim(), body.City!.Trim(), body.PostalCode!.Trim(), body.Country!.Trim());
            }

            return Results.Ok(View(session));
        }

        private async Task<IResult> ShippingAsync(HttpContext c, CancellationToken ct)
        {
            var body = await ReadAsync<ShippingRequest>(c, ct).ConfigureAwait(false);
            var option = StorefrontCatalog.Shipping.FirstOrDefault(s => s.Id == body?.Option);
            if (option is null)
            {
                return Problem(400, $"option must be one of {string.Join(", ", StorefrontCatalog.Shipping.Select(s => s.Id))}.");
            }

            var session = Session(c);
            lock (session.Gate)
            {
                session.Shipping = option;
            }

            return Results.Ok(View(session));
        }

        private async Task<IResult> PayAsync(HttpContext c, CancellationToken ct)
        {
            var body = await ReadAsync<PaymentRequest>(c, ct).ConfigureAwait(false);
            var card = new string((body?.CardNumber ?? "").Where(char.IsAsciiDigit).ToArray());
            if (card.Length is < 12 or > 19)
            {
                return Problem(400, "cardNumber must have 12 to 19 digits.");
            }

            var session = Session(c);
            StorefrontOrder? order = null;
            IReadOnlyList<CartLine> lines;
            lock (session.Gate)
            {
                lines = session.Lines;
                if (lines.Count == 0)
                {
                    return Problem(409, "The cart is empty.");
                }

                if (session.Details is null || session.Shipping is null)
                {
                    return Problem(409, "Enter your details and choose shipping before paying.");
                }

                if (card != StorefrontCatalog.DeclineCard)
                {
                    var orderId = "ord_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
                    order = new StorefrontOrder(orderId, session.Id, lines, session.Shipping, session.Subtotal + session.Shipping.Price, o.TimeProvider.GetUtcNow());
                    sessions.AddOrder(order);
                    session.Clear();
                }
            }

            if (order is null)
            {
                await SendAsync(c, session, "payment_failed", ct).ConfigureAwait(false);
                return Problem(402, "Your card was declined. Try another card or contact us.");
            }

            // The completed order carries the cart that was bought, not the now-empty one.
            await webhook.EnqueueAsync(session.Id, "order_completed", lines, o.Currency, c.Request.GetDisplayUrl(), ct).ConfigureAwait(false);
            return Results.Ok(new { order.OrderId, url = $"/order/{order.OrderId}" });
        }

        private StorefrontSession Session(HttpContext c)
        {
            if (c.Items.TryGetValue(typeof(StorefrontSession), out var known) && known is StorefrontSession s)
            {
                return s;
            }

            var (session, isNew) = sessions.GetOrStart(c.Request.Cookies[StorefrontSessions.CookieName]);
            if (isNew)
            {
                c.Response.Cookies.Append(StorefrontSessions.CookieName, session.Id, new CookieOptions
                {
                    HttpOnly = true,
                    SameSite = SameSiteMode.Lax,
                    Secure = c.Request.IsHttps,
                    Path = "/",
                });
            }

            c.Items[typeof(StorefrontSession)] = session;
            return session;
        }

        private ValueTask SendAsync(HttpContext c, StorefrontSession session, string type, CancellationToken ct)
        {
            IReadOnlyList<CartLine> lines;
            lock (session.Gate)
            {
                lines = session.Lines;
            }

            var pageUrl = c.Request.Path.StartsWithSegments("/store/api", StringComparison.Ordinal)
                ? c.Request.Headers.Referer.ToString() is { Length: > 0 } referer ? referer : null
                : c.Request.GetDisplayUrl();
            return webhook.EnqueueAsync(session.Id, type, lines, o.Currency, pageUrl, ct);
        }

        private object View(StorefrontSession s)
        {
            lock (s.Gate)
            {
                var lines = s.Lines;
                return new
                {
                    sessionId = s.Id,
                    currency = o.Currency,
                    items = lines.Select(l => new { l.Product.Sku, l.Product.Title, l.Quantity, l.Product.UnitPrice, l.LineTotal }),
                    itemCount = lines.Sum(l => l.Quantity),
                    subtotal = s.Subtotal,
                    shipping = s.Shipping,
                    total = s.Subtotal + (s.Shipping?.Price ?? 0),
                    details = s.Details,
                    shippingOptions = StorefrontCatalog.Shipping,
                };
            }
        }

        private object OrderView(StorefrontOrder order) => new
        {
            order.OrderId,
            currency = o.Currency,
            items = order.Lines.Select(l => new { l.Product.Sku, l.Product.Title, l.Quantity, l.Product.UnitPrice, l.LineTotal }),
            shipping = order.Shipping,
            order.Total,
            order.PlacedAt,
        };

        private static async Task<T?> ReadAsync<T>(HttpContext c, CancellationToken ct)
            where T : class
        {
            if (c.Request.HasJsonContentType())
            {
                try
                {
                    return await c.Request.ReadFromJsonAsync<T>(ct).ConfigureAwait(false);
                }
                catch (System.Text.Json.JsonException)
                {
                    return null;
                }
            }

            return null;
        }

        private static void Require(string? value, string name, List<string> problems)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"{name} is required.");
            }
            else if (value.Length > 200)
            {
                problems.Add($"{name} must be at most 200 characters.");
            }
        }

        private static IResult Problem(int status, string detail) => Results.Problem(detail: detail, statusCode: status);
    }

    private sealed record AddItemRequest(string? Sku, int? Quantity);

    private sealed record CouponRequest(string? Code);

    private sealed record DetailsRequest(string? Name, string? Email, string? Address, string? City, string? PostalCode, string? Country);

    private sealed record ShippingRequest(string? Option);

    private sealed record PaymentRequest(string? CardNumber, string? Expiry, string? Cvc);
}
