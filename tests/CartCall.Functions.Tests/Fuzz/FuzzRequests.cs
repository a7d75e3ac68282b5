using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CartCall.Functions.Features.CartEvents;
using CartCall.Functions.Features.Calls;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.Preferences;
using CartCall.Functions.Hosting.Middleware;
using CartCall.Functions.Tests.Features.Offers;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Fuzz;

/// <summary>An HTTP function as the host serves it: its name, route template and methods.</summary>
public sealed record FuzzRoute(string Function, string Template, IReadOnlyList<string> Methods);

/// <summary>One generated request; <see cref="Index"/> and the seed regenerate it exactly.</summary>
public sealed record FuzzRequest(int Index, FuzzRoute Route, string Method, string PathAndQuery, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, string? ContentType, string Shape)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), PathAndQuery);
        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (Body is not null)
        {
            message.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        return message;
    }

    public override string ToString() =>
        $"#{Index} {Method} {(PathAndQuery.Length > 200 ? PathAndQuery[..200] + "…" : PathAndQuery)} [{Route.Function}; {Shape}; {ContentType ?? "no type"}; body {Body?.Length.ToString(CultureInfo.InvariantCulture) ?? "none"}]";
}

/// <summary>
/// Makes random and mutated requests for every public HTTP function: bodies (valid samples, mutated as JSON and as
/// bytes, junk, and sizes around each limit), headers (content types, keys, signatures, cookies, JWTs, origins), methods,
/// and route values with '/', '..', escapes, unicode and lengths around the id limits. Request <c>i</c> depends only on
/// the seed and <c>i</c>, so a failure is reproduced by running the same seed.
/// </summary>
public sealed class FuzzRequestFactory(HttpFuzzFixture world, IReadOnlyList<FuzzRoute> routes, int seed)
{
    private static readonly string[] AnyMethods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND", "FUZZ"];

    private static readonly string[] TrickyIds =
    [
        "..", "%2E%2E", ".", "%2e", "a%2Fb", "a/b", "%2F", "%00", "x%0Ay", "%0D%0A", "%23", "%3F", "%7C", "%5C", "%25", "%FF", "%C0%AF",
        "%E2%80%AE", "%20", "'", "%22", "$", "()", "null", "undefined", "0", "-1", "M-UPPER", "m_under", "-lead", "m--x", "a",
        Uri.EscapeDataString("ünïcødé"), Uri.EscapeDataString("😀😀"), Uri.EscapeDataString("מוכר"), Uri.EscapeDataString("e\u0301\u0301"),
        Uri.EscapeDataString("\u202Eevil"), "%F0%9F%98", "%ED%A0%80", new string('m', 63), "m-" + new string('x', 62), new string('x', 128),
        new string('x', 129), new string('y', 512), new string('y', 513), new string('z', 2000), "of_" + new string('0', 24), "ca_nothing",
        "..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F", "~", "*", "%2A",
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/json; charset=utf-16",
        "application/json; charset=bogus", "application/vnd.api+json", "a/b/c", "", ";", "application/json;;;", "*/*", "application/cloudevents+json",
        "application/cloudevents-batch+json", "APPLICATION/JSON",
    ];

    private static readonly string[] Junk =
    [
        "", " ", "null", "true", "0", "-0", "1e400", "\"x\"", "[]", "{}", "[null]", "{\"a\":}", "{", "}", "[", "\u0000", "{\"__proto__\":{}}",
        "\uFEFF{}", "{\"a\":1,\"a\":2}", "NaN", "Infinity", "[1,2,3", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u0000\"}", "<xml/>", "a=b&c=d",
    ];

