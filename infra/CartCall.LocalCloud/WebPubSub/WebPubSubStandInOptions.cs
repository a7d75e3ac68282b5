using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.WebPubSub;

/// <summary>Settings of the local Web PubSub stand-in.</summary>
public sealed class WebPubSubStandInOptions
{
    /// <summary>Loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The access key tokens are signed with; null makes a random one (base64 of 32 bytes, like the service's).</summary>
    public string? AccessKey { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where the stand-in logs; null keeps it quiet.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Leeway for exp/nbf checks, as a real service tolerates small clock drift.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many entries the <c>/_standin/log</c> view keeps.</summary>
    public int LogCapacity { get; set; } = 1000;

    /// <summary>How many frames may wait for a slow client before further ones are dropped.</summary>
    public int ConnectionQueueCapacity { get; set; } = 1000;

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0 (free) or 1-65535.");
        }

        if (AccessKey is not null && AccessKey.Length == 0)
        {
            throw new ArgumentException("AccessKey must not be empty; leave it null for a random key.", nameof(AccessKey));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (ClockSkew < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ClockSkew), ClockSkew, "ClockSkew must not be negative.");
        }

        if (LogCapacity < 1 || ConnectionQueueCapacity < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(LogCapacity), "LogCapacity and ConnectionQueueCapacity must be positive.");
        }
    }
}
