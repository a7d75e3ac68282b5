namespace CartCall.Functions.Adapters.Acs;

/// <summary>A party in a call, as ACS identifies it (the raw id is the stable key).</summary>
public abstract record CommunicationIdentifier
{
    public abstract string RawId { get; }

    internal abstract CommunicationIdentifierModel ToModel();

    internal static CommunicationIdentifier FromModel(CommunicationIdentifierModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.PhoneNumber?.Value is { } phone) return new PhoneNumberIdentifier(phone);
        if (model.CommunicationUser?.Id is { } id) return new CommunicationUserIdentifier(id);
        // Older payloads may carry only the raw id.
        return FromRawId(model.RawId ?? string.Empty);
    }

    /// <summary>The identifier a raw id stands for; its prefix says the kind (<c>4:</c> a phone, <c>8:acs:</c> an ACS user).</summary>
    public static CommunicationIdentifier FromRawId(string rawId)
    {
        ArgumentNullException.ThrowIfNull(rawId);
        if (rawId.StartsWith("4:", StringComparison.Ordinal)) return new PhoneNumberIdentifier(rawId[2..]);
        if (rawId.StartsWith("8:acs:", StringComparison.Ordinal) || rawId.StartsWith("8:spool:", StringComparison.Ordinal))
            return new CommunicationUserIdentifier(rawId);
        return new UnknownIdentifier(rawId);
    }
}

/// <summary>A PSTN number in E.164 form, e.g. <c>+14255550123</c>.</summary>
public sealed record PhoneNumberIdentifier(string PhoneNumber) : CommunicationIdentifier
{
    public override string RawId => "4:" + PhoneNumber;

    internal override CommunicationIdentifierModel ToModel() => new()
    {
        Kind = "phoneNumber",
        RawId = RawId,
        PhoneNumber = new PhoneNumberIdentifierModel { Value = PhoneNumber, IsAnonymous = false },
    };
}

/// <summary>An ACS user (the shopper's or agent's browser), id like <c>8:acs:&lt;resource&gt;_&lt;guid&gt;</c>.</summary>
public sealed record CommunicationUserIdentifier(string Id) : CommunicationIdentifier
{
    public override string RawId => Id;

    internal override CommunicationIdentifierModel ToModel() => new()
    {
        Kind = "communicationUser",
        RawId = Id,
        CommunicationUser = new CommunicationUserIdentifierModel { Id = Id },
    };
}

/// <summary>Any other kind (Teams user, bot...): kept by raw id so nothing is lost.</summary>
public sealed record UnknownIdentifier(string Id) : CommunicationIdentifier
{
    public override string RawId => Id;

    internal override CommunicationIdentifierModel ToModel() => new() { Kind = "unknown", RawId = Id };
}
