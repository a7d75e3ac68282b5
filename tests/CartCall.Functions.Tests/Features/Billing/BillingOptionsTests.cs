using System.ComponentModel.DataAnnotations;
using CartCall.Functions.Features.Billing;

namespace CartCall.Functions.Tests.Features.Billing;

/// <summary>Billing's timings are checked at start-up: a sweep or a release set outside what a card hold allows does not start.</summary>
public sealed class BillingOptionsTests
{
    private static List<ValidationResult> Validate(BillingOptions options) => [.. options.Validate(new ValidationContext(options))];

    [Fact]
    public void TheDefaults_AreTaken()
    {
        Assert.Empty(Validate(new BillingOptions()));
    }

    [Theory]
    [InlineData("-00:00:01")]
    [InlineData("01:00:01")]
    public void AnUnusedHoldGrace_BelowZeroOrAboveAnHour_IsRefused(string grace)
    {
        var problems = Validate(new BillingOptions { UnusedHoldGrace = TimeSpan.Parse(grace, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Contains(problems, p => p.MemberNames.Contains(nameof(BillingOptions.UnusedHoldGrace)));
    }

    [Theory]
    [InlineData("00:09:59")]
    [InlineData("6.00:00:01")]
    public void ASweepOutsideTenMinutesToSixDays_IsRefused(string after)
    {
        var problems = Validate(new BillingOptions { SweepHoldsAfter = TimeSpan.Parse(after, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.Contains(problems, p => p.MemberNames.Contains(nameof(BillingOptions.SweepHoldsAfter)));
    }
}
