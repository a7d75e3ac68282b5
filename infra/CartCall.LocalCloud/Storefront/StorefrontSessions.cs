using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace CartCall.LocalCloud.Storefront;

public sealed record CartLine(StorefrontProduct Product, int Quantity)
{
    public decimal LineTotal => Product.UnitPrice * Quantity;
}

public sealed record CheckoutDetails(string Name, string Email, string Address, string City, string PostalCode, string Country);

public sealed record StorefrontOrder(string OrderId, string SessionId, IReadOnlyList<CartLine> Lines, ShippingOption Shipping, decimal Total, DateTimeOffset PlacedAt);

/// <summary>One shopper's visit: the cart and the checkout so far. Guarded by its own lock.</summary>
public sealed class StorefrontSession(string id, DateTimeOffset startedAt)
{
    private readonly List<CartLine> _lines = [];

    public string Id { get; } = id;

    public DateTimeOffset LastSeenAt { get; set; } = startedAt;

    public CheckoutDetails? Details { get; set; }

    public ShippingOption? Shipping { get; set; }

    public string? LastPaymentError { get; set; }

    public object Gate { get; } = new();

    public IReadOnlyList<CartLine> Lines => [.. _lines];

    public decimal Subtotal => _lines.Sum(l => l.LineTotal);

    public void Add(StorefrontProduct product, int quantity)
    {
        var i = _lines.FindIndex(l => l.Product.Sku == product.Sku);
        if (i >= 0)
        {
            _lines[i] = _lines[i] with { Quantity = Math.Min(99, _lines[i].Quantity + quantity) };
        }
        else
        {
            _lines.Add(new CartLine(product, Math.Min(99, quantity)));
        }
    }

    public bool Remove(string sku) => _lines.RemoveAll(l => string.Equals(l.Product.Sku, sku, StringComparison.OrdinalIgnoreCase)) > 0;

    public void Clear()
    {
        _lines.Clear();
        Details = null;
        Shipping = null;
        LastPaymentError = null;
    }
}

/// <summary>
/// The store's sessions, kept in memory and keyed by the store's own session cookie, the way a storefront backend
/// keeps carts server side. Bounded: past <see cref="Capacity"/> the least recently seen sessions are dropped.
/// </summary>
public sealed class StorefrontSessions(TimeProvider time)
{
    public const string CookieName = "store_sid";
    public const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, StorefrontSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StorefrontOrder> _orders = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    /// <summary>The session named by the cookie, or a new one (and the cookie to set) when there is none.</summary>
    public (StorefrontSession Session, bool IsNew) GetOrStart(string? cookie)
    {
        var now = time.GetUtcNow();
        if (cookie is not null && _sessions.TryGetValue(cookie, out var existing))
        {
            existing.LastSeenAt = now;
            return (existing, false);
        }

        if (_sessions.Count >= Capacity)
        {
            foreach (var stale in _sessions.Values.OrderBy(s => s.LastSeenAt).Take(Capacity / 10))
            {
                _sessions.TryRemove(stale.Id, out _);
            }
        }

        // The store's own random id; CartCall sees it as the session id (no / \ # ? | in it).
        var session = new StorefrontSession("st_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), now);
        _sessions[session.Id] = session;
        return (session, true);
    }

    public StorefrontSession? Find(string sessionId) => _sessions.GetValueOrDefault(sessionId);

    public void AddOrder(StorefrontOrder order)
    {
        if (_orders.Count >= Capacity)
        {
            foreach (var old in _orders.Values.OrderBy(o => o.PlacedAt).Take(Capacity / 10))
            {
                _orders.TryRemove(old.OrderId, out _);
            }
        }

        _orders[order.OrderId] = order;
    }

    public StorefrontOrder? FindOrder(string orderId) => _orders.GetValueOrDefault(orderId);
}
