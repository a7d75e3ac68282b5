using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace CartCall.LocalCloud.Acs;

/// <summary>
/// The call state machines: rings simulated parties by their scripts, runs play/recognize, and queues signed
/// CloudEvent callbacks per call (delivered in order by one loop per call, with the fault knobs applied).
/// </summary>
internal sealed class AcsCallSimulator : IAsyncDisposable
{
    private readonly AcsStandInOptions _options;
    private readonly AcsCallbackSigner _signer;
    private readonly Func<(string Issuer, string Audience)> _tokenClaims;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _pending = new();
    private readonly ConcurrentDictionary<string, SimCall> _calls = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<AcsDeliveredCallback> _delivered = new();
    private readonly ConcurrentQueue<AcsInvitationCancel> _cancels = new();
    private readonly ConcurrentQueue<AcsParticipantRemoval> _removals = new();
    private readonly Func<string, bool> _isIssuedUser;

    public AcsCallSimulator(AcsStandInOptions options, AcsCallbackSigner signer, Func<(string, string)> tokenClaims, ILogger logger, Func<string, bool>? isIssuedUser = null)
    {
        _isIssuedUser = isIssuedUser ?? (_ => false);
        _options = options;
        _signer = signer;
        _tokenClaims = tokenClaims;
        _logger = logger;
        _time = options.TimeProvider;
        Parties = new ConcurrentDictionary<string, PartyScript>(options.Parties, StringComparer.OrdinalIgnoreCase);
        // Callbacks go to loopback only; no proxy, bounded time per post.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public ConcurrentDictionary<string, PartyScript> Parties { get; }

    public AcsFaults Faults { get; set; } = AcsFaults.None;

    public IReadOnlyCollection<AcsDeliveredCallback> Delivered => _delivered.ToArray();

    public IReadOnlyCollection<AcsInvitationCancel> Cancels => _cancels.ToArray();

    public IReadOnlyCollection<AcsParticipantRemoval> Removals => _removals.ToArray();

    /// <summary>The pages of <see cref="PartyBehavior.Browser"/> parties; told of every change of such a leg (under the call's lock).</summary>
    public IBrowserLegs BrowserLegs { get; set; } = NoBrowserLegs.Instance;

    /// <summary>Calls in which a browser leg of <paramref name="userId"/> is ringing (for a page that signs in late).</summary>
    public IReadOnlyList<(SimCall Call, SimParty Party)> RingingInBrowser(string userId)
    {
        var found = new List<(SimCall, SimParty)>();
        foreach (var call in _calls.Values)
        {
            lock (call.Gate)
            {
                found.AddRange(call.Parties
                    .Where(p => p.InBrowser && p.State == PartyState.Ringing && call.IsLive && string.Equals(p.Party.UserId, userId, StringComparison.Ordinal))
                    .Select(p => (call, p)));
            }
        }

        return found;
    }

    public bool TryGet(string id, out SimCall call) => _calls.TryGetValue(id, out call!);

    public IReadOnlyList<AcsStandInCall> Snapshot() =>
        _calls.Values.OrderBy(c => c.CreatedAt).Select(Snapshot).ToList();

    public static AcsStandInCall Snapshot(SimCall c)
    {
        lock (c.Gate)
        {
            return new AcsStandInCall(
                c.Id, c.ServerCallId, c.CorrelationId, c.State, c.OperationContext, c.CallbackUri,
                c.Parties.Select(p => new AcsStandInParty(p.Party.RawId, p.Party.Label, p.Role, p.State, p.Script.Behavior, p.Recognize is not null, p.Muted, p.InvitationId)).ToList(),
                c.Timeline.ToList(),
                c.CreatedAt);
        }
    }

    public PartyScript ScriptFor(AcsWire.Party party)
    {
        if (Parties.TryGetValue(party.RawId, out var s)) return s;
        if (party.PhoneNumber is { } phone && Parties.TryGetValue(phone, out s)) return s;
        if (party.UserId is { } user && Parties.TryGetValue(user, out s)) return s;
        if (party.UserId is { } issued && _options.IssuedUserParty is { } browser && _isIssuedUser(issued)) return browser;
        return _options.DefaultParty;
    }

    // ---- create / add / hang up ----------------------------------------------------------------------------

    public SimCall CreateCall(IReadOnlyList<AcsWire.Party> targets, Uri callbackUri, string? operationContext, JsonObject request)
    {
        var scripts = targets.Select(ScriptFor).ToList();
        var call = new SimCall
        {
            Id = Guid.NewGuid().ToString(),
            ServerCallId = Convert.ToBase64String(Encoding.UTF8.GetBytes("standin-call-" + Guid.NewGuid().ToString("N"))),
            CorrelationId = Guid.NewGuid().ToString(),
            CallbackUri = callbackUri,
            OperationContext = operationContext,
            Request = request,
            Faults = scripts.Select(s => s.Faults).FirstOrDefault(f => f is not null) ?? Faults,
            CreatedAt = _time.GetUtcNow(),
        };
        _calls[call.Id] = call;
        Track(DeliverLoopAsync(call));
        lock (call.Gate)
        {
            Note(call, "call created to " + string.Join(", ", targets.Select(t => t.Label)));
            for (var i = 0; i < targets.Count; i++)
            {
                var party = new SimParty(targets[i], scripts[i], "target");
                call.Parties.Add(party);
                StartRinging(call, party, _options.RingTimeout);
            }
        }

        return call;
    }

    public SimParty AddParticipant(SimCall call, AcsWire.Party who, int? timeoutSeconds, string? operationContext, Uri? operationCallbackUri)
    {
        var party = new SimParty(who, ScriptFor(who), "added")
        {
            InvitationId = Guid.NewGuid().ToString(),
            OperationContext = operationContext,
            OperationCallbackUri = operationCallbackUri,
        };
        lock (call.Gate)
        {
            call.Parties.Add(party);
            Note(call, $"inviting {who.Label}");
            StartRinging(call, party, timeoutSeconds is > 0 ? TimeSpan.FromSeconds(timeoutSeconds.Value) : _options.RingTimeout);
        }

        return party;
    }

    /// <summary>
    /// Cancels the invitation <paramref name="invitationId"/>: a party still ringing stops (it never joins) and
    /// CancelAddParticipantSucceeded follows; one whose invitation already ended gets CancelAddParticipantFailed.
    /// </summary>
    /// <returns>False when the call has no such invitation.</returns>
    public bool CancelInvitation(SimCall call, string invitationId, string? operationContext, Uri? operationCallbackUri)
    {
        lock (call.Gate)
        {
            var party = call.Parties.FirstOrDefault(p => p.Role == "added" && string.Equals(p.InvitationId, invitationId, StringComparison.Ordinal));
            if (party is null) return false;
            if (party.State == PartyState.Ringing && party.Script.AnswersAsCancelled)
            {
                // The party picks up in the moment before the cancel reaches the service: the cancel then comes too late.
                Answer(call, party);
            }

            var ringing = party.State == PartyState.Ringing;
            _cancels.Enqueue(new AcsInvitationCancel(call.Id, invitationId, party.Party.RawId, ringing, _time.GetUtcNow()));
            JsonObject data;
            if (ringing)
            {
                // Its scheduled answer or ring timeout finds it no longer ringing and does nothing.
                party.State = PartyState.Failed;
                Note(call, $"invitation of {party.Party.Label} cancelled");
                if (party.InBrowser) BrowserLegs.Gone(call, party, "invitation cancelled");
                data = Common(call, operationContext, AcsWire.Result(200, 0, "The invitation was cancelled."));
            }
            else
            {
                Note(call, $"cancel of {party.Party.Label}'s invitation came too late ({party.State})");
                data = Common(call, operationContext, AcsWire.Result(400, 0, "The invitation had already ended."));
            }

            data["invitationId"] = invitationId;
            Emit(call, ringing ? "CancelAddParticipantSucceeded" : "CancelAddParticipantFailed", data, operationCallbackUri);
            return true;
        }
    }

    /// <summary>
    /// Takes the connected party <paramref name="rawId"/> off the call: RemoveParticipantSucceeded to the operation
    /// callback, then the participants without them; the call ends if nobody is left.
    /// </summary>
    /// <returns>False when nobody by that id is on the call.</returns>
    public bool RemoveParticipant(SimCall call, string rawId, string? operationContext, Uri? operationCallbackUri)
    {
        lock (call.Gate)
        {
            var party = call.Parties.FirstOrDefault(p => p.State == PartyState.Connected && string.Equals(p.Party.RawId, rawId, StringComparison.OrdinalIgnoreCase));
            if (party is null) return false;
            party.State = PartyState.Left;
            party.Recognize = null;
            _removals.Enqueue(new AcsParticipantRemoval(call.Id, party.Party.RawId, _time.GetUtcNow()));
            Note(call, $"{party.Party.Label} removed from the call");
            if (party.InBrowser) BrowserLegs.Gone(call, party, "removed from the call");
            var data = Common(call, operationContext, AcsWire.Result(200, 0, "The participant was removed from the call."));
            data["participant"] = party.Party.ToModel();
            Emit(call, "RemoveParticipantSucceeded", data, operationCallbackUri);
            EmitParticipantsUpdated(call);
            if (!call.Parties.Any(p => p.State == PartyState.Connected))
                EndCall(call, AcsWire.Result(200, 7000, "The conversation has ended."));
            return true;
        }
    }

    /// <summary>The application leaves (DELETE) or ends the call for everyone (:terminate); both end the simulation.</summary>
    public void HangUp(SimCall call, bool forEveryone)
    {
        lock (call.Gate)
        {
            if (!call.IsLive) return;
            Note(call, forEveryone ? "terminated by the application" : "application hung up");
            EndCall(call, AcsWire.Result(200, 0, forEveryone ? "The call was terminated." : "The application hung up."));
        }
    }

    // ---- media -------------------------------------------------------------------------------------------------

    public void Play(SimCall call, string? operationContext, Uri? operationCallbackUri, string what)
    {
        lock (call.Gate) Note(call, "playing " + what);
        Schedule(call, _options.PlayDuration, c =>
        {
            if (!c.IsLive) return;
            Note(c, "play finished");
            Emit(c, "PlayCompleted", Common(c, operationContext, AcsWire.Result(200, 0, "Action completed successfully.")), operationCallbackUri);
        });
    }

    /// <returns>null when started, else why not.</returns>
    public string? StartRecognize(SimCall call, AcsWire.Party target, SimRecognize recognize, TimeSpan initialSilence)
    {
        lock (call.Gate)
        {
            var party = call.Parties.FirstOrDefault(p => p.Party.RawId == target.RawId && p.State == PartyState.Connected);
            if (party is null) return "The target participant is not connected to the call.";
            if (party.Recognize is not null) return "A recognize operation is already running for this participant.";
            party.Recognize = recognize;
            Note(call, $"listening for DTMF from {party.Party.Label}");
            Schedule(call, initialSilence, c =>
            {
                if (party.Recognize != recognize || recognize.Tones.Count > 0) return;
                party.Recognize = null;
                Note(c, "recognize: initial silence timeout");
                Emit(c, "RecognizeFailed", Common(c, recognize.OperationContext, AcsWire.Result(400, 8510, "Action failed, initial silence timeout reached.")), recognize.OperationCallbackUri);
            });
            if (!string.IsNullOrEmpty(party.Script.DtmfKeys))
            {
                // One key at a time, each scheduled by the one before: separate timers could fire out of order under load.
                PressKeysFrom(call, party, party.Script.DtmfKeys, 0);
            }

            return null;
        }
    }

    // ---- a person (the page) or a test acting as a party -------------------------------------------------------

    public bool Act(SimCall call, string rawId, string action, string? keys)
    {
        lock (call.Gate)
        {
            var party = call.Parties.LastOrDefault(p => string.Equals(p.Party.RawId, rawId, StringComparison.OrdinalIgnoreCase));
            if (party is null) return false;
            switch (action)
            {
                case "answer" when party.State == PartyState.Ringing:
                    Answer(call, party);
                    return true;
                case "decline" when party.State == PartyState.Ringing:
                    Fail(call, party, AcsWire.Result(603, 0, "Call declined by remote participant."), "declined");
                    return true;
                case "hangup" when party.State == PartyState.Connected:
                    Leave(call, party);
                    return true;
                case "dtmf" when party.State == PartyState.Connected && !string.IsNullOrEmpty(keys):
                    foreach (var key in keys) PressKeyLocked(call, party, key);
                    return true;
                case "mute" or "unmute" when party.State == PartyState.Connected:
                    if (party.Muted != (action == "mute"))
                    {
                        party.Muted = action == "mute";
                        Note(call, $"{party.Party.Label} {(party.Muted ? "muted" : "unmuted")}");
                        EmitParticipantsUpdated(call);
                    }

                    return true;
                default:
                    return false;
            }
        }
    }

    // ---- the state machine (all under call.Gate) ---------------------------------------------------------------

    private void StartRinging(SimCall call, SimParty party, TimeSpan ringTimeout)
    {
        var script = party.Script;
        switch (script.Behavior)
        {
            case PartyBehavior.Answer:
                Schedule(call, script.AnswerAfter, c => Answer(c, party));
                break;
            case PartyBehavior.Busy:
                Schedule(call, script.AnswerAfter, c => Fail(c, party, AcsWire.Result(486, 0, "Callee is busy."), "busy"));
                break;
            case PartyBehavior.Reject:
                Schedule(call, script.AnswerAfter, c => Fail(c, party, AcsWire.Result(603, 0, "Call declined by remote participant."), "declined"));
                break;
            case PartyBehavior.NoAnswer:
            case PartyBehavior.Manual:
                Schedule(call, ringTimeout, c => Fail(c, party, AcsWire.Result(408, 0, "Call was not answered."), "no answer"));
                break;
            case PartyBehavior.Browser:
                Schedule(call, ringTimeout, c => Fail(c, party, AcsWire.Result(408, 0, "Call was not answered."), "no answer"));
                BrowserLegs.Ring(call, party);
                break;
        }
    }

    private void Answer(SimCall call, SimParty party)
    {
        if (party.State != PartyState.Ringing || !call.IsLive) return;
        party.State = PartyState.Connected;
        Note(call, $"{party.Party.Label} answered");
        if (party.Role == "target" && call.State == "connecting")
        {
            call.State = "connected";
            // Only the first target to answer joins; the others stop ringing.
            foreach (var other in call.Parties.Where(p => p != party && p.Role == "target" && p.State == PartyState.Ringing))
            {
                other.State = PartyState.Failed;
                if (other.InBrowser) BrowserLegs.Gone(call, other, "answered by another participant");
            }
            Emit(call, "CallConnected", Common(call, call.OperationContext, AcsWire.Result(200, 0, "")), null);
        }
        else
        {
            var data = Common(call, party.OperationContext, AcsWire.Result(200, 0, "The participant successfully joined the call."));
            data["participant"] = party.Party.ToModel();
            data["invitationId"] = party.InvitationId;
            Emit(call, "AddParticipantSucceeded", data, party.OperationCallbackUri);
        }

        EmitParticipantsUpdated(call);
        if (party.InBrowser) BrowserLegs.Joined(call, party);
        if (party.Script.HangUpAfter is { } after) Schedule(call, after, c => Leave(c, party));
    }

    private void Fail(SimCall call, SimParty party, JsonObject result, string why)
    {
        if (party.State != PartyState.Ringing || !call.IsLive) return;
        party.State = PartyState.Failed;
        Note(call, $"{party.Party.Label}: {why}");
        if (party.InBrowser) BrowserLegs.Gone(call, party, why);
        if (party.Role == "target")
        {
            if (call.State != "connecting" || call.Parties.Any(p => p.Role == "target" && p.State == PartyState.Ringing)) return;
            Emit(call, "CreateCallFailed", Common(call, call.OperationContext, result), null);
            EndCall(call, result.DeepClone().AsObject());
            return;
        }

        var data = Common(call, party.OperationContext, result);
        data["participant"] = party.Party.ToModel();
        data["invitationId"] = party.InvitationId;
        Emit(call, "AddParticipantFailed", data, party.OperationCallbackUri);
    }

    private void Leave(SimCall call, SimParty party)
    {
        if (party.State != PartyState.Connected || !call.IsLive) return;
        party.State = PartyState.Left;
        party.Recognize = null;
        Note(call, $"{party.Party.Label} hung up");
        if (party.InBrowser) BrowserLegs.Gone(call, party, "hung up");
        EmitParticipantsUpdated(call);
        if (!call.Parties.Any(p => p.State == PartyState.Connected))
            EndCall(call, AcsWire.Result(200, 7000, "The conversation has ended."));
    }

    private void EndCall(SimCall call, JsonObject result)
    {
        if (!call.IsLive) return;
        call.State = "disconnected";
        call.EndedAt = _time.GetUtcNow();
        foreach (var p in call.Parties)
        {
            p.Recognize = null;
            var was = p.State;
            if (p.State == PartyState.Ringing) p.State = PartyState.Failed;
            else if (p.State == PartyState.Connected) p.State = PartyState.Left;
            if (p.InBrowser && was is PartyState.Ringing or PartyState.Connected) BrowserLegs.Gone(call, p, "call ended");
        }

        Note(call, "call disconnected");
        Emit(call, "CallDisconnected", Common(call, null, result), null);
        call.Outbox.Writer.TryComplete();
    }

    private void PressKeysFrom(SimCall call, SimParty party, string keys, int index) =>
        Schedule(call, party.Script.DtmfDelay, c =>
        {
            PressKeyLocked(c, party, keys[index]);
            if (index + 1 < keys.Length)
            {
                PressKeysFrom(c, party, keys, index + 1);
            }
        });

    private void PressKeyLocked(SimCall call, SimParty party, char key)
    {
        var tone = ToneName(key);
        Note(call, $"{party.Party.Label} pressed {key}");
        if (tone is null || party.Recognize is not { } r || party.State != PartyState.Connected) return;
        r.Tones.Add(tone);
        if (r.StopTones.Contains(tone)) CompleteRecognize(call, party, r, 8514, "Action completed, stop tone detected.");
        else if (r.Tones.Count >= r.MaxTones) CompleteRecognize(call, party, r, 8531, "Action completed, max digits received.");
        else
        {
            var count = r.Tones.Count;
            Schedule(call, r.InterToneTimeout, c =>
            {
                if (party.Recognize == r && r.Tones.Count == count)
                    CompleteRecognize(c, party, r, 8532, "Action completed, inter-digit silence timeout reached.");
            });
        }
    }

    private void CompleteRecognize(SimCall call, SimParty party, SimRecognize r, int subCode, string message)
    {
        party.Recognize = null;
        var data = Common(call, r.OperationContext, AcsWire.Result(200, subCode, message));
        data["recognitionType"] = "dtmf";
        data["dtmfResult"] = new JsonObject { ["tones"] = new JsonArray(r.Tones.Select(t => (JsonNode)JsonValue.Create(t)).ToArray()) };
        Note(call, "recognized " + string.Join(",", r.Tones));
        Emit(call, "RecognizeCompleted", data, r.OperationCallbackUri);
    }

    private void EmitParticipantsUpdated(SimCall call)
    {
        call.Sequence++;
        var data = new JsonObject
        {
            ["callConnectionId"] = call.Id,
            ["serverCallId"] = call.ServerCallId,
            ["correlationId"] = call.CorrelationId,
            ["sequenceNumber"] = call.Sequence,
            ["participants"] = new JsonArray(call.Parties.Where(p => p.State == PartyState.Connected)
                .Select(p => (JsonNode)new JsonObject { ["identifier"] = p.Party.ToModel(), ["isMuted"] = p.Muted, ["isOnHold"] = false })
                .ToArray()),
            ["resultInformation"] = AcsWire.Result(200, 0, ""),
        };
        Emit(call, "ParticipantsUpdated", data, null);
    }

    internal static string? ToneName(char key) => key switch
    {
        >= '0' and <= '9' => new[] { "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine" }[key - '0'],
        '*' => "asterisk",
        '#' => "pound",
        'A' or 'a' => "a",
        'B' or 'b' => "b",
        'C' or 'c' => "c",
        'D' or 'd' => "d",
        _ => null,
    };

    private static JsonObject Common(SimCall call, string? operationContext, JsonObject result)
    {
        var data = new JsonObject
        {
            ["callConnectionId"] = call.Id,
            ["serverCallId"] = call.ServerCallId,
            ["correlationId"] = call.CorrelationId,
        };
        if (operationContext is not null) data["operationContext"] = operationContext;
        data["resultInformation"] = result;
        return data;
    }

    private void Note(SimCall call, string text) => call.Timeline.Add(new AcsTimelineEntry(_time.GetUtcNow(), text));

    /// <summary>Adds to the call's timeline; the caller holds the call's lock.</summary>
    public void NoteLocked(SimCall call, string text) => Note(call, text);

    private void Emit(SimCall call, string type, JsonObject data, Uri? destination)
    {
        var id = Guid.NewGuid().ToString();
        var body = new JsonArray(AcsWire.CloudEvent(id, call.Id, type, data, _time.GetUtcNow())).ToJsonString();
        call.Outbox.Writer.TryWrite(new OutboundEvent(id, type, destination ?? call.CallbackUri, body));
    }

    // ---- delivery ----------------------------------------------------------------------------------------------

    private async Task DeliverLoopAsync(SimCall call)
    {
        var reader = call.Outbox.Reader;
        var stop = _stopping.Token;
        OutboundEvent? held = null;
        try
        {
            while (true)
            {
                OutboundEvent? next = null;
                if (held is null)
                {
                    if (!await reader.WaitToReadAsync(stop).ConfigureAwait(false)) break;
                    if (!reader.TryRead(out next)) continue;
                    if (call.Faults.OutOfOrder)
                    {
                        held = next;
                        continue;
                    }

                    await SendAsync(call, next, stop).ConfigureAwait(false);
                    continue;
                }

                // Out of order: wait briefly for a successor and deliver it ahead of the held event.
                using (var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500), _time))
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token))
                {
                    try
                    {
                        if (await reader.WaitToReadAsync(linked.Token).ConfigureAwait(false)) reader.TryRead(out next);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        next = null;
                    }
                }

