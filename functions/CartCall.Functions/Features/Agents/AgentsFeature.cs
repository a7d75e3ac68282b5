using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Agents;

public static class AgentsFeature
{
    public static IServiceCollection AddAgents(this IServiceCollection services)
    {
        services.AddSingleton<TableAgentStore>();
        return services;
    }

    public static IEndpointRouteBuilder MapAgents(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/merchants/{merchantId}/agents").AddEndpointFilter<AdminKeyFilter>().WithTags("Agents");
        group.MapPut("/{agentId}", SetAgentPresence.HandleAsync).AsFunction(SetAgentPresence.Name)
            .Accepts<Agent>("application/json").Produces<Agent>().ProducesProblem(400).ProducesProblem(404);
        group.MapGet("", ListAgents.HandleAsync).AsFunction(ListAgents.Name).Produces<IReadOnlyList<Agent>>();
        return app;
    }
}
