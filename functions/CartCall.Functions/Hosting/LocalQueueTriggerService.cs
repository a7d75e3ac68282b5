using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using CartCall.Functions.Storage;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Hosting;

/// <summary>
/// Local stand-in for the Functions host's queue trigger: polls each queue function's queue, runs the handler,
/// deletes on success, backs off on failure and moves a message to <c>{queue}-poison</c> after the host's
/// <c>maxDequeueCount</c>, as the host would.
/// </summary>
public sealed partial class LocalQueueTriggerService(
    IEnumerable<IQueueFunction> functions,
    StorageClients storage,
    IOptions<HostingOptions> options,
    TimeProvider time,
    ILogger<LocalQueueTriggerService> logger) : BackgroundService
{
    private static readonly TimeSpan MinPoll = TimeSpan.FromMilliseconds(25);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(functions.Select(f => Task.Run(() => PollAsync(f, stoppingToken), stoppingToken)));

    private async Task PollAsync(IQueueFunction function, CancellationToken stoppingToken)
    {
        var o = options.Value;
        var queue = storage.Queue(function.QueueName);
        var poison = storage.Queue(StorageNames.Poison(function.QueueName));
        var wait = MinPoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage[] batch;
            try
            {
                batch = (await queue.ReceiveMessagesAsync(16, o.VisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                LogPollFailed(e, function.QueueName);
                batch = [];
            }

            if (batch.Length == 0)
            {
                await Task.Delay(wait, time, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, o.MaxPollInterval.Ticks));
                continue;
            }

            wait = MinPoll;
            await Task.WhenAll(batch.Select(m => RunAsync(function, queue, poison, m, stoppingToken))).ConfigureAwait(false);
        }
    }

    private async Task RunAsync(IQueueFunction function, QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        var o = options.Value;
        QueueOutcome outcome;
        try
        {
            outcome = await function.HandleAsync(message.MessageText, (int)message.DequeueCount, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // A failing handler must not stop the poller; the message is retried as the host would.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogHandlerFailed(e, function.Name, message.MessageId, message.DequeueCount);
            outcome = QueueOutcome.Retry;
        }

        try
        {
            if (outcome == QueueOutcome.Completed)
            {
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken).ConfigureAwait(false);
            }
            else if (message.DequeueCount >= o.MaxDequeueCount)
            {
                await poison.SendMessageAsync(message.Body, cancellationToken: stoppingToken).ConfigureAwait(false);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stoppingToken).ConfigureAwait(false);
                LogPoisoned(function.Name, message.MessageId, message.DequeueCount);
            }
            else
            {
                var backoff = TimeSpan.FromTicks(Math.Min(o.VisibilityTimeout.Ticks * (1L << (int)Math.Min(message.DequeueCount, 10)), TimeSpan.FromMinutes(10).Ticks)) / 16;
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: backoff, cancellationToken: stoppingToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException e)
        {
            // The message reappears after its visibility timeout and is tried again: at-least-once, as in Azure.
            LogSettleFailed(e, function.Name, message.MessageId);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling queue {Queue} failed")]
    private partial void LogPollFailed(Exception e, string queue);

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} failed on message {MessageId} (dequeue {DequeueCount})")]
    private partial void LogHandlerFailed(Exception e, string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} gave up on message {MessageId} after {DequeueCount} attempts; moved to poison")]
    private partial void LogPoisoned(string function, string messageId, long dequeueCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {Function} could not settle message {MessageId}")]
    private partial void LogSettleFailed(Exception e, string function, string messageId);
}
