using System.ComponentModel.DataAnnotations;
using CartCall.Functions.Adapters.EventGrid;

namespace CartCall.Functions.Tests.Adapters.EventGrid;

/// <summary>
/// The delivery key is what keeps strangers from posting offers to DeliverOffer (anonymous to the Functions host), so
/// the app does not start without one, nor with a Key Vault reference App Service could not resolve.
/// </summary>
public sealed class EventGridOptionsTests
{
    private static List<ValidationResult> Validate(string? deliveryKey)
    {
        var options = new EventGridOptions { TopicEndpoint = new Uri("https://topic.example/api/events"), DeliveryKey = deliveryKey };
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        results.AddRange(options.Validate(new ValidationContext(options)));
        return results;
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("too-short")]
    [InlineData("@Microsoft.KeyVault(VaultName=kv-cartcall;SecretName=eventgrid-delivery-key)")]
    public void WithoutAUsableDeliveryKey_TheAppDoesNotStart(string? key)
    {
        Assert.Contains(Validate(key), r => r.MemberNames.Contains(nameof(EventGridOptions.DeliveryKey)));
    }

    [Fact]
    public void AGeneratedKey_IsTaken()
    {
        Assert.Empty(Validate("k3q9x2m5v7c1b8n4z6a0s2d4f6g8h1j3"));
    }
}
