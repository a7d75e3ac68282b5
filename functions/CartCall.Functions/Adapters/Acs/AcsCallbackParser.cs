using System.Text.Json;
using Azure.Messaging;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>Turns a callback body (a CloudEvent or an array of them) into typed events.</summary>
public static class AcsCallbackParser
{
    public const string EventPrefix = "Microsoft.Communication.";

    /// <exception cref="FormatException">The body is not CloudEvents JSON.</exception>
    public static IReadOnlyList<AcsCallEvent> Parse(BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        CloudEvent[] cloudEvents;
        try
        {
            cloudEvents = CloudEvent.ParseMany(body);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new FormatException("The callback body is not CloudEvents JSON: " + e.Message, e);
        }

        var events = new List<AcsCallEvent>(cloudEvents.Length);
        foreach (var cloudEvent in cloudEvents) events.Add(ToEvent(cloudEvent));
        return events;
    }

    private static AcsCallEvent ToEvent(CloudEvent e)
    {
        var name = e.Type.StartsWith(EventPrefix, StringComparison.Ordinal) ? e.Type[EventPrefix.Length..] : null;
        AcsEventDataModel? data = null;
        if (e.Data is { } raw && e.DataContentType is null or "application/json" or "application/cloudevents+json")
        {
            try { data = JsonSerializer.Deserialize(raw.ToMemory().Span, AcsJsonContext.Default.AcsEventDataModel); }
            catch (JsonException) { data = null; }
        }

        data ??= new AcsEventDataModel();
        AcsCallEvent typed = name switch
        {
            "CallConnected" => new CallConnectedEvent { EventId = e.Id, Type = e.Type },
            "CallDisconnected" => new CallDisconnectedEvent { EventId = e.Id, Type = e.Type },
            "CreateCallFailed" => new CreateCallFailedEvent { EventId = e.Id, Type = e.Type },
            "AddParticipantSucceeded" => new AddParticipantSucceededEvent { EventId = e.Id, Type = e.Type, Participant = Id(data.Participant) },
            "AddParticipantFailed" => new AddParticipantFailedEvent { EventId = e.Id, Type = e.Type, Participant = Id(data.Participant) },
            "CancelAddParticipantSucceeded" => new CancelAddParticipantSucceededEvent { EventId = e.Id, Type = e.Type, InvitationId = data.InvitationId },
            "CancelAddParticipantFailed" => new CancelAddParticipantFailedEvent { EventId = e.Id, Type = e.Type, InvitationId = data.InvitationId },
            "RemoveParticipantSucceeded" => new RemoveParticipantSucceededEvent { EventId = e.Id, Type = e.Type, Participant = Id(data.Participant) },
            "RemoveParticipantFailed" => new RemoveParticipantFailedEvent { EventId = e.Id, Type = e.Type, Participant = Id(data.Participant) },
            "ParticipantsUpdated" => new ParticipantsUpdatedEvent
            {
                EventId = e.Id,
                Type = e.Type,
                SequenceNumber = data.SequenceNumber,
                Participants = (data.Participants ?? [])
                    .Where(p => p.Identifier is not null)
                    .Select(p => new AcsCallParticipant(CommunicationIdentifier.FromModel(p.Identifier!), p.IsMuted ?? false, p.IsOnHold ?? false))
                    .ToList(),
            },
            "PlayCompleted" => new PlayCompletedEvent { EventId = e.Id, Type = e.Type },
            "PlayFailed" => new PlayFailedEvent { EventId = e.Id, Type = e.Type },
            "RecognizeCompleted" => new RecognizeCompletedEvent
            {
                EventId = e.Id,
                Type = e.Type,
                RecognitionType = data.RecognitionType,
                Tones = data.DtmfResult?.Tones ?? [],
            },
            "RecognizeFailed" => new RecognizeFailedEvent { EventId = e.Id, Type = e.Type },
            "CallTransferAccepted" => new CallTransferAcceptedEvent
            {
                EventId = e.Id,
                Type = e.Type,
                TransferTarget = Id(data.TransferTarget),
                Transferee = Id(data.Transferee),
            },
            _ => new UnknownAcsEvent { EventId = e.Id, Type = e.Type, Data = e.Data },
        };

        return typed with
        {
            Time = e.Time,
            CallConnectionId = data.CallConnectionId,
            ServerCallId = data.ServerCallId,
            CorrelationId = data.CorrelationId,
            OperationContext = data.OperationContext,
            ResultInformation = data.ResultInformation is { } r ? new AcsResultInformation(r.Code, r.SubCode, r.Message) : null,
        };
    }

    private static CommunicationIdentifier? Id(CommunicationIdentifierModel? model) =>
        model is null ? null : CommunicationIdentifier.FromModel(model);
}
