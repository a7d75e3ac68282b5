using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>DI registration for the ACS adapter (options section <c>Acs</c>).</summary>
public static class AcsServiceCollectionExtensions
{
    public static IServiceCollection AddAcs(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<AcsOptions>().Bind(configuration.GetSection(AcsOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AcsOptions>, AcsOptionsValidator>();
        services.AddSingleton(sp => new AcsCallClient(sp.GetRequiredService<IOptions<AcsOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AcsIdentityClient(sp.GetRequiredService<IOptions<AcsOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AcsCallbackAuthenticator(
            sp.GetRequiredService<IOptions<AcsOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<AcsCallbackAuthenticator>>()));
        return services;
    }
}
