using System.Text;
using CartCall.Domain.Hooks;

namespace CartCall.Domain.Tests.Hooks;

public class HookAnswerParserTests
{
    private static (HookAnswer? Answer, string? Problem) Parse(string s) => HookAnswerParser.Parse(Encoding.UTF8.GetBytes(s));

    [Theory]
    [InlineData("")]
    [InlineData("  \n")]
    [InlineData("{\"action\":\"continue\"}")]
    public void Parse_EmptyOrContinue_IsContinue(string output) =>
        Assert.Equal(HookAction.Continue, Parse(output).Answer!.Action);

    [Fact]
    public void Parse_Veto_KeepsTheShopperFacingReason()
    {
        var answer = Parse("{\"action\":\"veto\",\"reason\":\" We don't call on Sundays. \"}").Answer!;
        Assert.Equal(HookAction.Veto, answer.Action);
        Assert.Equal("We don't call on Sundays.", answer.Reason);
    }

    [Fact]
    public void Parse_Route_KeepsTheAgentAndData()
    {
        var answer = Parse("{\"action\":\"route\",\"agentId\":\"agent-7\",\"data\":{\"tier\":\"gold\",\"ltv\":1234.5,\"vip\":true}}").Answer!;
        Assert.Equal("agent-7", answer.AgentId);
        Assert.Equal("gold", answer.Data["tier"]);
        Assert.Equal("1234.5", answer.Data["ltv"]);
        Assert.Equal("true", answer.Data["vip"]);
    }

    [Fact]
    public void Parse_UnknownFields_AreIgnored() =>
        Assert.Equal(HookAction.Enrich, Parse("{\"action\":\"enrich\",\"data\":{\"a\":\"b\"},\"future\":[1,2]}").Answer!.Action);

    [Theory]
    [InlineData("<html>oops</html>", "not JSON")]
    [InlineData("{\"action\":\"continue\"} trailing", "more after its JSON object")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"verdict\":\"ok\"}", "no \"action\"")]
    [InlineData("{\"action\":\"transfer_money\"}", "unknown action 'transfer_money'")]
    [InlineData("{\"action\":\"veto\"}", "needs a \"reason\"")]
    [InlineData("{\"action\":\"route\",\"agentId\":\" \"}", "needs an \"agentId\"")]
    [InlineData("{\"action\":\"enrich\"}", "non-empty \"data\"")]
    [InlineData("{\"action\":\"enrich\",\"data\":{\"a\":{\"nested\":1}}}", "must be text, a number or a boolean")]
    [InlineData("{\"action\":\"enrich\",\"data\":[1]}", "must be an object")]
    public void Parse_InvalidOutput_IsAProblemNotAnException(string output, string expected)
    {
        var (answer, problem) = Parse(output);
        Assert.Null(answer);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooManyDataEntries_IsAProblem()
    {
        var entries = string.Join(",", Enumerable.Range(0, HookBounds.MaxDataEntries + 1).Select(i => $"\"k{i}\":\"v\""));
        Assert.Contains("more than 32 entries", Parse($"{{\"action\":\"enrich\",\"data\":{{{entries}}}}}").Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TooLongReason_IsAProblem() =>
        Assert.Contains("longer than 200", Parse($"{{\"action\":\"veto\",\"reason\":\"{new string('x', 201)}\"}}").Problem, StringComparison.Ordinal);

    [Fact]
    public void Parse_DeeplyNestedJson_IsAProblemNotAnException()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.Contains("not JSON", Parse(deep).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrow()
    {
        var random = new Random(12);
        for (var i = 0; i < 2_000; i++)
        {
            var bytes = new byte[random.Next(0, 64)];
            random.NextBytes(bytes);
            var (answer, problem) = HookAnswerParser.Parse(bytes);
            Assert.True(answer is not null ^ problem is not null);
        }
    }
}