    public FuzzRequest Create(int index)
    {
        var r = new Random(unchecked((seed * 1_000_003) + index));
        var route = routes[r.Next(routes.Count)];
        var method = r.NextDouble() < 0.85 ? route.Methods[r.Next(route.Methods.Count)] : AnyMethods[r.Next(AnyMethods.Length)];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var (merchant, key) = world.Merchants[r.Next(world.Merchants.Count)];
        var offer = world.Offers[r.Next(world.Offers.Count)];
        var path = System.Text.RegularExpressions.Regex.Replace(route.Template, @"\{([^}]+)\}", m =>
        {
            var name = m.Groups[1].Value;
            var known = r.NextDouble() < 0.55;
            var value = (name, known) switch
            {
                ("merchantId", true) when route.Function == "UpsertMerchant" => $"m-fuzz-new-{r.Next(50)}",
                ("merchantId", true) => merchant,
                ("offerId", true) => offer.OfferId,
                ("sessionId", true) => offer.SessionId,
                ("callId", true) => CallIds.ForOffer(offer.OfferId),
                ("agentId", true) => "agent-" + r.Next(3),
                _ => TrickyIds[r.Next(TrickyIds.Length)],
            };
            values[name] = value;
            return value;
        });
        if (route.Template.Contains("{offerId}", StringComparison.Ordinal) && values["offerId"] == offer.OfferId)
        {
            (merchant, key) = world.Merchants.Single(w => w.Id == offer.MerchantId);
        }

        var query = Query(r, route);
        var headers = new List<KeyValuePair<string, string>>();
        var (body, contentType, shape) = Body(r, route, method, merchant, offer);
        Headers(r, route, headers, merchant, key, body);
        return new FuzzRequest(index, route, method, "/api/" + path + query, headers, body, contentType, shape);
    }

