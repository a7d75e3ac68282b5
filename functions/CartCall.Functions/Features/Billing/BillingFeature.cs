using CartCall.Functions.Adapters.Stripe;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using StripeNet = global::Stripe;

namespace CartCall.Functions.Features.Billing;

/// <summary>Issue 13: plans and metering, shopper holds through Stripe, the ledger and statements.</summary>
public static class BillingFeature
{
    public static IServiceCollection AddBilling(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<BillingOptions>().Bind(configuration.GetSection(BillingOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StripeOptions>().Bind(configuration.GetSection(StripeOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StripeOptions>, StripeOptionsValidator>();
        services.AddSingleton<StripeNet.IStripeClient>(sp => StripePaymentProvider.CreateClient(sp.GetRequiredService<IOptions<StripeOptions>>().Value));
        services.TryAddSingleton<IPaymentProvider, StripePaymentProvider>();
        services.AddSingleton<StripeWebhookVerifier>();
        services.AddSingleton<ILedgerStore, TableLedgerStore>();
        services.AddSingleton<IPlanStore, TablePlanStore>();
        services.AddSingleton<IShopperHoldStore, TableShopperHoldStore>();
        services.AddSingleton<BillingService>();
        services.AddSingleton<TableDailySpend>();
        services.AddSingleton<TableUnsettledCalls>();
        services.AddSingleton<CallSettlement>();
        services.AddSingleton<UnusedHolds>();
        services.AddSingleton<StatementService>();
        services.AddSingleton<Hooks.IHookEventSource, ChargeHookEvents>();
        return services;
    }
}
