using CartCall.Domain.Billing;
using CartCall.Functions.Features.Billing;
using CartCall.Functions.Tests.Features.Billing;

namespace CartCall.Functions.Tests.Adapters.Stripe;

/// <summary>The payment-provider port through Stripe.net against the real Stripe stand-in on loopback.</summary>
public sealed class StripePaymentProviderTests(BillingInfrastructure infra) : IClassFixture<BillingInfrastructure>
{
    private static HoldRequest Hold(string? paymentMethod = "pm_card_visa", long amount = 1500) =>
        new("ca_" + Guid.NewGuid().ToString("N")[..10], "demo", new Money(amount, Currency.Eur), "test hold", "hold-" + Guid.NewGuid(), paymentMethod);

    [Fact]
    public async Task AHoldConfirmedWithAGoodCard_IsHeld_AndCapturesPartOfItOnce()
    {
        var provider = infra.Provider();
        var held = await provider.CreateHoldAsync(Hold(), CancellationToken.None);
        Assert.Equal(ProviderPaymentStatus.Held, held.Status);
        Assert.Equal(1500, held.Capturable.Minor);

        var captured = await provider.CaptureAsync(held.Id, new Money(600, Currency.Eur), "cap-" + held.Id, CancellationToken.None);
        var replay = await provider.CaptureAsync(held.Id, new Money(600, Currency.Eur), "cap-" + held.Id, CancellationToken.None);

        Assert.Equal(ProviderPaymentStatus.Captured, captured.Status);
        Assert.Equal(600, captured.Received.Minor);
        Assert.Equal(captured, replay);
        Assert.Null(captured.ClientSecret);
    }

    [Fact]
    public async Task AHoldWithoutAMethod_WaitsForThePaymentElement_WithAClientSecret()
    {
        var pending = await infra.Provider().CreateHoldAsync(Hold(paymentMethod: null), CancellationToken.None);
        Assert.Equal(ProviderPaymentStatus.AwaitingPaymentMethod, pending.Status);
        Assert.StartsWith(pending.Id + "_secret_", pending.ClientSecret);
    }

    [Fact]
    public async Task ADecline_IsADeclinedException_WithStripesDeclineCode()
    {
        var e = await Assert.ThrowsAsync<PaymentDeclinedException>(() =>
            infra.Provider().CreateHoldAsync(Hold("pm_card_chargeDeclinedInsufficientFunds"), CancellationToken.None));
        Assert.Equal("insufficient_funds", e.DeclineCode);
        Assert.Equal(ProviderPaymentStatus.AwaitingPaymentMethod, e.Payment!.Status);
    }

    [Fact]
    public async Task CapturingACancelledHold_ReportsItsCurrentState()
    {
        var provider = infra.Provider();
        var held = await provider.CreateHoldAsync(Hold(), CancellationToken.None);
        var cancelled = await provider.CancelAsync(held.Id, "cancel-" + held.Id, CancellationToken.None);
        Assert.Equal(ProviderPaymentStatus.Cancelled, cancelled.Status);

        var e = await Assert.ThrowsAsync<PaymentStateException>(() =>
            provider.CaptureAsync(held.Id, new Money(100, Currency.Eur), "cap-" + held.Id, CancellationToken.None));
        Assert.Equal(ProviderPaymentStatus.Cancelled, e.Current.Status);
    }

    [Fact]
    public async Task AnOutage_IsUnavailable_AndTheSameKeyWorksAfterwards()
    {
        var provider = infra.Provider();
        var held = await provider.CreateHoldAsync(Hold(), CancellationToken.None);
        infra.Stripe.Outage = true;
        try
        {
            await Assert.ThrowsAsync<PaymentProviderUnavailableException>(() =>
                provider.CaptureAsync(held.Id, new Money(1500, Currency.Eur), "cap-" + held.Id, CancellationToken.None));
        }
        finally
        {
            infra.Stripe.Outage = false;
        }

        var captured = await provider.CaptureAsync(held.Id, new Money(1500, Currency.Eur), "cap-" + held.Id, CancellationToken.None);
        Assert.Equal(1500, captured.Received.Minor);
    }
}
