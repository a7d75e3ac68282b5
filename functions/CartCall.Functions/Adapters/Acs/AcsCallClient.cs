using Azure.Core;
using Azure.Core.Pipeline;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>
/// Typed client for ACS Call Automation REST (create/answer/get/add/cancel add/remove/play/recognize/hang up).
/// <para>
/// Why hand-written: the official client, Azure.Communication.CallAutomation, cannot be restored here (no
/// <c>Azure.Communication.*</c> package is served by the feed this project builds from). So this small client speaks
/// the same REST API on Azure.Core's <c>HttpPipeline</c> (retries, logging, the <c>Repeatability-*</c> headers, HMAC
/// auth), with request shapes taken from what the official client sends. It is a seam: the Calls feature uses only
/// this class's methods and the models beside it, so the official <c>CallAutomationClient</c> can slot in behind them
/// when the package is obtainable, without touching the call flow.
/// </para>
/// </summary>
public sealed class AcsCallClient
{
    private static readonly int[] Created = [200, 201];
    private static readonly int[] Ok = [200];
    private static readonly int[] Accepted = [200, 202];
    private static readonly int[] NoContent = [200, 204];

    private readonly AcsPipeline _pipeline;
    private readonly string _apiVersion;

    /// <param name="credential">Used only without a connection string; null picks managed identity / DefaultAzureCredential.</param>
    /// <param name="transport">Tests inject a transport; production uses Azure.Core's shared HttpClient.</param>
    public AcsCallClient(AcsOptions options, TimeProvider timeProvider, TokenCredential? credential = null, HttpPipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _pipeline = AcsPipeline.Create(options, timeProvider, credential, transport);
        _apiVersion = options.ApiVersion;
    }

    public Uri Endpoint => _pipeline.Endpoint;

    public async Task<CallConnectionProperties> CreateCallAsync(CreateCallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Targets.Count == 0) throw new ArgumentException("A call needs at least one target.", nameof(request));
        if (request.Targets.Any(t => t is PhoneNumberIdentifier) && request.SourceCallerIdNumber is null)
            throw new ArgumentException("A PSTN target needs SourceCallerIdNumber.", nameof(request));

