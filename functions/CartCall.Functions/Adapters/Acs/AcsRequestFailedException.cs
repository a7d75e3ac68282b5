using Azure;

namespace CartCall.Functions.Adapters.Acs;

/// <summary>An ACS REST call answered with an unexpected status; carries the service's CommunicationErrorResponse.</summary>
public sealed class AcsRequestFailedException : RequestFailedException
{
    public AcsRequestFailedException(int status, string? errorCode, string? errorMessage, string operation, Exception? inner = null)
        : base(status, $"ACS {operation} failed with {status} {errorCode}: {errorMessage}", errorCode, inner)
    {
        ErrorMessage = errorMessage;
        Operation = operation;
    }

    public AcsRequestFailedException() : base("ACS request failed.") => Operation = "";
    public AcsRequestFailedException(string message) : base(message) => Operation = "";
    public AcsRequestFailedException(string message, Exception inner) : base(message, inner) => Operation = "";

    /// <summary>The <c>error.message</c> of the service's reply, if it sent one.</summary>
    public string? ErrorMessage { get; }

    /// <summary>Which client operation failed (e.g. <c>CreateCall</c>).</summary>
    public string Operation { get; }

    /// <summary>
    /// The service said no for good (a 4xx other than 408 and 429): asking again gives the same answer, so the caller
    /// decides what it means (the invitation is over, the agent refused…) instead of retrying.
    /// </summary>
    public bool IsRefusal => Status is >= 400 and < 500 and not 408 and not 429;
}
