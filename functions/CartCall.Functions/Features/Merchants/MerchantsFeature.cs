using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Merchants;

public static class MerchantsFeature
{
    public static IServiceCollection AddMerchants(this IServiceCollection services)
    {
        services.AddSingleton<IMerchantStore, TableMerchantStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapMerchants(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/merchants").AddEndpointFilter<AdminKeyFilter>().WithTags("Merchants");
        admin.MapPut("/{merchantId}", UpsertMerchant.HandleAsync).AsFunction(UpsertMerchant.Name)
            .Accepts<Merchant>("application/json").Produces<Merchant>(200).Produces<Merchant>(201).ProducesProblem(400).ProducesProblem(401);
        admin.MapGet("/{merchantId}", GetMerchant.HandleAsync).AsFunction(GetMerchant.Name)
            .Produces<Merchant>().ProducesProblem(404).ProducesProblem(401);
        return app;
    }
}
