namespace CartCall.Functions.Features.AgentWorkspace;

/// <summary>The agent workspace: per-agent keys, the agent's API and the page.</summary>
public static class AgentWorkspaceFeature
{
    public static IServiceCollection AddAgentWorkspace(this IServiceCollection services)
    {
        services.AddSingleton<AgentKeys>();
        services.AddSingleton<AgentWorkspaceService>();
        return services;
    }
}
