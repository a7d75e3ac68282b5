namespace CartCall.Functions.Features.Agents;

public static class AgentsFeature
{
    public static IServiceCollection AddAgents(this IServiceCollection services)
    {
        services.AddSingleton<TableAgentStore>();
        return services;
    }
}