        var body = new CreateCallRequestModel
        {
            Targets = request.Targets.Select(t => t.ToModel()).ToList(),
            SourceCallerIdNumber = request.SourceCallerIdNumber is { } caller
                ? new PhoneNumberIdentifierModel { Value = caller.PhoneNumber, IsAnonymous = false }
                : null,
            SourceDisplayName = request.SourceDisplayName,
            OperationContext = request.OperationContext,
            CallbackUri = request.CallbackUri.AbsoluteUri,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, "/calling/callConnections", _apiVersion, repeatable: true);
        Stamp(message, request.Repeatability);

        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.CreateCallRequestModel);
        var response = await _pipeline.SendAsync(message, "CreateCall", Created, cancellationToken).ConfigureAwait(false);
        return ToProperties(AcsPipeline.ReadJson(response, AcsJsonContext.Default.CallConnectionPropertiesModel, "CreateCall"));
    }

    /// <summary>Answers an incoming call (IncomingCall arrives through Event Grid).</summary>
    public async Task<CallConnectionProperties> AnswerCallAsync(string incomingCallContext, Uri callbackUri, string? operationContext = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(incomingCallContext);
        ArgumentNullException.ThrowIfNull(callbackUri);
        var body = new AnswerCallRequestModel
        {
            IncomingCallContext = incomingCallContext,
            CallbackUri = callbackUri.AbsoluteUri,
            OperationContext = operationContext,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, "/calling/callConnections:answer", _apiVersion, repeatable: true);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.AnswerCallRequestModel);
        var response = await _pipeline.SendAsync(message, "AnswerCall", Ok, cancellationToken).ConfigureAwait(false);
        return ToProperties(AcsPipeline.ReadJson(response, AcsJsonContext.Default.CallConnectionPropertiesModel, "AnswerCall"));
    }

    public async Task<CallConnectionProperties> GetCallAsync(string callConnectionId, CancellationToken cancellationToken = default)
    {
        using var message = _pipeline.CreateMessage(RequestMethod.Get, CallPath(callConnectionId), _apiVersion, repeatable: false);
        var response = await _pipeline.SendAsync(message, "GetCall", Ok, cancellationToken).ConfigureAwait(false);
        return ToProperties(AcsPipeline.ReadJson(response, AcsJsonContext.Default.CallConnectionPropertiesModel, "GetCall"));
    }

    /// <summary>Who is on the call now; null when the service has no such call.</summary>
    public async Task<IReadOnlyList<CommunicationIdentifier>?> ListParticipantsAsync(string callConnectionId, CancellationToken cancellationToken = default)
    {
        var all = new List<CommunicationIdentifier>();
        using var message = _pipeline.CreateMessage(RequestMethod.Get, CallPath(callConnectionId) + "/participants", _apiVersion, repeatable: false);
        Azure.Response response;
        try
        {
            response = await _pipeline.SendAsync(message, "GetParticipants", Ok, cancellationToken).ConfigureAwait(false);
        }
        catch (AcsRequestFailedException e) when (e.Status == 404)
        {
            return null;
        }

        var page = AcsPipeline.ReadJson(response, AcsJsonContext.Default.ParticipantsPageModel, "GetParticipants");
        all.AddRange(page.Value.Where(p => p.Identifier is not null).Select(p => CommunicationIdentifier.FromModel(p.Identifier!)));
        return all;
    }

    public async Task<AddParticipantResult> AddParticipantAsync(
        string callConnectionId,
        CommunicationIdentifier participant,
        PhoneNumberIdentifier? sourceCallerId = null,
        int invitationTimeoutSeconds = 30,
        string? operationContext = null,
        Uri? operationCallbackUri = null,
        Repeatability? repeatability = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(participant);
        ArgumentOutOfRangeException.ThrowIfLessThan(invitationTimeoutSeconds, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(invitationTimeoutSeconds, 180);
        if (participant is PhoneNumberIdentifier && sourceCallerId is null)
            throw new ArgumentException("Adding a PSTN participant needs a caller id.", nameof(sourceCallerId));

        var body = new AddParticipantRequestModel
        {
            ParticipantToAdd = participant.ToModel(),
            SourceCallerIdNumber = sourceCallerId is null ? null : new PhoneNumberIdentifierModel { Value = sourceCallerId.PhoneNumber },
            InvitationTimeoutInSeconds = invitationTimeoutSeconds,
            OperationContext = operationContext,
            OperationCallbackUri = operationCallbackUri?.AbsoluteUri,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, CallPath(callConnectionId) + "/participants:add", _apiVersion, repeatable: true);
        Stamp(message, repeatability);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.AddParticipantRequestModel);
        var response = await _pipeline.SendAsync(message, "AddParticipant", Accepted, cancellationToken).ConfigureAwait(false);
        var reply = AcsPipeline.ReadJson(response, AcsJsonContext.Default.AddParticipantResponseModel, "AddParticipant");
        return new AddParticipantResult(
            reply.Participant?.Identifier is { } id ? CommunicationIdentifier.FromModel(id) : null,
            reply.InvitationId,
            reply.OperationContext);
    }

    /// <summary>
    /// Stops an invitation that is still ringing (<c>participants:cancelAddParticipant</c>, 202); the invited party never
    /// joins. An invitation already over is refused by the service (an <see cref="AcsRequestFailedException"/>, 4xx).
    /// </summary>
    /// <param name="invitationId">The id the add-participant reply gave (<see cref="AddParticipantResult.InvitationId"/>).</param>
    public async Task<CancelAddParticipantResult> CancelAddParticipantAsync(
        string callConnectionId,
        string invitationId,
        string? operationContext = null,
        Uri? operationCallbackUri = null,
        Repeatability? repeatability = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(invitationId);
        var body = new CancelAddParticipantRequestModel
        {
            InvitationId = invitationId,
            OperationContext = operationContext,
            OperationCallbackUri = operationCallbackUri?.AbsoluteUri,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, CallPath(callConnectionId) + "/participants:cancelAddParticipant", _apiVersion, repeatable: true);
        Stamp(message, repeatability);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.CancelAddParticipantRequestModel);
        var response = await _pipeline.SendAsync(message, "CancelAddParticipant", Accepted, cancellationToken).ConfigureAwait(false);
        var reply = AcsPipeline.ReadJson(response, AcsJsonContext.Default.CancelAddParticipantResponseModel, "CancelAddParticipant");
        return new CancelAddParticipantResult(reply.InvitationId, reply.OperationContext);
    }

    /// <summary>
    /// Takes a participant off the call (<c>participants:remove</c>, 202); the outcome arrives as
    /// RemoveParticipantSucceeded/Failed. A participant the service does not find on the call is refused (an
    /// <see cref="AcsRequestFailedException"/>, 4xx).
    /// </summary>
    /// <param name="participantRawId">The participant's raw id (<c>4:+1…</c> for a phone, <c>8:acs:…</c> for an ACS user).</param>
    public async Task<RemoveParticipantResult> RemoveParticipantAsync(
        string callConnectionId,
        string participantRawId,
        string? operationContext = null,
        Uri? operationCallbackUri = null,
        Repeatability? repeatability = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(participantRawId);
        var body = new RemoveParticipantRequestModel
        {
            ParticipantToRemove = CommunicationIdentifier.FromRawId(participantRawId).ToModel(),
            OperationContext = operationContext,
            OperationCallbackUri = operationCallbackUri?.AbsoluteUri,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, CallPath(callConnectionId) + "/participants:remove", _apiVersion, repeatable: true);
        Stamp(message, repeatability);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.RemoveParticipantRequestModel);
        var response = await _pipeline.SendAsync(message, "RemoveParticipant", Accepted, cancellationToken).ConfigureAwait(false);
        var reply = AcsPipeline.ReadJson(response, AcsJsonContext.Default.RemoveParticipantResponseModel, "RemoveParticipant");
        return new RemoveParticipantResult(reply.OperationContext);
    }

    public async Task PlayAsync(string callConnectionId, PlayRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Sources.Count == 0) throw new ArgumentException("Play needs at least one source.", nameof(request));
        var body = new PlayRequestModel
        {
            PlaySources = request.Sources.Select(ToModel).ToList(),
            PlayTo = request.PlayTo.Select(p => p.ToModel()).ToList(),
            PlayOptions = new PlayOptionsModel { Loop = request.Loop },
            OperationContext = request.OperationContext,
            OperationCallbackUri = request.OperationCallbackUri?.AbsoluteUri,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, CallPath(callConnectionId) + ":play", _apiVersion, repeatable: false);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.PlayRequestModel);
        await _pipeline.SendAsync(message, "Play", Accepted, cancellationToken).ConfigureAwait(false);
    }

    public async Task StartDtmfRecognitionAsync(string callConnectionId, DtmfRecognitionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(request.MaxTonesToCollect, 1);
        var body = new RecognizeRequestModel
        {
            RecognizeInputType = "dtmf",
            PlayPrompt = request.Prompt is null ? null : ToModel(request.Prompt),
            RecognizeOptions = new RecognizeOptionsModel
            {
                InterruptPrompt = request.InterruptPrompt,
                InitialSilenceTimeoutInSeconds = (int)Math.Ceiling(request.InitialSilenceTimeout.TotalSeconds),
                TargetParticipant = request.TargetParticipant.ToModel(),
                DtmfOptions = new DtmfOptionsModel
                {
                    InterToneTimeoutInSeconds = (int)Math.Ceiling(request.InterToneTimeout.TotalSeconds),
                    MaxTonesToCollect = request.MaxTonesToCollect,
                    StopTones = request.StopTones.Count == 0 ? null : request.StopTones.Select(DtmfTones.ToWire).ToList(),
                },
            },
            OperationContext = request.OperationContext,
            OperationCallbackUri = request.OperationCallbackUri?.AbsoluteUri,
        };
        using var message = _pipeline.CreateMessage(RequestMethod.Post, CallPath(callConnectionId) + ":recognize", _apiVersion, repeatable: false);
        AcsPipeline.SetJson(message, body, AcsJsonContext.Default.RecognizeRequestModel);
        await _pipeline.SendAsync(message, "Recognize", Accepted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves the call (DELETE) or ends it for every participant (<c>:terminate</c>).</summary>
    public async Task HangUpAsync(string callConnectionId, bool forEveryone, CancellationToken cancellationToken = default)
    {
        using var message = forEveryone
            ? _pipeline.CreateMessage(RequestMethod.Post, CallPath(callConnectionId) + ":terminate", _apiVersion, repeatable: true)
            : _pipeline.CreateMessage(RequestMethod.Delete, CallPath(callConnectionId), _apiVersion, repeatable: false);
        await _pipeline.SendAsync(message, forEveryone ? "TerminateCall" : "HangUp", NoContent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A caller-chosen repeatability id (else the pipeline gives each request its own).</summary>
    private static void Stamp(HttpMessage message, Repeatability? repeatability)
    {
        if (repeatability is { } repeat)
        {
            message.Request.Headers.SetValue(RepeatabilityPolicy.RequestIdHeader, repeat.RequestId.ToString());
            message.Request.Headers.SetValue(RepeatabilityPolicy.FirstSentHeader, repeat.FirstSent.ToString("r", System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static string CallPath(string callConnectionId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(callConnectionId);
        return "/calling/callConnections/" + Uri.EscapeDataString(callConnectionId);
    }

    private static PlaySourceModel ToModel(PlaySource source) => source switch
    {
        FilePlaySource f => new PlaySourceModel { Kind = "file", File = new FileSourceModel { Uri = f.Uri.AbsoluteUri } },
        TextPlaySource t => new PlaySourceModel
        {
            Kind = "text",
            Text = new TextSourceModel { Text = t.Text, VoiceName = t.VoiceName, SourceLocale = t.SourceLocale },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(source), source.GetType().Name, "Unsupported play source."),
    };

    private static CallConnectionProperties ToProperties(CallConnectionPropertiesModel m) => new(
        m.CallConnectionId ?? throw new AcsRequestFailedException(200, "InvalidBody", "The reply had no callConnectionId.", "CallConnection"),
        m.ServerCallId,
        m.CorrelationId,
        m.CallConnectionState,
        (m.Targets ?? []).Select(CommunicationIdentifier.FromModel).ToList(),
        Uri.TryCreate(m.CallbackUri, UriKind.Absolute, out var cb) ? cb : null,
        m.SourceCallerIdNumber?.Value is { } caller ? new PhoneNumberIdentifier(caller) : null,
        m.SourceDisplayName,
        m.Source is null ? null : CommunicationIdentifier.FromModel(m.Source));
}
