using System.Text;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// A queue trigger as the Storage queue extension runs it under the Functions host: poll with backoff up to
/// <c>maxPollingInterval</c>, take <c>batchSize</c> messages and fetch more when no more than <c>newBatchThreshold</c>
/// are running, delete a message its function completed, make a failed one visible again after
/// <c>visibilityTimeout</c>, and after <c>maxDequeueCount</c> tries move it to <c>{queue}-poison</c>.
/// </summary>
public sealed partial class QueueTriggerListener
{
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a received message stays hidden while its function runs (the extension's default).</summary>
    private static readonly TimeSpan ProcessingVisibility = TimeSpan.FromMinutes(10);

    private readonly FunctionDescriptor function;
    private readonly QueueClient queue;
    private readonly QueueClient poison;
    private readonly QueueTriggerSettings settings;
    private readonly FunctionInvoker invoker;
    private readonly ILogger logger;
    private readonly TimeSpan invocationTimeout;

    public QueueTriggerListener(FunctionDescriptor function, QueueServiceClient queues, QueueTriggerSettings settings, FunctionInvoker invoker, ILogger logger, TimeSpan invocationTimeout)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(queues);
        this.function = function;
        var name = QueueName(function);
        queue = queues.GetQueueClient(name);
        poison = queues.GetQueueClient(name + "-poison");
        this.settings = settings;
        this.invoker = invoker;
        this.logger = logger;
        this.invocationTimeout = invocationTimeout;
    }

    public string Queue => queue.Name;

    public static string QueueName(FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return function.Trigger.Text("queueName") ?? throw new WorkerStartupException($"{function.Name}: its queue trigger names no queue.");
    }

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
        var threshold = settings.NewBatchThreshold ?? settings.BatchSize / 2;
        var running = new List<Task>();
        var wait = MinPoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            if (running.Count > threshold)
            {
                await Task.WhenAny(running).ConfigureAwait(false);
                continue;
            }

            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(settings.BatchSize, ProcessingVisibility, stoppingToken).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is RequestFailedException or HttpRequestException or AggregateException)
            {
                LogPollFailed(e, Queue);
                batch = [];
            }

            if (batch.Length == 0)
            {
                try
                {
                    await Task.Delay(wait, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, settings.MaxPollingInterval.Ticks));
                continue;
            }

            wait = MinPoll;
            running.AddRange(batch.Select(m => ProcessAsync(m, stoppingToken)));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task ProcessAsync(QueueMessage message, CancellationToken stoppingToken)
    {
        string? text = Decode(message);
        bool completed = false;
        if (text is null)
        {
            LogUndecodable(function.Name, message.MessageId);
        }
        else
        {
            try
            {
                LogInvoking(function.Name, message.MessageId, message.DequeueCount);
                await invoker.InvokeAsync(function.Name, request =>
                {
                    request.InputData.Add(new Rpc.ParameterBinding { Name = function.Trigger.Name, Data = FunctionInvoker.Text(text) });
                    request.TriggerMetadata["QueueTrigger"] = FunctionInvoker.Text(text);
                    request.TriggerMetadata["DequeueCount"] = FunctionInvoker.Json(message.DequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    request.TriggerMetadata["Id"] = FunctionInvoker.Text(message.MessageId);
                    request.TriggerMetadata["PopReceipt"] = FunctionInvoker.Text(message.PopReceipt);
                    if (message.InsertedOn is { } inserted)
                    {
                        request.TriggerMetadata["InsertionTime"] = FunctionInvoker.Json(System.Text.Json.JsonSerializer.Serialize(inserted));
                    }
                }, invocationTimeout, stoppingToken).ConfigureAwait(false);
                completed = true;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // The message reappears when its visibility ends: at least once, as in Azure.
                return;
            }
            catch (Exception e) when (e is FunctionFailedException or WorkerUnavailableException or TimeoutException or OperationCanceledException)
            {
                LogFailed(function.Name, message.MessageId, message.DequeueCount, e.Message);
            }
        }

        try
        {
            if (completed)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
            }
            else if (text is null || message.DequeueCount >= settings.MaxDequeueCount)
            {
                await poison.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
                await poison.SendMessageAsync(message.Body, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, CancellationToken.None).ConfigureAwait(false);
                LogPoisoned(function.Name, message.MessageId, message.DequeueCount);
            }
            else
            {
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: settings.VisibilityTimeout, cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e)
        {
            // The message reappears after its visibility ends and is tried again.
            LogSettleFailed(e, function.Name, message.MessageId);
        }
    }

    private string? Decode(QueueMessage message)
    {
        if (!settings.MessageEncoding.Equals("base64", StringComparison.OrdinalIgnoreCase))
        {
            return message.Body.ToString();
        }

        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(message.Body.ToString()));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Invoking {Function} for message {MessageId} (dequeue count {DequeueCount})")]
    private partial void LogInvoking(string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling queue {Queue} failed")]
    private partial void LogPollFailed(Exception e, string queue);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} failed on message {MessageId} (dequeue count {DequeueCount}): {Error}")]
    private partial void LogFailed(string function, string messageId, long dequeueCount, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} gave up on message {MessageId} after {DequeueCount} tries; moved to the poison queue")]
    private partial void LogPoisoned(string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: message {MessageId} is not base64 as host.json's messageEncoding says; moved to the poison queue")]
    private partial void LogUndecodable(string function, string messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function} could not settle message {MessageId}")]
    private partial void LogSettleFailed(Exception e, string function, string messageId);
}
