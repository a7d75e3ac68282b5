namespace CartCall.Functions.Features.Offers;

public static class OffersFeature
{
    public static IServiceCollection AddOffers(this IServiceCollection services)
    {
        services.AddSingleton<TableOfferCounters>();
        services.AddSingleton<TableOfferStore>();
        services.AddSingleton<OfferOutbox>();
        return services;
    }
}
