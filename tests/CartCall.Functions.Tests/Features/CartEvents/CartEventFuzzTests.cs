using System.Net;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;

namespace CartCall.Functions.Tests.Features.CartEvents;

/// <summary>
/// Random and mutated payloads, correctly signed so they reach the parser: whatever arrives, the answer is 202 or a
/// 4xx problem, never a 5xx.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class CartEventFuzzTests(AppFixture app)
{
    private static readonly string[] Types = ["item_added", "checkout_started", "payment_failed", "order_completed", "bogus", "", "ITEM_ADDED"];

    private static Gen<string> JsonishFragments() => Gen.OneOf(
        Gen.Constant("{}"), Gen.Constant("[]"), Gen.Constant("null"), Gen.Constant("\"text\""), Gen.Constant("{\"cart\": {\"items\": [null]}}"),
        Gen.Constant("{\"eventId\": 1, \"sessionId\": {}, \"type\": []}"), Gen.Constant("{\"occurredAt\": \"yesterday\"}"),
        Gen.Constant("{\"cart\": {\"currency\": \"USD\", \"items\": [{\"quantity\": 1e400}]}}"),
        ArbMap.Default.GeneratorFor<string>().Select(s => s ?? ""));

    private static Gen<byte[]> Payloads()
    {
        var structured =
            from type in Gen.Elements(Types)
            from qty in Gen.Choose(-5, 5)
            from price in Gen.Elements(-1m, 0m, 0.01m, 19.99m, 1e12m)
            from currency in Gen.Elements("USD", "usd", "EUR", "", "US Dollar")
            from eventId in Gen.Elements("e-1", "", "a/b", new string('x', 300), "ok-id")
            from withCart in ArbMap.Default.GeneratorFor<bool>()
            select JsonSerializer.SerializeToUtf8Bytes(new
            {
                eventId,
                sessionId = "s-fuzz",
                occurredAt = DateTimeOffset.UtcNow,
                type,
                cart = withCart ? new { currency, items = new[] { new { sku = "A", quantity = qty, unitPrice = price } } } : null,
            });
        var mutated =
            from bytes in structured
            from cut in Gen.Choose(0, 200)
            select bytes[..Math.Min(cut, bytes.Length)];
        return Gen.OneOf(structured, mutated, JsonishFragments().Select(Encoding.UTF8.GetBytes));
    }

    [Fact]
    public async Task AnySignedPayload_GetsA202OrA4xxProblem_NeverA5xx()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var samples = Payloads().Sample(150);

        foreach (var payload in samples)
        {
            var response = await client.SendAsync(AppFixture.SignedCartEventBytes(merchant, payload));
            var code = (int)response.StatusCode;
            Assert.True(code == 202 || (code >= 400 && code < 500), $"{code} for {Encoding.UTF8.GetString(payload)}");
            if (code != 202)
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }
    }

    [Fact]
    public async Task TamperedBody_IsAlwaysRefusedAs401()
    {
        var merchant = await app.CreateMerchantAsync();
        using var client = app.CreateClient();
        var original = JsonSerializer.SerializeToUtf8Bytes(AppFixture.CartEvent("s-tamper", "item_added", DateTimeOffset.UtcNow));
        var positions = Gen.Choose(0, original.Length - 1).Sample(40);

        foreach (var position in positions)
        {
            var request = AppFixture.SignedCartEventBytes(merchant, original);
            var tampered = (byte[])original.Clone();
            tampered[position] ^= 0x01;
            request.Content = new ByteArrayContent(tampered);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

            var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
    }
}