                if (next is not null) await SendAsync(call, next, stop).ConfigureAwait(false);
                await SendAsync(call, held, stop).ConfigureAwait(false);
                held = null;
                if (next is null && reader.Completion.IsCompleted) break;
            }

            if (held is not null) await SendAsync(call, held, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stand-in is stopping.
        }
        finally
        {
            call.FirstDelivered.TrySetResult();
        }
    }

    private async Task SendAsync(SimCall call, OutboundEvent ev, CancellationToken stop)
    {
        if (call.Faults.Drop.Contains(ev.Type))
        {
            lock (call.Gate) Note(call, $"callback {ev.Type} dropped (fault injected)");
            call.FirstDelivered.TrySetResult();
            return;
        }

        if (call.Faults.CallbackDelay > TimeSpan.Zero) await Task.Delay(call.Faults.CallbackDelay, _time, stop).ConfigureAwait(false);
        var copies = call.Faults.DeliverTwice ? 2 : 1;
        for (var copy = 0; copy < copies; copy++)
        {
            var sentAt = _time.GetUtcNow();
            var status = await PostAsync(ev, stop).ConfigureAwait(false);
            _delivered.Enqueue(new AcsDeliveredCallback(call.Id, ev.EventId, ev.Type, ev.Destination, status, sentAt));
            lock (call.Gate) Note(call, $"callback {ev.Type} -> {(status == 0 ? "no answer" : status.ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        }

        call.FirstDelivered.TrySetResult();
    }

    private async Task<int> PostAsync(OutboundEvent ev, CancellationToken stop)
    {
        var status = 0;
        for (var attempt = 1; attempt <= Math.Max(1, _options.CallbackAttempts); attempt++)
        {
            var (issuer, audience) = _tokenClaims();
            using var request = new HttpRequestMessage(HttpMethod.Post, ev.Destination)
            {
                Content = new StringContent(ev.Body, Encoding.UTF8, "application/json"),
            };
            // A fresh token per post, as ACS does.
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _signer.CreateToken(issuer, audience));
            try
            {
                using var response = await _http.SendAsync(request, stop).ConfigureAwait(false);
                status = (int)response.StatusCode;
                if (status < 500) return status;
            }
            catch (HttpRequestException e)
            {
                _logger.LogDebug(e, "Callback {Type} to {Destination} failed", ev.Type, ev.Destination);
                status = 0;
            }
            catch (TaskCanceledException) when (!stop.IsCancellationRequested)
            {
                status = 0;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), _time, stop).ConfigureAwait(false);
        }

        return status;
    }

    // ---- scheduling --------------------------------------------------------------------------------------------

    private void Schedule(SimCall call, TimeSpan delay, Action<SimCall> action)
    {
        var stop = _stopping.Token;
        Track(Task.Run(async () =>
        {
            try
            {
                if (delay > TimeSpan.Zero) await Task.Delay(delay, _time, stop).ConfigureAwait(false);
                lock (call.Gate) action(call);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stand-in is stopping.
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeyNotFoundException)
            {
                _logger.LogError(e, "Stand-in call {CallConnectionId}: scheduled step failed", call.Id);
            }
        }, CancellationToken.None));
    }

    private void Track(Task task)
    {
        _pending[task] = 0;
        _ = task.ContinueWith(t => _pending.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var call in _calls.Values) call.Outbox.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_pending.Keys).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            _logger.LogDebug(e, "Stand-in tasks did not all stop in time");
        }

        _http.Dispose();
        _stopping.Dispose();
    }
}

/// <summary>What the simulator tells the pages of browser legs. Called under the call's lock: implementations only queue.</summary>
internal interface IBrowserLegs
{
    /// <summary>The leg starts ringing: ring every page signed in as its user.</summary>
    void Ring(SimCall call, SimParty party);

    /// <summary>The leg answered and is in the call.</summary>
    void Joined(SimCall call, SimParty party);

    /// <summary>The leg stopped ringing or left the call (declined, no answer, hung up, call ended).</summary>
    void Gone(SimCall call, SimParty party, string reason);
}

internal sealed class NoBrowserLegs : IBrowserLegs
{
    public static readonly NoBrowserLegs Instance = new();

    public void Ring(SimCall call, SimParty party)
    {
    }

    public void Joined(SimCall call, SimParty party)
    {
    }

    public void Gone(SimCall call, SimParty party, string reason)
    {
    }
}
