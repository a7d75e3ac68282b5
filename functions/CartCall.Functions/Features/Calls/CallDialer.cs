using CartCall.Domain.Calls.Flow;
using CartCall.Domain.Preferences;
using CartCall.Functions.Adapters.Acs;
using CartCall.Functions.Features.Merchants;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Calls;

/// <summary>
/// Places a call with ACS Call Automation: the shopper's phone from the merchant's number, or the shopper's ACS user
/// for a browser call, with the callback URL naming the call and the call id as operation context. Each dial attempt
/// carries a repeatability id derived from the call and the attempt, so sending it again — from the accept and then
/// the orchestration, or after a crash — is answered by ACS as the same request and never rings twice.
/// </summary>
public sealed partial class CallDialer(
    TableCallStore calls,
    IMerchantStore merchants,
    AcsCallClient acs,
    CallbackUrls callbackUrls,
    IOptions<AcsOptions> acsOptions,
    ILogger<CallDialer> logger)
{
    public static Repeatability RepeatabilityOf(string callId, int attempt, DateTimeOffset firstSent) =>
        Repeatability.For($"{callId}/dial/{attempt}", firstSent);

    /// <summary>Dials; <see cref="DialRefused"/> when ACS refuses for good. Transient failures throw, for the caller to retry.</summary>
    public async Task<CallSignal> DialAsync(string callId, int attempt, DateTimeOffset firstSent, CancellationToken cancellationToken)
    {
        var call = await calls.GetAsync(callId, cancellationToken).ConfigureAwait(false);
        if (call is null)
        {
            return new DialRefused($"there is no call '{callId}'");
        }

        var merchant = await merchants.GetAsync(call.MerchantId, cancellationToken).ConfigureAwait(false);
        CreateCallRequest create;
        if (call.Mode == CallMode.Phone)
        {
            var caller = merchant?.SourcePhoneNumber ?? acsOptions.Value.SourcePhoneNumber;
            if (caller is null || call.ShopperPhone is null)
            {
                return new DialRefused("the merchant has no source phone number to call from");
            }

            create = new CreateCallRequest([new PhoneNumberIdentifier(call.ShopperPhone)], callbackUrls.ForCall(callId))
            {
                SourceCallerIdNumber = new PhoneNumberIdentifier(caller),
                SourceDisplayName = merchant?.DisplayName,
                OperationContext = callId,
                Repeatability = RepeatabilityOf(callId, attempt, firstSent),
            };
        }
        else
        {
            if (call.ShopperAcsUserId is null)
            {
                return new DialRefused("the browser call has no shopper identity");
            }

            create = new CreateCallRequest([new CommunicationUserIdentifier(call.ShopperAcsUserId)], callbackUrls.ForCall(callId))
            {
                SourceDisplayName = merchant?.DisplayName,
                OperationContext = callId,
                Repeatability = RepeatabilityOf(callId, attempt, firstSent),
            };
        }

        try
        {
            var placed = await acs.CreateCallAsync(create, cancellationToken).ConfigureAwait(false);
            LogDialled(callId, attempt, placed.CallConnectionId);
            return new Dialled(placed.CallConnectionId);
        }
        catch (AcsRequestFailedException e) when (e.IsRefusal)
        {
            LogRefused(e, callId, e.Status);
            return new DialRefused($"ACS refused the call ({e.Status} {e.ErrorCode})");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Call {CallId}: dial attempt {Attempt} placed, connection {CallConnectionId}")]
    private partial void LogDialled(string callId, int attempt, string callConnectionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {CallId}: ACS refused to create it ({Status})")]
    private partial void LogRefused(Exception e, string callId, int status);
}
