using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CartCall.Domain.Billing;

namespace CartCall.LocalCloud.Stripe;

/// <summary>A PaymentIntent as the stand-in keeps it.</summary>
internal sealed class StandInPaymentIntent
{
    public required string Id { get; init; }
    public required string ClientSecret { get; init; }
    public required long Amount { get; set; }
    public required string Currency { get; init; }
    public required string CaptureMethod { get; init; }
    public required long Created { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string Status { get; set; } = "requires_payment_method";
    public string? PaymentMethodId { get; set; }
    public StripeTestCard? Card { get; set; }
    public long AmountCapturable { get; set; }
    public long AmountReceived { get; set; }
    public long? CanceledAt { get; set; }
    public string? CancellationReason { get; set; }
    public string? Description { get; set; }
    public Dictionary<string, string> Metadata { get; set; } = new(StringComparer.Ordinal);
    public JsonObject? LastPaymentError { get; set; }
    public string? LatestCharge { get; set; }
    public List<string> PaymentMethodTypes { get; set; } = ["card"];
    public string? ReceiptEmail { get; set; }
    public string? StatementDescriptorSuffix { get; set; }
    public bool AutomaticPaymentMethods { get; set; }
    public DateTimeOffset? AuthorizedAt { get; set; }
    public long AmountRefunded { get; set; }

    public JsonObject ToJson()
    {
        var metadata = new JsonObject();
        foreach (var (k, v) in Metadata) metadata[k] = v;
        return new JsonObject
        {
            ["id"] = Id,
            ["object"] = "payment_intent",
            ["amount"] = Amount,
            ["amount_capturable"] = AmountCapturable,
            ["amount_received"] = AmountReceived,
            ["application"] = null,
            ["application_fee_amount"] = null,
            ["automatic_payment_methods"] = AutomaticPaymentMethods ? new JsonObject { ["allow_redirects"] = "always", ["enabled"] = true } : null,
            ["canceled_at"] = CanceledAt,
            ["cancellation_reason"] = CancellationReason,
            ["capture_method"] = CaptureMethod,
            ["client_secret"] = ClientSecret,
            ["confirmation_method"] = "automatic",
            ["created"] = Created,
            ["currency"] = Currency,
            ["customer"] = null,
            ["description"] = Description,
            ["last_payment_error"] = LastPaymentError?.DeepClone(),
            ["latest_charge"] = LatestCharge,
            ["livemode"] = false,
            ["metadata"] = metadata,
            ["next_action"] = null,
            ["on_behalf_of"] = null,
            ["payment_method"] = PaymentMethodId,
            ["payment_method_options"] = new JsonObject
            {
                ["card"] = new JsonObject { ["request_three_d_secure"] = "automatic", ["capture_method"] = null },
            },
            ["payment_method_types"] = new JsonArray([.. PaymentMethodTypes.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["allowed_payment_method_types"] = new JsonArray([.. PaymentMethodTypes.Select(t => (JsonNode?)JsonValue.Create(t))]),
            ["processing"] = null,
            ["receipt_email"] = ReceiptEmail,
            ["review"] = null,
            ["setup_future_usage"] = null,
            ["shipping"] = null,
            ["source"] = null,
            ["statement_descriptor"] = null,
            ["statement_descriptor_suffix"] = StatementDescriptorSuffix,
            ["status"] = Status,
            ["transfer_data"] = null,
            ["transfer_group"] = null,
        };
    }

    /// <summary>The client-side view (publishable key): Stripe hides the merchant's metadata there.</summary>
    public JsonObject ToPublicJson()
    {
        var json = ToJson();
        json.Remove("metadata");
        json.Remove("application_fee_amount");
        json.Remove("on_behalf_of");
        json.Remove("transfer_data");
        return json;
    }

    public JsonObject PaymentMethodJson(long created) => new()
    {
        ["id"] = PaymentMethodId,
        ["object"] = "payment_method",
        ["billing_details"] = new JsonObject { ["address"] = null, ["email"] = null, ["name"] = null, ["phone"] = null },
        ["card"] = Card is null ? null : new JsonObject
        {
            ["brand"] = Card.Brand,
            ["country"] = "US",
            ["exp_month"] = 12,
            ["exp_year"] = 2034,
            ["funding"] = Card.Id.Contains("debit", StringComparison.Ordinal) ? "debit" : "credit",
            ["last4"] = Card.Last4,
        },
        ["created"] = created,
        ["customer"] = null,
        ["livemode"] = false,
        ["type"] = "card",
    };
}

/// <summary>The event a state change raises, for webhook delivery; <paramref name="PaymentIntent"/> is its data object (a refund for refund.*).</summary>
internal sealed record StandInEvent(string Type, JsonObject PaymentIntent);

/// <summary>
/// PaymentIntents and their state machine (create → confirm → requires_capture → capture or cancel), with the
/// parameter checks and error messages Stripe gives. Thread-safe; every change returns the events it raises.
/// </summary>
internal sealed class StripePaymentIntents(StripeStandInOptions options)
{
    private static readonly HashSet<string> CreateParams =
    [
        "amount", "currency", "capture_method", "confirm", "payment_method", "payment_method_types", "allowed_payment_method_types",
        "excluded_payment_method_types", "metadata", "description",
        "automatic_payment_methods", "receipt_email", "statement_descriptor_suffix", "return_url", "expand", "confirmation_method",
    ];

    private static readonly HashSet<string> ConfirmParams = ["payment_method", "return_url", "expand", "client_secret", "receipt_email"];
    private static readonly HashSet<string> CaptureParams = ["amount_to_capture", "expand", "metadata", "final_capture"];
    private static readonly HashSet<string> CancelParams = ["cancellation_reason", "expand"];
    private static readonly HashSet<string> RefundParams = ["payment_intent", "amount", "reason", "metadata", "expand", "charge"];
    private static readonly HashSet<string> RefundReasons = ["duplicate", "fraudulent", "requested_by_customer"];
    private static readonly HashSet<string> CancellationReasons = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"];
    private static readonly string[] Cancellable = ["requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing"];

    private readonly Lock gate = new();
    private readonly Dictionary<string, StandInPaymentIntent> intents = new(StringComparer.Ordinal);

    public IReadOnlyList<JsonObject> Snapshot()
    {
        lock (gate) return [.. intents.Values.OrderBy(i => i.Created).Select(i => i.ToJson())];
    }

    public (JsonObject Intent, List<StandInEvent> Events) Create(StripeForm form)
    {
        RefuseUnknown(form, CreateParams);
        var amount = RequiredAmount(form, "amount");
        var currencyText = form.Scalar("currency");
        if (string.IsNullOrEmpty(currencyText))
        {
            throw StripeApiException.Invalid("Missing required param: currency.", "currency", "parameter_missing");
        }

        if (!Currency.TryOf(currencyText.ToUpperInvariant(), out var currency))
        {
            throw StripeApiException.Invalid($"Invalid currency: {currencyText}. Stripe currently supports these currencies: usd, eur, gbp, …", "currency", "parameter_invalid_string");
        }

        var minimum = MinimumAmount(currency);
        if (amount < minimum)
        {
            throw StripeApiException.Invalid(
                $"Amount must be at least {new Money(minimum, currency)}", "amount", "amount_too_small");
        }

        if (amount > 99_999_999)
        {
            throw StripeApiException.Invalid("Amount must be no more than 999,999.99", "amount", "amount_too_large");
        }

        var captureMethod = form.Scalar("capture_method") ?? "automatic_async";
        if (captureMethod is not ("automatic" or "automatic_async" or "manual"))
        {
            throw StripeApiException.Invalid($"Invalid capture_method: must be one of automatic, automatic_async, or manual", "capture_method", "parameter_invalid_string");
        }

        var metadata = form.Map("metadata");
        if (metadata.Count > 50 || metadata.Any(kv => kv.Key.Length > 40 || kv.Value.Length > 500))
        {
            throw StripeApiException.Invalid("Metadata may have up to 50 keys, keys up to 40 characters and values up to 500 characters.", "metadata");
        }

        var confirm = Bool(form, "confirm");
        var now = options.TimeProvider.GetUtcNow();
        var id = "pi_" + RandomId(24);
        var intent = new StandInPaymentIntent
        {
            Id = id,
            ClientSecret = id + "_secret_" + RandomId(25),
            Amount = amount,
            Currency = currency.Code.ToLowerInvariant(),
            CaptureMethod = captureMethod,
            Created = now.ToUnixTimeSeconds(),
            CreatedAt = now,
            Description = form.Scalar("description"),
            Metadata = metadata,
            ReceiptEmail = form.Scalar("receipt_email"),
            StatementDescriptorSuffix = form.Scalar("statement_descriptor_suffix"),
            AutomaticPaymentMethods = Bool(form, "automatic_payment_methods[enabled]"),
        };
        // Newer API versions name the list allowed_payment_method_types; older clients send payment_method_types.
        var types = form.List("allowed_payment_method_types").Concat(form.List("payment_method_types")).Distinct().ToList();
        if (types.Count > 0)
        {
            intent.PaymentMethodTypes = types;
        }

        var events = new List<StandInEvent>();
        lock (gate)
        {
            intents.Add(id, intent);
            if (form.Scalar("payment_method") is { } pm)
            {
                AttachPaymentMethod(intent, pm);
                intent.Status = "requires_confirmation";
            }

            events.Add(new StandInEvent("payment_intent.created", intent.ToJson()));
            if (confirm)
            {
                // A decline inside create still creates the intent (and raises its events) before answering 402.
                try
                {
                    ConfirmLocked(intent, null, events);
                }
                catch (StripeApiException e) when (e.Status == 402)
                {
                    throw new StripeApiException(e.Status, e.Type, e.Message, e.Code, e.Param)
                    {
                        DeclineCode = e.DeclineCode, PaymentIntent = e.PaymentIntent, PaymentMethod = e.PaymentMethod, Charge = e.Charge,
                        Executed = true, Events = events,
                    };
                }
            }

            return (intent.ToJson(), events);
        }
    }

    public JsonObject Retrieve(string id, string? clientSecret, bool publishable, List<StandInEvent> events)
    {
        lock (gate)
        {
            var intent = Find(id, events);
            CheckClientSecret(intent, clientSecret, publishable);
            return publishable ? intent.ToPublicJson() : intent.ToJson();
        }
    }

    public (JsonObject Intent, List<StandInEvent> Events) Confirm(string id, StripeForm form, bool publishable)
    {
        RefuseUnknown(form, ConfirmParams);
        var events = new List<StandInEvent>();
        lock (gate)
        {
            var intent = Find(id, events);
            CheckClientSecret(intent, form.Scalar("client_secret"), publishable);
            try
            {
                ConfirmLocked(intent, form.Scalar("payment_method"), events);
            }
            catch (StripeApiException e)
            {
                throw WithEvents(e, events);
            }

            return (publishable ? intent.ToPublicJson() : intent.ToJson(), events);
        }
    }

    public (JsonObject Intent, List<StandInEvent> Events) Capture(string id, StripeForm form)
    {
        RefuseUnknown(form, CaptureParams);
        var events = new List<StandInEvent>();
        lock (gate)
        {
            var intent = Find(id, events);
            if (intent.Status != "requires_capture")
            {
                throw WithEvents(StripeApiException.UnexpectedState(
                    $"This PaymentIntent could not be captured because it has a status of {intent.Status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture."), events);
            }

            var amount = form.Has("amount_to_capture") ? RequiredAmount(form, "amount_to_capture") : intent.AmountCapturable;
            if (amount > intent.AmountCapturable)
            {
                throw WithEvents(new StripeApiException(400, "invalid_request_error",
                    $"The amount_to_capture ({amount}) cannot exceed the amount_capturable ({intent.AmountCapturable}).", "amount_too_large", "amount_to_capture") { Executed = true }, events);
            }

            foreach (var (k, v) in form.Map("metadata")) intent.Metadata[k] = v;
            intent.AmountReceived = amount;
            intent.AmountCapturable = 0;
            intent.Status = "succeeded";
            events.Add(new StandInEvent("payment_intent.succeeded", intent.ToJson()));
            return (intent.ToJson(), events);
        }
    }

    public (JsonObject Intent, List<StandInEvent> Events) Cancel(string id, StripeForm form)
    {
        RefuseUnknown(form, CancelParams);
        var reason = form.Scalar("cancellation_reason");
        if (reason is not null && !CancellationReasons.Contains(reason))
        {
            throw StripeApiException.Invalid("Invalid cancellation_reason: must be one of duplicate, fraudulent, requested_by_customer, or abandoned", "cancellation_reason", "parameter_invalid_string");
        }

        var events = new List<StandInEvent>();
        lock (gate)
        {
            var intent = Find(id, events);
            if (!Cancellable.Contains(intent.Status))
            {
                throw WithEvents(StripeApiException.UnexpectedState(
                    $"You cannot cancel this PaymentIntent because it has a status of {intent.Status}. Only a PaymentIntent with one of the following statuses may be canceled: {string.Join(", ", Cancellable)}."), events);
            }

            CancelLocked(intent, reason, events);
            return (intent.ToJson(), events);
        }
    }

    /// <summary>Refunds part or all of a captured PaymentIntent (never more than is captured and not yet refunded).</summary>
    public (JsonObject Refund, List<StandInEvent> Events) Refund(StripeForm form)
    {
        RefundUnknown(form);
        var id = form.Scalar("payment_intent");
        if (string.IsNullOrEmpty(id))
        {
            throw StripeApiException.Invalid("One of the following params should be provided for this request: payment_intent or charge.", "payment_intent", "parameter_missing");
        }

        var reason = form.Scalar("reason");
        if (reason is not null && !RefundReasons.Contains(reason))
        {
            throw StripeApiException.Invalid("Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer", "reason", "parameter_invalid_string");
        }

        var events = new List<StandInEvent>();
        lock (gate)
        {
            var intent = Find(id, events);
            if (intent.Status != "succeeded")
            {
                throw WithEvents(StripeApiException.UnexpectedState(
                    $"This PaymentIntent ({intent.Id}) does not have a successful charge to refund."), events);
            }

            var left = intent.AmountReceived - intent.AmountRefunded;
            if (left <= 0)
            {
                throw WithEvents(new StripeApiException(400, "invalid_request_error", $"Charge {intent.LatestCharge} has already been refunded.",
                    "charge_already_refunded") { Executed = true }, events);
            }

            var amount = form.Has("amount") ? RequiredAmount(form, "amount") : left;
            if (amount <= 0 || amount > left)
            {
                var currency = Currency.Of(intent.Currency.ToUpperInvariant());
                throw WithEvents(new StripeApiException(400, "invalid_request_error",
                    $"Refund amount ({new Money(amount, currency)}) is greater than unrefunded amount on charge ({new Money(left, currency)})",
                    "amount_too_large", "amount") { Executed = true }, events);
            }

            intent.AmountRefunded += amount;
            var metadata = new JsonObject();
            foreach (var (k, v) in form.Map("metadata")) metadata[k] = v;
            var refund = new JsonObject
            {
                ["id"] = "re_" + RandomId(24),
                ["object"] = "refund",
                ["amount"] = amount,
                ["balance_transaction"] = "txn_" + RandomId(24),
                ["charge"] = intent.LatestCharge,
                ["created"] = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds(),
                ["currency"] = intent.Currency,
                ["metadata"] = metadata,
                ["payment_intent"] = intent.Id,
                ["reason"] = reason,
                ["receipt_number"] = null,
                ["status"] = "succeeded",
            };
            events.Add(new StandInEvent("refund.created", refund));
            return (refund, events);
        }
    }

    private static void RefundUnknown(StripeForm form) => RefuseUnknown(form, RefundParams);

    /// <summary>Cancels holds older than the authorization window, as card networks expire them.</summary>
    public List<StandInEvent> ExpireHolds()
    {
        var events = new List<StandInEvent>();
        lock (gate)
        {
            foreach (var intent in intents.Values) Expire(intent, events);
        }

        return events;
    }

    private StandInPaymentIntent Find(string id, List<StandInEvent> events)
    {
        if (!intents.TryGetValue(id, out var intent))
        {
            throw StripeApiException.Missing("payment_intent", id, "intent");
        }

        Expire(intent, events);
        return intent;
    }

    private void Expire(StandInPaymentIntent intent, List<StandInEvent> events)
    {
        if (intent.Status == "requires_capture" && intent.AuthorizedAt is { } at && options.TimeProvider.GetUtcNow() - at >= options.AuthorizationWindow)
        {
            CancelLocked(intent, "automatic", events);
        }
    }

    private void CancelLocked(StandInPaymentIntent intent, string? reason, List<StandInEvent> events)
    {
        intent.Status = "canceled";
        intent.CancellationReason = reason;
        intent.CanceledAt = options.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        intent.AmountCapturable = 0;
        events.Add(new StandInEvent("payment_intent.canceled", intent.ToJson()));
    }

    private static void CheckClientSecret(StandInPaymentIntent intent, string? clientSecret, bool publishable)
    {
        // With a publishable key only the holder of the client secret may see or confirm the intent.
        if (publishable && !string.Equals(intent.ClientSecret, clientSecret, StringComparison.Ordinal))
        {
            throw StripeApiException.Missing("payment_intent", intent.Id, "intent");
        }
    }

    private void ConfirmLocked(StandInPaymentIntent intent, string? paymentMethod, List<StandInEvent> events)
    {
        if (intent.Status is not ("requires_payment_method" or "requires_confirmation"))
        {
            throw StripeApiException.UnexpectedState(
                $"This PaymentIntent's status is {intent.Status}; only a PaymentIntent with status requires_payment_method or requires_confirmation may be confirmed.");
        }

        if (paymentMethod is not null)
        {
            AttachPaymentMethod(intent, paymentMethod);
        }

        if (intent.Card is null)
        {
            throw new StripeApiException(400, "invalid_request_error",
                "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, provide a payment_method.",
                "payment_intent_unexpected_state", "payment_method") { Executed = true };
        }

        var now = options.TimeProvider.GetUtcNow();
        var charge = "ch_" + RandomId(24);
        intent.LatestCharge = charge;
        var card = intent.Card;
        if (!card.Succeeds)
        {
            var pmJson = intent.PaymentMethodJson(now.ToUnixTimeSeconds());
            intent.LastPaymentError = new JsonObject
            {
                ["charge"] = charge,
                ["code"] = card.ErrorCode,
                ["decline_code"] = card.DeclineCode,
                ["message"] = card.Message,
                ["payment_method"] = pmJson.DeepClone(),
                ["type"] = "card_error",
            };
            intent.Status = "requires_payment_method";
            intent.PaymentMethodId = null;
            intent.Card = null;
            var json = intent.ToJson();
            events.Add(new StandInEvent("payment_intent.payment_failed", json));
            throw new StripeApiException(402, "card_error", card.Message!, card.ErrorCode, card.ErrorCode == "incorrect_cvc" ? "cvc" : null)
            {
                DeclineCode = card.DeclineCode,
                Charge = charge,
                PaymentIntent = json,
                PaymentMethod = pmJson,
                Executed = true,
            };
        }

        intent.LastPaymentError = null;
        if (intent.CaptureMethod == "manual")
        {
            intent.Status = "requires_capture";
            intent.AmountCapturable = intent.Amount;
            intent.AuthorizedAt = now;
            events.Add(new StandInEvent("payment_intent.amount_capturable_updated", intent.ToJson()));
        }
        else
        {
            intent.Status = "succeeded";
            intent.AmountReceived = intent.Amount;
            events.Add(new StandInEvent("payment_intent.succeeded", intent.ToJson()));
        }
    }

    private static void AttachPaymentMethod(StandInPaymentIntent intent, string paymentMethod)
    {
        var card = StripeTestPaymentMethods.Find(paymentMethod)
            ?? throw StripeApiException.Missing("PaymentMethod", paymentMethod, "payment_method");
        // Like Stripe, a test method id is cloned into a fresh PaymentMethod for this intent.
        intent.Card = card;
        intent.PaymentMethodId = "pm_" + RandomId(24);
        if (intent.Status == "requires_payment_method")
        {
            intent.Status = "requires_confirmation";
        }
    }

    private static StripeApiException WithEvents(StripeApiException e, List<StandInEvent> events) =>
        new(e.Status, e.Type, e.Message, e.Code, e.Param)
        {
            DeclineCode = e.DeclineCode, PaymentIntent = e.PaymentIntent, PaymentMethod = e.PaymentMethod, Charge = e.Charge,
            Executed = e.Executed, Events = [.. e.Events, .. events.Except(e.Events)],
        };

    private static void RefuseUnknown(StripeForm form, HashSet<string> allowed)
    {
        foreach (var root in form.Roots)
        {
            if (!allowed.Contains(root))
            {
                throw StripeApiException.Invalid($"Received unknown parameter: {root}", root, "parameter_unknown");
            }
        }
    }

    private static long RequiredAmount(StripeForm form, string name)
    {
        var text = form.Scalar(name);
        if (string.IsNullOrEmpty(text))
        {
            throw StripeApiException.Invalid($"Missing required param: {name}.", name, "parameter_missing");
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var amount))
        {
            throw StripeApiException.Invalid($"Invalid integer: {text}", name, "parameter_invalid_integer");
        }

        return amount;
    }

    private static bool Bool(StripeForm form, string name) => form.Scalar(name) switch
    {
        null or "false" => false,
        "true" => true,
        var other => throw StripeApiException.Invalid($"Invalid boolean: {other}", name, "parameter_invalid_string"),
    };

    /// <summary>Stripe's minimum charge (docs: "Minimum and maximum charge amounts"), in minor units.</summary>
    internal static long MinimumAmount(Currency currency) => currency.Code switch
    {
        "GBP" => 30,
        "JPY" => 50,
        "HKD" => 400,
        "MXN" => 1000,
        "NOK" or "SEK" or "DKK" => 300,
        _ => currency.Exponent switch { 0 => 50, 3 => 500, _ => 50 },
    };

    private static string RandomId(int length) =>
        RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", length);
}
