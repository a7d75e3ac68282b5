namespace CartCall.LocalCloud.Acs;

/// <summary>How a simulated party (a phone number or an ACS user) behaves when it is called.</summary>
public enum PartyBehavior
{
    /// <summary>Answers after <see cref="PartyScript.AnswerAfter"/>.</summary>
    Answer,

    /// <summary>Refuses at once as busy (486).</summary>
    Busy,

    /// <summary>Rings until the invitation times out (408).</summary>
    NoAnswer,

    /// <summary>Declines (603).</summary>
    Reject,

    /// <summary>Rings until a person answers or declines on the stand-in's page (or the ring timeout, 408).</summary>
    Manual,

    /// <summary>
    /// An ACS user who answers in a browser: rings every page signed in as that identity on the stand-in's calling
    /// WebSocket (<c>/calling/signaling</c>) and follows what the page does (answer, decline, mute, hang up); the
    /// stand-in relays SDP and loopback ICE between two such pages in one call. Unanswered: the ring timeout (408).
    /// </summary>
    Browser,
}

/// <summary>Fault knobs for callback delivery.</summary>
public sealed record AcsFaults
{
    public static readonly AcsFaults None = new();

    /// <summary>Every callback is posted twice (same CloudEvent id, fresh token).</summary>
    public bool DeliverTwice { get; init; }

    /// <summary>Every callback waits this long before it is posted.</summary>
    public TimeSpan CallbackDelay { get; init; }

    /// <summary>Consecutive callbacks of one call are swapped pairwise (a held event goes after the next one).</summary>
    public bool OutOfOrder { get; init; }

    /// <summary>The create-call HTTP reply is held until the call's first callback was delivered.</summary>
    public bool CallbacksBeforeReply { get; init; }

    /// <summary>Callbacks of these types (e.g. <c>CallConnected</c>) are never sent, as if lost on the way.</summary>
    public IReadOnlySet<string> Drop { get; init; } = new HashSet<string>();

    public bool Any => DeliverTwice || CallbackDelay > TimeSpan.Zero || OutOfOrder || CallbacksBeforeReply || Drop.Count > 0;
}

/// <summary>A simulated party's script.</summary>
public sealed record PartyScript
{
    public static readonly PartyScript Default = new();

    public PartyBehavior Behavior { get; init; } = PartyBehavior.Answer;

    /// <summary>Ring time before answering (or before busy/reject).</summary>
    public TimeSpan AnswerAfter { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Once connected, the party hangs up after this long; null stays until hung up.</summary>
    public TimeSpan? HangUpAfter { get; init; }

    /// <summary>Keys pressed when the app starts DTMF recognition for this party (e.g. "12#"); null presses none.</summary>
    public string? DtmfKeys { get; init; }

    /// <summary>Pause between the recognize request and the first key.</summary>
    public TimeSpan DtmfDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// An added party whose invitation is cancelled while it rings answers in that very moment, so the cancel comes too
    /// late (CancelAddParticipantFailed) and the party is on the call: the race an app that cancels must handle.
    /// </summary>
    public bool AnswersAsCancelled { get; init; }

    /// <summary>Fault knobs for calls placed to this party (override the stand-in's).</summary>
    public AcsFaults? Faults { get; init; }

    public static PartyScript Answers(TimeSpan? after = null) => new() { AnswerAfter = after ?? TimeSpan.FromMilliseconds(200) };
    public static PartyScript IsBusy() => new() { Behavior = PartyBehavior.Busy, AnswerAfter = TimeSpan.FromMilliseconds(50) };
    public static PartyScript NeverAnswers() => new() { Behavior = PartyBehavior.NoAnswer };
    public static PartyScript Rejects() => new() { Behavior = PartyBehavior.Reject, AnswerAfter = TimeSpan.FromMilliseconds(50) };
    public static PartyScript ByPerson() => new() { Behavior = PartyBehavior.Manual };
    /// <summary>Rings (for 10 minutes) until its invitation is cancelled, and answers just as the cancel arrives.</summary>
    public static PartyScript AnswersJustAsCancelled() => new() { AnswerAfter = TimeSpan.FromMinutes(10), AnswersAsCancelled = true };
    public static PartyScript InBrowser() => new() { Behavior = PartyBehavior.Browser };
}

/// <summary>Settings for <see cref="AcsStandIn"/>.</summary>
public sealed class AcsStandInOptions
{
    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Base64 access key; null generates one.</summary>
    public string? AccessKey { get; set; }

    /// <summary>The resource's immutable id (callback JWT audience); null generates a GUID.</summary>
    public string? ResourceId { get; set; }

    /// <summary>Callback JWT issuer; null uses the stand-in's own base URL.</summary>
    public string? Issuer { get; set; }

    /// <summary>Scripts by phone number (<c>+1...</c>), raw id (<c>4:+1...</c>) or ACS user id.</summary>
    public Dictionary<string, PartyScript> Parties { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>For anyone not in <see cref="Parties"/>: answers after 200 ms and stays.</summary>
    public PartyScript DefaultParty { get; set; } = PartyScript.Default;

    /// <summary>
    /// For ACS users this stand-in's Identity API created and <see cref="Parties"/> does not name (the shoppers'
    /// browser identities the app creates at accept); null uses <see cref="DefaultParty"/>. Set it to
    /// <see cref="PartyScript.InBrowser"/> so a browser call rings the shopper's page.
    /// </summary>
    public PartyScript? IssuedUserParty { get; set; }

    /// <summary>How long a page has to send its <c>auth</c> frame on the calling WebSocket before it is closed.</summary>
    public TimeSpan SignalingAuthTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Faults for every call (a party's own script may override).</summary>
    public AcsFaults Faults { get; set; } = AcsFaults.None;

    /// <summary>Ring time for NoAnswer/Manual parties when the request gives none (ACS default is about 30 s+).</summary>
    public TimeSpan RingTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a played prompt "lasts" before PlayCompleted.</summary>
    public TimeSpan PlayDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How many times a callback post is tried on a network error or a 5xx.</summary>
    public int CallbackAttempts { get; set; } = 3;

    /// <summary>Allowed difference between x-ms-date and now (the service's is 15 min).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(15);

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
