using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Storage;

/// <summary>The storage service clients, created once: table and queue clients are cheap views over these.</summary>
public sealed class StorageClients
{
    public StorageClients(IOptions<StorageOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;

        // Functions' queue trigger decodes base64 by default; writing base64 keeps both hosts reading our messages.
        var queueOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        if (!string.IsNullOrWhiteSpace(o.ConnectionString))
        {
            Tables = new TableServiceClient(o.ConnectionString);
            Queues = new QueueServiceClient(o.ConnectionString, queueOptions);
        }
        else
        {
            TokenCredential credential = new DefaultAzureCredential();
            Tables = new TableServiceClient(o.TableServiceUri, credential);
            Queues = new QueueServiceClient(o.QueueServiceUri, credential, queueOptions);
        }
    }

    public TableServiceClient Tables { get; }

    public QueueServiceClient Queues { get; }

    public TableClient Table(string name) => Tables.GetTableClient(name);

    public QueueClient Queue(string name) => Queues.GetQueueClient(name);
}
