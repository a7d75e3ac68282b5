using CartCall.Domain.Calls;

namespace CartCall.Domain.Tests.Calls;

public sealed class AgentAvailabilityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan WrapUp = TimeSpan.FromSeconds(30);

    [Fact]
    public void AnAgentHeldForOneCall_CannotBeHeldForAnother()
    {
        var agent = AgentAvailability.Initial(true, T0).Reserve("call-a", T0)!;

        Assert.Null(agent.Reserve("call-b", T0));
        Assert.Same(agent, agent.Reserve("call-a", T0));
        Assert.False(agent.IsAvailable(T0));
    }

    [Fact]
    public void AfterTalking_TheAgentWrapsUp_ThenIsAvailableAgain_WithoutAnyoneActing()
    {
        var agent = AgentAvailability.Initial(true, T0).Reserve("c", T0)!.Join("c", T0)!.Release("c", talked: true, T0.AddMinutes(5), WrapUp);

        Assert.Equal(AgentStatus.WrapUp, agent.Effective(T0.AddMinutes(5).AddSeconds(10)));
        Assert.Null(agent.Reserve("next", T0.AddMinutes(5).AddSeconds(10)));
        Assert.True(agent.IsAvailable(T0.AddMinutes(5) + WrapUp));
        Assert.NotNull(agent.Reserve("next", T0.AddMinutes(5) + WrapUp));
    }

    [Fact]
    public void AReservationThatCameToNothing_FreesTheAgentAtOnce()
    {
        var agent = AgentAvailability.Initial(true, T0).Reserve("c", T0)!.Release("c", talked: false, T0.AddSeconds(20), WrapUp);

        Assert.True(agent.IsAvailable(T0.AddSeconds(20)));
    }

    [Fact]
    public void ALateOrRepeatedRelease_ForAnotherCall_DoesNotFreeTheAgent()
    {
        var agent = AgentAvailability.Initial(true, T0).Reserve("c1", T0)!.Release("c1", false, T0, WrapUp).Reserve("c2", T0)!;

        var after = agent.Release("c1", false, T0.AddSeconds(1), WrapUp);

        Assert.Equal(AgentStatus.Reserved, after.Status);
        Assert.Equal("c2", after.CallId);
    }

    [Fact]
    public void GoingAwayDuringACall_TakesEffectWhenItEnds()
    {
        var agent = AgentAvailability.Initial(true, T0).Reserve("c", T0)!.Join("c", T0)!.SetPresence(false, T0.AddMinutes(1));
        Assert.Equal(AgentStatus.Busy, agent.Status);

        var after = agent.Release("c", true, T0.AddMinutes(2), WrapUp);

        Assert.Equal(AgentStatus.Away, after.Status);
        Assert.Null(after.Reserve("x", T0.AddHours(1)));
    }

    [Fact]
    public void JoiningACallTheAgentWasNotHeldFor_IsRefused() =>
        Assert.Null(AgentAvailability.Initial(true, T0).Join("c", T0));
}
