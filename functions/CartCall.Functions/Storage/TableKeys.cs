namespace CartCall.Functions.Storage;

/// <summary>
/// What Table storage takes as a PartitionKey or RowKey. Ids that reach a store straight from a route, a cookie or a
/// message are checked here first, so a key the service would refuse (with a 400 the app could only report as a
/// server error) is simply "not found" instead. No store assumes that a function checked its id before.
/// </summary>
public static class TableKeys
{
    /// <summary>Keys are at most 1 KiB; in UTF-16 that is 512 characters.</summary>
    public const int MaxLength = 512;

    public static bool IsValid(string? key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxLength)
        {
            return false;
        }

        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c is '/' or '\\' or '#' or '?' || char.IsControl(c))
            {
                return false;
            }

            // A lone surrogate cannot be encoded into the request URL.
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= key.Length || !char.IsLowSurrogate(key[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
