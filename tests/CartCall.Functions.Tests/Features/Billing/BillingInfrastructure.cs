using CartCall.Domain.Billing;
using CartCall.Domain.Preferences;
using CartCall.Functions.Adapters.Stripe;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Storage;
using CartCall.LocalCloud.Stripe;
using CartCall.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>A real Azurite with billing's tables and a real Stripe stand-in, shared by a test class.</summary>
public sealed class BillingInfrastructure : IAsyncLifetime
{
    public const string WebhookSecret = "whsec_billing_tests_primary_secret";
    public const string OldWebhookSecret = "whsec_billing_tests_previous_secret";

    private Azurite? azurite;

    public StorageClients Storage { get; private set; } = null!;

    public StripeStandIn Stripe { get; private set; } = null!;

    public string ConnectionString => azurite!.ConnectionString;

    public async Task InitializeAsync()
    {
        azurite = await Azurite.StartAsync();
        Storage = new StorageClients(Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString }));
        foreach (var table in new[] { StorageNames.LedgerTable, StorageNames.PlansTable, StorageNames.HoldsTable })
        {
            await Storage.Table(table).CreateIfNotExistsAsync();
        }

        Stripe = await StripeStandIn.StartAsync(new StripeStandInOptions
        {
            WebhookRetrySchedule = [TimeSpan.FromMilliseconds(100)],
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await Stripe.DisposeAsync();
        if (azurite is not null) await azurite.DisposeAsync();
    }

    public StripeOptions StripeOptions(int retries = 0) => new()
    {
        SecretKey = Stripe.SecretKey,
        PublishableKey = Stripe.PublishableKey,
        ApiBase = Stripe.BaseAddress,
        WebhookSecrets = [WebhookSecret, OldWebhookSecret],
        MaxNetworkRetries = retries,
    };

    public StripePaymentProvider Provider() =>
        new(StripePaymentProvider.CreateClient(StripeOptions()), NullLogger<StripePaymentProvider>.Instance);

    public TableLedgerStore Ledger() => new(Storage, NullLogger<TableLedgerStore>.Instance);

    public (BillingService Billing, StatementService Statements, TableLedgerStore Ledger, TablePlanStore Plans, TableShopperHoldStore Holds)
        Services(TimeProvider? time = null, BillingOptions? options = null, IPaymentProvider? provider = null)
    {
        var ledger = Ledger();
        var plans = new TablePlanStore(Storage, time ?? TimeProvider.System);
        var holds = new TableShopperHoldStore(Storage);
        var billing = new BillingService(ledger, plans, holds, provider ?? Provider(), Options.Create(options ?? new BillingOptions
        {
            TelephonyRates = [new TariffRateOptions(), new TariffRateOptions { Mode = "phone", PerMinuteMinor = 2 }],
        }), time ?? TimeProvider.System, NullLogger<BillingService>.Instance);
        return (billing, new StatementService(ledger, plans), ledger, plans, holds);
    }

    public static string NewMerchant() => "m-" + Guid.NewGuid().ToString("N")[..12];

    public static MerchantPlan Plan(string id = "standard", long fee = 4900, int included = 0) =>
        new(id, "EUR", fee, included, Rounding.PerSecond,
        [
            new RateRule(CallMode.Browser, null, 10, 6),
            new RateRule(CallMode.Phone, null, 20, 12),
            new RateRule(CallMode.Phone, "US", 20, 30),
        ]);
}
