using System.ComponentModel.DataAnnotations;
using CartCall.Functions.Features.Hooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Hooks;

public sealed class HooksOptionsTests
{
    private static List<string> Problems(HooksOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results.Select(r => r.ErrorMessage!).ToList();
    }

    [Fact]
    public void Defaults_AreValid() => Assert.Empty(Problems(new HooksOptions()));

    [Fact]
    public void BadExecutablesAndBounds_AreEachNamed()
    {
        var options = new HooksOptions();
        options.Processes.Executables["relative"] = new HookExecutable { Path = "hooks/tier.sh" };
        options.Processes.Executables["missing"] = new HookExecutable { Path = "/nonexistent/tier.sh" };
        options.Processes.Executables["bad name!"] = new HookExecutable { Path = HookTestSupport.SampleProgram };
        options.Processes.MaxConcurrentProcesses = 0;
        options.Webhooks.BreakerMinimumThroughput = 1;

        var problems = Problems(options);

        Assert.Contains(problems, p => p.Contains("relative:Path must be an absolute path", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'/nonexistent/tier.sh' does not exist", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'bad name!'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("MaxConcurrentProcesses", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("BreakerMinimumThroughput", StringComparison.Ordinal));
    }

    [Fact]
    public void AddHooks_BindsTheAllowListFromConfiguration_AndValidatesIt()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CartCall:Hooks:AllowLoopbackWebhooks"] = "true",
            ["CartCall:Hooks:Processes:Executables:tier:Path"] = HookTestSupport.SampleProgram,
            ["CartCall:Hooks:Processes:Executables:tier:Environment:SENIOR_AGENT_ID"] = "agent-7",
            ["CartCall:Hooks:Processes:Executables:broken:Path"] = "relative.sh",
        }).Build();
        using var provider = new ServiceCollection().AddHooks(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<HooksOptions>>().Value);
        Assert.Contains("broken:Path", error.Message, StringComparison.Ordinal);
    }
}
