using System.Text.Json;

namespace CartCall.Functions.Hosting;

/// <summary>Reads a queue message body. A malformed message yields null: retrying cannot mend it, so callers drop it.</summary>
public static class QueueMessages
{
    public static T? TryRead<T>(string message)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(message, AppJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
