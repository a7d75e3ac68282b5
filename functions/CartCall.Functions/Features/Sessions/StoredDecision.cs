using CartCall.Domain.Offers;

namespace CartCall.Functions.Features.Sessions;

/// <summary>One offer decision, yes or no, with the reasons: what the merchant's decision log shows.</summary>
public sealed record StoredDecision(
    string MerchantId,
    string SessionId,
    DateTimeOffset DecidedAt,
    string Trigger,
    string? EventId,
    bool Propose,
    double Score,
    string State,
    decimal ExpectedValue,
    IReadOnlyList<StoredReason> Reasons,
    IReadOnlyList<StoredScoreReason> ScoreReasons,
    string? OfferId);

public sealed record StoredReason(string Code, string Message)
{
    public static StoredReason From(DecisionReason r) => new(r.Code.ToString(), r.Message);
}

public sealed record StoredScoreReason(string Feature, double Contribution, string Description);
