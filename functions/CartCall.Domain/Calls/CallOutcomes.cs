namespace CartCall.Domain.Calls;

/// <summary>How a call ended. Strings on the wire, in the call record and in the CallEnded event.</summary>
public static class CallOutcomes
{
    public const string Completed = "completed";
    public const string ShopperBusy = "shopper_busy";
    public const string ShopperNoAnswer = "shopper_no_answer";
    public const string ShopperDeclined = "shopper_declined";
    public const string ShopperHungUp = "shopper_hung_up";
    public const string AgentUnavailable = "agent_unavailable";
    public const string DialFailed = "dial_failed";
    public const string Vetoed = "vetoed";
    public const string Failed = "failed";

    /// <summary>The shopper's leg not being answered is an outcome of a working call, not a fault.</summary>
    public static string? FromShopperLegCode(int? code) => code switch
    {
        486 or 600 => ShopperBusy,
        408 or 480 or 487 => ShopperNoAnswer,
        603 => ShopperDeclined,
        _ => null,
    };
}
