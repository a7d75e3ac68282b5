using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.Stripe;

/// <summary>
/// An API error in Stripe's shape: <c>{"error":{"type","code","decline_code","message","param",...}}</c> with Stripe's
/// status codes (400 invalid request, 401 auth, 402 card errors, 404 missing, 409 conflict, 500 api errors).
/// </summary>
internal sealed class StripeApiException(int status, string type, string message, string? code = null, string? param = null) : Exception(message)
{
    public int Status { get; } = status;

    public string Type { get; } = type;

    public string? Code { get; } = code;

    public string? Param { get; } = param;

    public string? DeclineCode { get; init; }

    /// <summary>Card errors carry the PaymentIntent as it now is, and its payment method.</summary>
    public JsonObject? PaymentIntent { get; init; }

    public JsonObject? PaymentMethod { get; init; }

    public string? Charge { get; init; }

    /// <summary>Whether the endpoint ran: only then is the response saved under the idempotency key.</summary>
    public bool Executed { get; init; }

    /// <summary>Events the failed request still raised (a decline raises payment_intent.payment_failed).</summary>
    public List<StandInEvent> Events { get; init; } = [];

    public JsonObject ToJson(string requestId)
    {
        var error = new JsonObject();
        if (Charge is not null) error["charge"] = Charge;
        if (Code is not null)
        {
            error["code"] = Code;
            error["doc_url"] = "https://docs.stripe.com/error-codes/" + Code.Replace('_', '-');
        }

        if (DeclineCode is not null) error["decline_code"] = DeclineCode;
        error["message"] = Message;
        if (Param is not null) error["param"] = Param;
        if (PaymentIntent is not null) error["payment_intent"] = PaymentIntent.DeepClone();
        if (PaymentMethod is not null) error["payment_method"] = PaymentMethod.DeepClone();
        error["request_log_url"] = "https://dashboard.stripe.com/test/logs/" + requestId;
        error["type"] = Type;
        return new JsonObject { ["error"] = error };
    }

    public static StripeApiException Invalid(string message, string? param = null, string? code = null) =>
        new(400, "invalid_request_error", message, code, param);

    public static StripeApiException Missing(string kind, string id, string param) =>
        new(404, "invalid_request_error", $"No such {kind}: '{id}'", "resource_missing", param);

    public static StripeApiException UnexpectedState(string message) =>
        new(400, "invalid_request_error", message, "payment_intent_unexpected_state") { Executed = true };
}
