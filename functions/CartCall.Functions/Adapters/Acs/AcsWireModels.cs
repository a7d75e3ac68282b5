using System.Text.Json.Serialization;

namespace CartCall.Functions.Adapters.Acs;

// Wire shapes of the Call Automation and Identity REST APIs (camelCase JSON). Kept internal: callers use the
// public records in AcsCallClient and the events in AcsCallbackEvents.

internal sealed class CommunicationIdentifierModel
{
    public string? Kind { get; set; }
    public string? RawId { get; set; }
    public CommunicationUserIdentifierModel? CommunicationUser { get; set; }
    public PhoneNumberIdentifierModel? PhoneNumber { get; set; }
}

internal sealed class CommunicationUserIdentifierModel
{
    public string? Id { get; set; }
}

internal sealed class PhoneNumberIdentifierModel
{
    public string? Value { get; set; }
    public bool? IsAnonymous { get; set; }
}

internal sealed class CreateCallRequestModel
{
    public List<CommunicationIdentifierModel> Targets { get; set; } = [];
    public PhoneNumberIdentifierModel? SourceCallerIdNumber { get; set; }
    public string? SourceDisplayName { get; set; }
    public CommunicationUserIdentifierModel? Source { get; set; }
    public string? OperationContext { get; set; }
    public string CallbackUri { get; set; } = "";
}

internal sealed class AnswerCallRequestModel
{
    public string IncomingCallContext { get; set; } = "";
    public string CallbackUri { get; set; } = "";
    public string? OperationContext { get; set; }
}

internal sealed class CallConnectionPropertiesModel
{
    public string? CallConnectionId { get; set; }
    public string? ServerCallId { get; set; }
    public List<CommunicationIdentifierModel>? Targets { get; set; }
    public string? CallConnectionState { get; set; }
    public string? CallbackUri { get; set; }
    public PhoneNumberIdentifierModel? SourceCallerIdNumber { get; set; }
    public string? SourceDisplayName { get; set; }
    public CommunicationIdentifierModel? Source { get; set; }
    public string? CorrelationId { get; set; }
    public CommunicationUserIdentifierModel? AnsweredBy { get; set; }
}

internal sealed class AddParticipantRequestModel
{
    public CommunicationIdentifierModel ParticipantToAdd { get; set; } = new();
    public PhoneNumberIdentifierModel? SourceCallerIdNumber { get; set; }
    public string? SourceDisplayName { get; set; }
    public int? InvitationTimeoutInSeconds { get; set; }
    public string? OperationContext { get; set; }
    public string? OperationCallbackUri { get; set; }
}

internal sealed class CallParticipantModel
{
    public CommunicationIdentifierModel? Identifier { get; set; }
    public bool? IsMuted { get; set; }
    public bool? IsOnHold { get; set; }
}

/// <summary>One page of <c>GET /calling/callConnections/{id}/participants</c>.</summary>
internal sealed class ParticipantsPageModel
{
    public List<CallParticipantModel> Value { get; set; } = [];
    public string? NextLink { get; set; }
}

internal sealed class AddParticipantResponseModel
{
    public CallParticipantModel? Participant { get; set; }
    public string? OperationContext { get; set; }
    public string? InvitationId { get; set; }
}

/// <summary><c>POST …/participants:cancelAddParticipant</c>: the invitation to stop, by the id the add-participant reply gave.</summary>
internal sealed class CancelAddParticipantRequestModel
{
    public string InvitationId { get; set; } = "";
    public string? OperationContext { get; set; }
    public string? OperationCallbackUri { get; set; }
}

internal sealed class CancelAddParticipantResponseModel
{
    public string? InvitationId { get; set; }
    public string? OperationContext { get; set; }
}

/// <summary><c>POST …/participants:remove</c>: who to take off the call (the official client's RemoveParticipantRequest).</summary>
internal sealed class RemoveParticipantRequestModel
{
    public CommunicationIdentifierModel ParticipantToRemove { get; set; } = new();
    public string? OperationContext { get; set; }
    public string? OperationCallbackUri { get; set; }
}

internal sealed class RemoveParticipantResponseModel
{
    public string? OperationContext { get; set; }
}

internal sealed class PlaySourceModel
{
    public string Kind { get; set; } = "file";
    public FileSourceModel? File { get; set; }
    public TextSourceModel? Text { get; set; }
}

internal sealed class FileSourceModel
{
    public string Uri { get; set; } = "";
}

internal sealed class TextSourceModel
{
    public string Text { get; set; } = "";
    public string? SourceLocale { get; set; }
    public string? VoiceName { get; set; }
}

