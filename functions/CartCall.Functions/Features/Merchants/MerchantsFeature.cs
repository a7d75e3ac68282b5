namespace CartCall.Functions.Features.Merchants;

public static class MerchantsFeature
{
    public static IServiceCollection AddMerchants(this IServiceCollection services)
    {
        services.AddSingleton<IMerchantStore, TableMerchantStore>();
        return services;
    }
}
