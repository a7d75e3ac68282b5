namespace CartCall.Functions.Features.Sessions;

public static class SessionsFeature
{
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddSingleton<SessionCache>(sp => new SessionCache(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<Hosting.CacheOptions>>().Value.SessionEntries));
        services.AddSingleton<ISessionStore, TableSessionStore>();
        services.AddSingleton<ReevaluationQueue>();
        services.AddSingleton<IOutboxHandler, ReevaluationOutboxHandler>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddSingleton<OutboxSweeper>();
        services.AddSingleton<SessionEvaluator>();
        return services;
    }
}