    private static string Query(Random r, FuzzRoute route)
    {
        var parts = new List<string>();
        if (route.Function == "DeliverOffer" && r.NextDouble() < 0.65)
        {
            parts.Add("code=" + HttpFuzzFixture.DeliveryKey);
        }

        if (r.NextDouble() < 0.35)
        {
            string[] keys = ["max", "status", "code", "x", "max[]", "%00", "", "max", Uri.EscapeDataString("ключ")];
            string[] values = ["abc", "-1", "0", "1", "500", "501", "99999999999", "1e3", "%ZZ", "", "active", "all", "ALL", "%00", Uri.EscapeDataString("∞"), new string('9', 400), "1%2C2"];
            for (var i = r.Next(1, 4); i > 0; i--)
            {
                parts.Add(keys[r.Next(keys.Length)] + (r.NextDouble() < 0.9 ? "=" + values[r.Next(values.Length)] : ""));
            }
        }

        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private (byte[]? Body, string? ContentType, string Shape) Body(Random r, FuzzRoute route, string method, string merchant, (string OfferId, string MerchantId, string SessionId) offer)
    {
        var wantsBody = method is "POST" or "PUT" or "PATCH" || r.NextDouble() < 0.1;
        if (!wantsBody)
        {
            return (null, null, "no body");
        }

        var jsonType = route.Function == "DeliverOffer" ? "application/cloudevents-batch+json" : "application/json";
        var contentType = r.NextDouble() < 0.8 ? jsonType : ContentTypes[r.Next(ContentTypes.Length)];
        if (r.NextDouble() < 0.03 && Limit(route.Function) is { } limit)
        {
            // Around the function's size limit: one under, at, one over.
            var size = limit + r.Next(-1, 2);
            return (Padded(Sample(r, route, merchant, offer), size), contentType, $"size {size}");
        }

        var sample = Sample(r, route, merchant, offer);
        var roll = r.NextDouble();
        if (roll < 0.35)
        {
            return (sample, contentType, "sample");
        }

        if (roll < 0.7)
        {
            return (MutateJson(r, sample), contentType, "json mutation");
        }

        if (roll < 0.85)
        {
            return (MutateBytes(r, sample), contentType, "byte mutation");
        }

        return r.Next(4) switch
        {
            0 => (Encoding.UTF8.GetBytes(new string('[', 70) + new string(']', 70)), contentType, "deep nesting"),
            1 => (RandomNumberGenerator.GetBytes(r.Next(1, 2048)), contentType, "random bytes"),
            _ => (Encoding.UTF8.GetBytes(Junk[r.Next(Junk.Length)]), contentType, "junk"),
        };
    }

    /// <summary>The body size each function refuses above (bytes).</summary>
    private static int? Limit(string function) => function switch
    {
        "ReceiveCartEvent" or "ReceiveBrowserEvent" or "HandleCallEvent" => 256 * 1024,
        "ReceiveShopifyWebhook" => ShopifyCheckoutMapper.MaxBodyBytes,
        "DeliverOffer" => 1024 * 1024,
        "PutPreferences" => 8 * 1024,
        "MarkOfferShown" or "DismissOffer" => 4 * 1024,
        "AcceptOffer" => 16 * 1024,
        _ => null,
    };

    /// <summary>The sample's JSON object with a padding property that brings it to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] Padded(byte[] sample, int size)
    {
        var node = JsonNode.Parse(sample) is JsonObject o ? o : new JsonObject();
        node["pad"] = "";
        var bare = Encoding.UTF8.GetByteCount(node.ToJsonString());
        node["pad"] = new string('p', Math.Max(0, size - bare));
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private byte[] Sample(Random r, FuzzRoute route, string merchant, (string OfferId, string MerchantId, string SessionId) offer)
    {
        var now = DateTimeOffset.UtcNow;
        JsonNode node = route.Function switch
        {
            "ReceiveCartEvent" or "ReceiveBrowserEvent" => JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(AppFixture.CartEvent(
                "s-fuzz-" + r.Next(5), Pick(r, ["item_added", "checkout_started", "shipping_viewed", "payment_failed", "order_completed", "page_viewed"])!,
                now.AddSeconds(-r.Next(600)), price: r.Next(1, 900), quantity: r.Next(1, 4))))!,
            "ReceiveShopifyWebhook" => Shopify(r, now),
            "DeliverOffer" => new JsonArray(OfferEvents.Offer(merchant, "s-fuzz-" + r.Next(5), offerId: $"of_fuzzdel{r.Next(1000)}").Event()),
            "PutPreferences" => Preferences(r),
            "AcceptOffer" => new JsonObject
            {
                ["merchantId"] = offer.MerchantId,
                ["sessionId"] = offer.SessionId,
                ["mode"] = Pick(r, ["browser", "phone", null]),
                ["browserCanDoAudio"] = r.Next(2) == 0,
                ["preferences"] = r.Next(2) == 0 ? Preferences(r) : null,
            },
            "MarkOfferShown" or "DismissOffer" => new JsonObject { ["merchantId"] = offer.MerchantId, ["sessionId"] = offer.SessionId },
            "UpsertMerchant" => JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(AppFixture.MerchantDocument($"m-fuzz-new-{r.Next(50)}")))!,
            "SetAgentPresence" => new JsonObject
            {
                ["displayName"] = "Agent " + r.Next(9),
                ["available"] = r.Next(2) == 0,
                ["phoneNumber"] = Pick(r, ["+12015550999", "+447400123456", "+19005550000", null]),
                ["acsUserId"] = Pick(r, [null, "8:acs:fuzz"]),
                ["priority"] = r.Next(-2, 5),
            },
            "HandleCallEvent" => AcsCallbacks(r, offer.OfferId),
            _ => new JsonObject(),
        };
        return Encoding.UTF8.GetBytes(node.ToJsonString());
    }

    private static JsonObject Shopify(Random r, DateTimeOffset now)
    {
        var lines = new JsonArray();
        for (var i = r.Next(0, 4); i > 0; i--)
        {
            var custom = r.Next(4) == 0;
            lines.Add(new JsonObject
            {
                ["sku"] = custom ? null : "SKU-" + r.Next(100),
                ["variant_id"] = custom ? null : r.Next(1, 100000),
                ["title"] = "Item " + r.Next(100),
                ["quantity"] = r.Next(1, 5),
                ["price"] = "19.50",
                ["price_set"] = new JsonObject
                {
                    ["shop_money"] = new JsonObject { ["amount"] = "21.00", ["currency_code"] = "USD" },
                    ["presentment_money"] = new JsonObject { ["amount"] = "19.50", ["currency_code"] = "EUR" },
                },
            });
        }

        return new JsonObject
        {
            ["id"] = r.NextInt64(1, long.MaxValue),
            ["token"] = "tok-" + r.Next(20),
            ["updated_at"] = now.AddSeconds(-r.Next(300)).ToString("O"),
            ["completed_at"] = r.Next(6) == 0 ? now.ToString("O") : null,
            ["currency"] = "USD",
            ["presentment_currency"] = Pick(r, ["USD", "EUR"]),
            ["customer"] = new JsonObject { ["id"] = r.Next(1, 1000) },
            ["shipping_address"] = r.Next(2) == 0 ? new JsonObject { ["country_code"] = "DE" } : null,
            ["line_items"] = lines,
        };
    }

