using CartCall.LocalCloud.EventGrid;

namespace CartCall.LocalCloud.Tests.EventGrid;

public sealed class EventGridRetryPolicyTests
{
    private static readonly EventGridRetryPolicy Real = new(EventGridStandInOptions.DefaultRetrySchedule);

    [Theory]
    [InlineData(1, 500, 10)]
    [InlineData(2, 500, 30)]
    [InlineData(3, 404, 60)]
    [InlineData(10, 500, 12 * 3600)]
    [InlineData(25, 500, 12 * 3600)]
    public void DelayAfter_FollowsTheDocumentedScheduleAndRepeatsTheLastStep(int failedAttempts, int status, int expectedSeconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), Real.DelayAfter(failedAttempts, status));
    }

    [Fact]
    public void DelayAfter_503_WaitsAtLeast30Seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), Real.DelayAfter(1, 503));
        Assert.Equal(TimeSpan.FromMinutes(5), Real.DelayAfter(4, 503));
    }

    [Fact]
    public void DelayAfter_408_WaitsAtLeast2Minutes()
    {
        Assert.Equal(TimeSpan.FromMinutes(2), Real.DelayAfter(1, 408));
    }

    [Fact]
    public void DelayAfter_CompressedSchedule_ScalesTheFloorsByTheSameFactor()
    {
        var compressed = new EventGridRetryPolicy([TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100)]);

        Assert.Equal(TimeSpan.FromMilliseconds(150), compressed.DelayAfter(1, 503));
        Assert.Equal(TimeSpan.FromMilliseconds(600), compressed.DelayAfter(1, 408));
        Assert.Equal(TimeSpan.FromMilliseconds(100), compressed.DelayAfter(5, null));
    }

    [Theory]
    [InlineData(400, true)]
    [InlineData(401, true)]
    [InlineData(403, true)]
    [InlineData(413, true)]
    [InlineData(404, false)]
    [InlineData(408, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void IsNonRetriable_MatchesTheWebhookTable(int status, bool expected)
    {
        Assert.Equal(expected, EventGridRetryPolicy.IsNonRetriable(status));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(202, true)]
    [InlineData(204, true)]
    [InlineData(205, false)]
    [InlineData(302, false)]
    public void IsSuccess_OnlyFor200To204(int status, bool expected)
    {
        Assert.Equal(expected, EventGridRetryPolicy.IsSuccess(status));
    }

    [Theory]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(429, true)]
    [InlineData(408, true)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(200, false)]
    public void IsUnavailable_ForTimeoutsThrottlingAndServerErrors(int status, bool expected)
    {
        Assert.Equal(expected, EventGridRetryPolicy.IsUnavailable(status));
    }
}
