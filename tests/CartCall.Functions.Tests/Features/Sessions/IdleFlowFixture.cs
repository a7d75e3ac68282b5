using CartCall.Functions.Features.Sessions;
using CartCall.Functions.Storage;
using CartCall.Functions.Tests.Features.Offers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CartCall.Functions.Tests.Features.Sessions;

/// <summary>
/// The offer flow with the product's idle schedule (30 s, 90 s, 3 min, then every 5 min) on the test's manual clock.
/// Check messages are handed out a second after they are sent whatever their due time on the manual clock, so a check
/// not yet due on that clock comes back every second (and only resends itself) until the test moves the clock past it.
/// </summary>
public sealed class IdleFlowFixture : OfferFlowFixture
{
    protected override IEnumerable<KeyValuePair<string, string?>> IdleSchedule => [];

    protected override void ConfigureServices(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<ReevaluationQueue, ImpatientReevaluationQueue>());

    private sealed class ImpatientReevaluationQueue(StorageClients storage, TimeProvider time) : ReevaluationQueue(storage, time)
    {
        protected override TimeSpan Delay(TimeSpan untilDue) => untilDue <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromSeconds(1);
    }
}

[CollectionDefinition(Name)]
public sealed class IdleFlowCollection : ICollectionFixture<IdleFlowFixture>
{
    public const string Name = "idle checks on the product schedule";
}
