using System.Collections.Immutable;
using Microsoft.Azure.Functions.Worker;
using Moq;

namespace CartCall.Functions.Tests.Hosting.Middleware;

/// <summary>Function contexts for middleware unit tests: a function of a given trigger and entry point.</summary>
internal static class WorkerContexts
{
    public static Mock<FunctionContext> For(string triggerType, string entryPoint = "CartCall.Functions.Features.Health.GetHealth.RunAsync")
    {
        var binding = new Mock<BindingMetadata>();
        binding.SetupGet(b => b.Type).Returns(triggerType);
        binding.SetupGet(b => b.Name).Returns("trigger");
        var definition = new Mock<FunctionDefinition>();
        definition.SetupGet(d => d.InputBindings).Returns(ImmutableDictionary<string, BindingMetadata>.Empty.Add("trigger", binding.Object));
        definition.SetupGet(d => d.EntryPoint).Returns(entryPoint);
        definition.SetupGet(d => d.Name).Returns(entryPoint.Split('.')[^2]);
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.FunctionDefinition).Returns(definition.Object);
        context.SetupGet(c => c.Items).Returns(new Dictionary<object, object>());
        context.SetupGet(c => c.InvocationId).Returns("inv-1");
        return context;
    }
}