internal sealed class PlayOptionsModel
{
    public bool Loop { get; set; }
}

internal sealed class PlayRequestModel
{
    public List<PlaySourceModel> PlaySources { get; set; } = [];
    public List<CommunicationIdentifierModel> PlayTo { get; set; } = [];
    public PlayOptionsModel? PlayOptions { get; set; }
    public string? OperationContext { get; set; }
    public string? OperationCallbackUri { get; set; }
}

internal sealed class DtmfOptionsModel
{
    public int? InterToneTimeoutInSeconds { get; set; }
    public int? MaxTonesToCollect { get; set; }
    public List<string>? StopTones { get; set; }
}

internal sealed class RecognizeOptionsModel
{
    public bool? InterruptPrompt { get; set; }
    public int? InitialSilenceTimeoutInSeconds { get; set; }
    public CommunicationIdentifierModel? TargetParticipant { get; set; }
    public DtmfOptionsModel? DtmfOptions { get; set; }
}

internal sealed class RecognizeRequestModel
{
    public string RecognizeInputType { get; set; } = "dtmf";
    public PlaySourceModel? PlayPrompt { get; set; }
    public RecognizeOptionsModel RecognizeOptions { get; set; } = new();
    public string? OperationContext { get; set; }
    public string? OperationCallbackUri { get; set; }
}

internal sealed class CommunicationErrorResponseModel
{
    public CommunicationErrorModel? Error { get; set; }
}

internal sealed class CommunicationErrorModel
{
    public string? Code { get; set; }
    public string? Message { get; set; }
    public string? Target { get; set; }
}

internal sealed class IdentityCreateRequestModel
{
    public List<string>? CreateTokenWithScopes { get; set; }
    public int? ExpiresInMinutes { get; set; }
}

internal sealed class IdentityIssueTokenRequestModel
{
    public List<string> Scopes { get; set; } = [];
    public int? ExpiresInMinutes { get; set; }
}

internal sealed class IdentityModel
{
    public string? Id { get; set; }
}

internal sealed class AccessTokenModel
{
    public string? Token { get; set; }
    public DateTimeOffset ExpiresOn { get; set; }
}

internal sealed class IdentityAccessTokenResultModel
{
    public IdentityModel? Identity { get; set; }
    public AccessTokenModel? AccessToken { get; set; }
}

internal sealed class ResultInformationModel
{
    public int? Code { get; set; }
    public int? SubCode { get; set; }
    public string? Message { get; set; }
}

internal sealed class DtmfResultModel
{
    public List<string>? Tones { get; set; }
}

/// <summary>The union of the callback event data fields CartCall reads.</summary>
internal sealed class AcsEventDataModel
{
    public string? CallConnectionId { get; set; }
    public string? ServerCallId { get; set; }
    public string? CorrelationId { get; set; }
    public string? OperationContext { get; set; }
    public ResultInformationModel? ResultInformation { get; set; }
    public CommunicationIdentifierModel? Participant { get; set; }
    public List<CallParticipantModel>? Participants { get; set; }
    public int? SequenceNumber { get; set; }
    public string? RecognitionType { get; set; }
    public DtmfResultModel? DtmfResult { get; set; }
    public CommunicationIdentifierModel? TransferTarget { get; set; }
    public CommunicationIdentifierModel? Transferee { get; set; }
    public string? InvitationId { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateCallRequestModel))]
[JsonSerializable(typeof(AnswerCallRequestModel))]
[JsonSerializable(typeof(CallConnectionPropertiesModel))]
[JsonSerializable(typeof(AddParticipantRequestModel))]
[JsonSerializable(typeof(AddParticipantResponseModel))]
[JsonSerializable(typeof(CancelAddParticipantRequestModel))]
[JsonSerializable(typeof(CancelAddParticipantResponseModel))]
[JsonSerializable(typeof(RemoveParticipantRequestModel))]
[JsonSerializable(typeof(RemoveParticipantResponseModel))]
[JsonSerializable(typeof(ParticipantsPageModel))]
[JsonSerializable(typeof(PlayRequestModel))]
[JsonSerializable(typeof(RecognizeRequestModel))]
[JsonSerializable(typeof(CommunicationErrorResponseModel))]
[JsonSerializable(typeof(IdentityCreateRequestModel))]
[JsonSerializable(typeof(IdentityIssueTokenRequestModel))]
[JsonSerializable(typeof(IdentityAccessTokenResultModel))]
[JsonSerializable(typeof(AccessTokenModel))]
[JsonSerializable(typeof(AcsEventDataModel))]
internal sealed partial class AcsJsonContext : JsonSerializerContext;
