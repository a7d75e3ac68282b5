namespace CartCall.Functions.Adapters.Acs;

/// <summary>Create an outbound call to one or more targets (the shopper's phone or browser).</summary>
public sealed record CreateCallRequest(IReadOnlyList<CommunicationIdentifier> Targets, Uri CallbackUri)
{
    /// <summary>Caller id shown on a PSTN leg; required by the service when any target is a phone number.</summary>
    public PhoneNumberIdentifier? SourceCallerIdNumber { get; init; }

    public string? SourceDisplayName { get; init; }

    /// <summary>Echoed back on the call's events; CartCall puts its call id here.</summary>
    public string? OperationContext { get; init; }

    /// <summary>
    /// The request's repeatability id and first-sent time, when the caller must be able to send the same create-call
    /// again (after a crash, from another process) and have the service answer it as a repeat, never dial twice.
    /// </summary>
    public Repeatability? Repeatability { get; init; }
}

/// <summary><c>Repeatability-Request-ID</c> and <c>Repeatability-First-Sent</c> chosen by the caller.</summary>
public sealed record Repeatability(Guid RequestId, DateTimeOffset FirstSent)
{
    /// <summary>A stable id for one logical request, e.g. "dial attempt 1 of call X": the same name gives the same id.</summary>
    public static Repeatability For(string name, DateTimeOffset firstSent)
    {
        ArgumentNullException.ThrowIfNull(name);
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40); // version 4 layout, as the header expects a UUID
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Repeatability(new Guid(hash.AsSpan(0, 16), bigEndian: true), firstSent);
    }
}

/// <summary>The state of a call connection as the service reports it.</summary>
public sealed record CallConnectionProperties(
    string CallConnectionId,
    string? ServerCallId,
    string? CorrelationId,
    string? CallConnectionState,
    IReadOnlyList<CommunicationIdentifier> Targets,
    Uri? CallbackUri,
    PhoneNumberIdentifier? SourceCallerIdNumber,
    string? SourceDisplayName,
    CommunicationIdentifier? Source);

/// <summary>The service accepted an invitation; the outcome arrives as AddParticipantSucceeded/Failed.</summary>
public sealed record AddParticipantResult(CommunicationIdentifier? Participant, string? InvitationId, string? OperationContext);

/// <summary>The service accepted a cancel of an invitation; the outcome arrives as CancelAddParticipantSucceeded/Failed.</summary>
public sealed record CancelAddParticipantResult(string? InvitationId, string? OperationContext);

/// <summary>The service accepted a removal of a participant; the outcome arrives as RemoveParticipantSucceeded/Failed.</summary>
public sealed record RemoveParticipantResult(string? OperationContext);

/// <summary>Something to play into the call.</summary>
public abstract record PlaySource;

/// <summary>An audio file (wav) the service fetches from <paramref name="Uri"/>.</summary>
public sealed record FilePlaySource(Uri Uri) : PlaySource;

/// <summary>Text spoken by the service's TTS (needs Cognitive Services connected to the resource).</summary>
public sealed record TextPlaySource(string Text, string? VoiceName = null, string? SourceLocale = null) : PlaySource;

/// <summary>Play one or more sources to some participants (empty <see cref="PlayTo"/> = everyone).</summary>
public sealed record PlayRequest(IReadOnlyList<PlaySource> Sources)
{
    public IReadOnlyList<CommunicationIdentifier> PlayTo { get; init; } = [];
    public bool Loop { get; init; }
    public string? OperationContext { get; init; }
    public Uri? OperationCallbackUri { get; init; }
}

/// <summary>Collect DTMF keys from one participant; the result arrives as RecognizeCompleted/Failed.</summary>
public sealed record DtmfRecognitionRequest(CommunicationIdentifier TargetParticipant)
{
    public int MaxTonesToCollect { get; init; } = 1;
    public TimeSpan InitialSilenceTimeout { get; init; } = TimeSpan.FromSeconds(5);
    public TimeSpan InterToneTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Keys that end collection early, as characters (<c>#</c>, <c>*</c>, <c>0</c>-<c>9</c>).</summary>
    public IReadOnlyList<char> StopTones { get; init; } = [];

    public PlaySource? Prompt { get; init; }
    public bool InterruptPrompt { get; init; } = true;
    public string? OperationContext { get; init; }
    public Uri? OperationCallbackUri { get; init; }
}

/// <summary>A new ACS user with a token the browser uses to join calls.</summary>
public sealed record AcsUserAndToken(CommunicationUserIdentifier User, string Token, DateTimeOffset ExpiresOn);

/// <summary>An access token for an existing user.</summary>
public sealed record AcsAccessToken(string Token, DateTimeOffset ExpiresOn);

/// <summary>DTMF tone names as the service spells them on the wire.</summary>
public static class DtmfTones
{
    private static readonly string[] Names =
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

    public static string ToWire(char key) => key switch
    {
        >= '0' and <= '9' => Names[key - '0'],
        '*' => "asterisk",
        '#' => "pound",
        'A' or 'a' => "a",
        'B' or 'b' => "b",
        'C' or 'c' => "c",
        'D' or 'd' => "d",
        _ => throw new ArgumentOutOfRangeException(nameof(key), key, "Not a DTMF key."),
    };

    public static bool TryFromWire(string? tone, out char key)
    {
        key = default;
        if (string.IsNullOrEmpty(tone)) return false;
        var index = Array.IndexOf(Names, tone.ToLowerInvariant());
        if (index >= 0) { key = (char)('0' + index); return true; }
        switch (tone.ToLowerInvariant())
        {
            case "asterisk": key = '*'; return true;
            case "pound": key = '#'; return true;
            case "a" or "b" or "c" or "d": key = char.ToUpperInvariant(tone[0]); return true;
            default:
                // Some payloads use the key itself ("1", "#").
                if (tone.Length == 1 && "0123456789*#".Contains(tone[0], StringComparison.Ordinal)) { key = tone[0]; return true; }
                return false;
        }
    }
}
