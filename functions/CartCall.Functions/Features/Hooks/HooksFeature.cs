namespace CartCall.Functions.Features.Hooks;

/// <summary>Issue 12: merchant hooks (webhooks and local processes) at each lifecycle point.</summary>
public static class HooksFeature
{
    public static IServiceCollection AddHooks(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<HooksOptions>().Bind(configuration.GetSection(HooksOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TableHookStore>();
        services.AddSingleton<WebhookHookRunner>();
        services.AddSingleton<ProcessHookRunner>();
        services.AddSingleton<IHookRunner>(sp => sp.GetRequiredService<WebhookHookRunner>());
        services.AddSingleton<IHookRunner>(sp => sp.GetRequiredService<ProcessHookRunner>());
        services.AddSingleton<HookService>();
        return services;
    }
}
