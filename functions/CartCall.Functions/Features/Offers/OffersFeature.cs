namespace CartCall.Functions.Features.Offers;

public static class OffersFeature
{
    public static IServiceCollection AddOffers(this IServiceCollection services)
    {
        services.AddSingleton<TableOfferCounters>();
        services.AddSingleton<TableOfferStore>();
        services.AddSingleton<OfferAnswerService>();
        services.AddSingleton<OfferDeliveryService>();
        services.AddSingleton<Sessions.IOutboxHandler, OfferOutboxHandler>();
        services.AddSingleton<OfferProposedHooks>();
        services.AddSingleton<Hooks.IHookEventSource, OfferHookEvents>();
        return services;
    }
}
