using System.ComponentModel.DataAnnotations;

namespace CartCall.App.Storage;

/// <summary>Where CartCall keeps its tables and queues. Bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "Storage";

    /// <summary>A storage connection string (Azurite: <c>UseDevelopmentStorage=true</c> or explicit endpoints).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>In Azure, the account name; the app then authenticates with its managed identity.</summary>
    public string? AccountName { get; set; }

    /// <summary>Create the tables and queues at start-up. On for local runs; Bicep creates them in Azure.</summary>
    public bool CreateIfMissing { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(AccountName))
        {
            yield return new ValidationResult(
                "Set Storage:ConnectionString (local) or Storage:AccountName (managed identity).",
                [nameof(ConnectionString), nameof(AccountName)]);
        }
    }
}
