using System.ComponentModel.DataAnnotations;

namespace CartCall.Functions.Storage;

/// <summary>Where CartCall keeps its tables and queues. Bound from the <c>Storage</c> section.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string Section = "CartCall:Storage";

    /// <summary>A storage connection string (Azurite: <c>UseDevelopmentStorage=true</c> or explicit endpoints).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>In Azure, the table endpoint; the app then authenticates with its managed identity.</summary>
    public Uri? TableServiceUri { get; set; }

    /// <summary>In Azure, the queue endpoint, used with the managed identity like <see cref="TableServiceUri"/>.</summary>
    public Uri? QueueServiceUri { get; set; }

    /// <summary>Create the tables and queues at start-up. On for local runs; Bicep creates them in Azure.</summary>
    public bool CreateIfMissing { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && (TableServiceUri is null || QueueServiceUri is null))
        {
            yield return new ValidationResult(
                "Set CartCall:Storage:ConnectionString (local) or both CartCall:Storage:TableServiceUri and QueueServiceUri (managed identity).",
                [nameof(ConnectionString), nameof(TableServiceUri), nameof(QueueServiceUri)]);
        }
    }
}
