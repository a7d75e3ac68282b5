namespace CartCall.Functions.Features.Sessions;

public static class SessionsFeature
{
    public static IServiceCollection AddSessions(this IServiceCollection services)
    {
        services.AddSingleton<SessionCache>(_ => new SessionCache());
        services.AddSingleton<ISessionStore, TableSessionStore>();
        services.AddSingleton<ReevaluationQueue>();
        services.AddSingleton<SessionEvaluator>();
        return services;
    }
}