    private static JsonObject Preferences(Random r) => new()
    {
        ["mode"] = Pick(r, ["browser", "phone", "ask", "carrier-pigeon"]),
        ["phoneNumber"] = Pick(r, [null, "+447400123456", "07400 123456", "+19005550000", "not a number", "+1"]),
        ["defaultRegion"] = Pick(r, [null, "GB", "US", "gb", "XX"]),
        ["quietHours"] = r.Next(3) == 0 ? new JsonObject { ["start"] = Pick(r, ["21:00", "9pm", "25:00"]), ["end"] = "08:00" } : null,
        ["timeZone"] = Pick(r, [null, "Europe/London", "Mars/Olympus"]),
        ["language"] = Pick(r, [null, "en", "de-DE", "klingon please"]),
        ["consent"] = r.Next(3) == 0 ? new JsonObject { ["textVersion"] = "2026-11", ["given"] = true } : null,
    };

    private static JsonArray AcsCallbacks(Random r, string offerId)
    {
        var callId = CallIds.ForOffer(offerId);
        var type = Pick(r, ["Microsoft.Communication.CallConnected", "Microsoft.Communication.CallDisconnected", "Microsoft.Communication.AddParticipantSucceeded", "Microsoft.Communication.Unknown"]);
        return new JsonArray(new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = "calling/callConnections/" + callId,
            ["type"] = type,
            ["data"] = new JsonObject
            {
                ["callConnectionId"] = "conn-" + r.Next(10),
                ["serverCallId"] = "c2VydmVy",
                ["correlationId"] = Guid.NewGuid().ToString(),
                ["operationContext"] = Pick(r, [callId, "other", null]),
                ["resultInformation"] = new JsonObject { ["code"] = 200, ["subCode"] = 0, ["message"] = "" },
            },
            ["time"] = DateTimeOffset.UtcNow.ToString("O"),
            ["specversion"] = "1.0",
            ["datacontenttype"] = "application/json",
        });
    }

    private static byte[] MutateJson(Random r, byte[] sample)
    {
        var root = JsonNode.Parse(sample)!;
        var nodes = new List<JsonNode>();
        Walk(root, nodes);
        var target = nodes[r.Next(nodes.Count)];
        var replacement = RandomValue(r);
        if (target.Parent is JsonObject parent)
        {
            var name = parent.First(p => ReferenceEquals(p.Value, target)).Key;
            if (r.Next(4) == 0)
            {
                parent.Remove(name);
            }
            else
            {
                parent[name] = replacement;
            }
        }
        else if (target.Parent is JsonArray array)
        {
            array[array.IndexOf(target)] = replacement;
        }
        else
        {
            root = replacement ?? JsonValue.Create("root")!;
        }

        if (r.Next(5) == 0 && root is JsonObject o)
        {
            o["fuzz" + r.Next(9)] = RandomValue(r);
        }

        return Encoding.UTF8.GetBytes(root?.ToJsonString() ?? "null");
    }

    private static void Walk(JsonNode node, List<JsonNode> into)
    {
        into.Add(node);
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    if (child is not null)
                    {
                        Walk(child, into);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    if (child is not null)
                    {
                        Walk(child, into);
                    }
                }

                break;
        }
    }

    private static JsonNode? RandomValue(Random r) => r.Next(18) switch
    {
        0 => null,
        1 => JsonValue.Create(true),
        2 => JsonValue.Create(0),
        3 => JsonValue.Create(-1),
        4 => JsonNode.Parse("1e308"),
        5 => JsonValue.Create(long.MaxValue),
        6 => JsonValue.Create(""),
        7 => JsonValue.Create(new string('x', r.Next(100, 5000))),
        8 => JsonValue.Create("ünï😀\u202E\u0000"),
        9 => JsonValue.Create("\u00ff\u0100\uFFFF"),
        10 => new JsonArray(),
        11 => new JsonObject(),
        12 => new JsonArray(JsonValue.Create(1), null, new JsonObject()),
        13 => JsonValue.Create("2026-13-45T99:99:99Z"),
        14 => JsonValue.Create("NaN"),
        15 => JsonNode.Parse("-79228162514264337593543950336"),
        16 => JsonValue.Create(DateTimeOffset.UtcNow.AddYears(r.Next(-30, 30)).ToString("O")),
        _ => JsonValue.Create(0.1 + r.NextDouble()),
    };

    private static byte[] MutateBytes(Random r, byte[] sample)
    {
        var bytes = sample.ToList();
        for (var n = r.Next(1, 6); n > 0 && bytes.Count > 0; n--)
        {
            var at = r.Next(bytes.Count);
            switch (r.Next(4))
            {
                case 0: bytes[at] ^= (byte)(1 << r.Next(8)); break;
                case 1: bytes.RemoveRange(at, bytes.Count - at); break;
                case 2: bytes.InsertRange(at, RandomNumberGenerator.GetBytes(r.Next(1, 8))); break;
                default: bytes.RemoveAt(at); break;
            }
        }

        return [.. bytes];
    }

    private void Headers(Random r, FuzzRoute route, List<KeyValuePair<string, string>> headers, string merchant, string key, byte[]? body)
    {
        void Add(string name, string value) => headers.Add(new(name, value));
        var admin = route.Function is "UpsertMerchant" or "GetMerchant" or "SetAgentPresence" or "ListAgents" or "ListMerchantCalls"
            or "ListSessionDecisions" or "NegotiateAgentPush";
        if (r.NextDouble() < (admin ? 0.6 : 0.1))
        {
            Add(AdminKeyMiddleware.Header, r.NextDouble() < 0.7 ? AppFixture.AdminKey : Pick(r, ["wrong-admin-key-000000", "", new string('k', 5000), "ключ-администратора"])!);
        }

        if (r.NextDouble() < 0.7)
        {
            Add(PublishableKeys.Header, r.NextDouble() < 0.7 ? key : Pick(r, [world.Merchants[r.Next(world.Merchants.Count)].Key, "pk_wrong_000000000000000000000", "pk_", "", new string('p', 4000)])!);
        }

        if (r.NextDouble() < 0.7)
        {
            Add("Origin", r.NextDouble() < 0.7 ? HttpFuzzFixture.Origin : Pick(r, ["https://evil.example", "null", "file://", "http://127.0.0.1:5173/", "ünï://x", new string('o', 3000)])!);
        }

        if (r.NextDouble() < 0.3)
        {
            Add("Cookie", Cookie(r, merchant));
        }

        if (route.Function == "HandleCallEvent" ? r.NextDouble() < 0.9 : r.NextDouble() < 0.1)
        {
            Add("Authorization", r.NextDouble() < 0.5 && route.Function == "HandleCallEvent" ? "Bearer " + world.AcsToken() : Jwt(r));
        }

        if (route.Function == "ReceiveCartEvent" || r.NextDouble() < 0.05)
        {
            var now = DateTimeOffset.UtcNow;
            Add(WebhookSignatures.CartCallHeader, r.NextDouble() < 0.55
                ? WebhookSignatures.SignCartCall(body ?? [], AppFixture.Secret, now.AddSeconds(r.Next(-200, 200)))
                : Pick(r, ["t=abc,v1=zz", $"t={now.ToUnixTimeSeconds()},v1={new string('0', 64)}", "t=99999999999999999999,v1=" + new string('a', 64), "v1=", "", ",,,,", "t=1,v1=" + new string('f', 6400), $"t={now.AddMinutes(-20).ToUnixTimeSeconds()},v1={new string('b', 64)}"])!);
        }

        if (route.Function == "ReceiveShopifyWebhook" || r.NextDouble() < 0.03)
        {
            Add("X-Shopify-Hmac-Sha256", r.NextDouble() < 0.55 ? Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(AppFixture.Secret), body ?? [])) : Pick(r, ["", "not base64", Convert.ToBase64String(new byte[31]), Convert.ToBase64String(new byte[33]), "===="])!);
            Add("X-Shopify-Topic", Pick(r, ["checkouts/create", "checkouts/update", "checkouts/update", "orders/create", "", "checkouts/create\u00e9"])!);
            if (r.NextDouble() < 0.9)
            {
                Add("X-Shopify-Event-Id", Pick(r, [Guid.NewGuid().ToString(), "e/1", new string('e', 300), "", "ünï"])!);
            }

            if (r.NextDouble() < 0.5)
            {
                Add("X-Shopify-Triggered-At", Pick(r, [DateTimeOffset.UtcNow.ToString("O"), "yesterday", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", ""])!);
            }
        }

        if (route.Function == "DeliverOffer" && r.NextDouble() < 0.3)
        {
            Add("aeg-event-type", Pick(r, ["SubscriptionValidation", "Notification", "x"])!);
            Add("WebHook-Request-Origin", Pick(r, ["eventgrid.azure.net", "", "ünï"])!);
        }

        if (r.NextDouble() < 0.2)
        {
            Add("Accept-Language", Pick(r, ["de-DE,de;q=0.9", "*", "xx", new string('a', 2000), ";q=", "en;q=abc", "ünï"])!);
        }

        if (r.NextDouble() < 0.1)
        {
            Add("X-Forwarded-For", Pick(r, ["1.2.3.4", "::1, 10.0.0.1", "not an address", new string('9', 500)])!);
        }

        if (r.NextDouble() < 0.05)
        {
            Add("X-Fuzz-" + r.Next(100), Pick(r, ["", "ünï", new string('h', 8000)])!);
        }
    }

    private static string Cookie(Random r, string merchant)
    {
        var minter = new PreferenceCookie(Options.Create(new PreferencesOptions { CookieSigningKey = AppFixture.CookieSigningKey }), TimeProvider.System);
        var valid = minter.Protect(new PreferenceCookiePayload
        {
            ProfileId = ProfileIds.New(),
            MerchantId = merchant,
            Mode = PreferredMode.Phone,
            Phone = "+447400123456",
            TimeZone = "Europe/London",
            Language = "en",
            ExpiresAt = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds(),
        });
        var name = PreferenceCookie.NameFor(merchant);
        return r.Next(6) switch
        {
            0 or 1 => $"{name}={valid}",
            2 => $"{name}={valid[..^3]}abc",
            3 => $"{name}={new string('c', 4000)}",
            4 => string.Join("; ", Enumerable.Range(0, 50).Select(i => $"c{i}={i}")) + $"; {name}=..",
            _ => $"{name}=%FF%00; {name}={valid}",
        };
    }

    private static string Jwt(Random r)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return r.Next(7) switch
        {
            0 => "Bearer " + B64("{\"alg\":\"none\"}") + "." + B64("{\"iss\":\"x\",\"aud\":\"y\"}") + ".",
            1 => "Bearer " + B64("{\"alg\":\"HS256\",\"kid\":\"../../etc\"}") + "." + B64("{\"exp\":1}") + "." + B64("sig"),
            2 => "Bearer a.b.c",
            3 => "Bearer " + new string('e', 9000),
            4 => "Basic " + B64("user:pass"),
            5 => "Bearer",
            _ => "Bearer " + B64("{\"alg\":\"RS256\",\"kid\":\"nope\"}") + "." + B64("{\"iss\":\"x\"}") + "." + B64(new string('s', 256)),
        };
    }

    private static string? Pick(Random r, string?[] options) => options[r.Next(options.Length)];
}
