using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NCrontab;

namespace CartCall.LocalCloud.FunctionsHost;

/// <summary>
/// A timer trigger on its schedule: a six-field NCRONTAB expression (with seconds, in UTC, as the Functions host reads
/// it) or a TimeSpan interval; <c>%Setting%</c> is taken from the app settings; <c>runOnStartup</c> fires once at start.
/// Unlike the host, the schedule's last run is not kept in storage, so a run missed while the local cloud was down is
/// not made up as past due.
/// </summary>
public sealed partial class TimerTriggerScheduler
{
    private readonly FunctionDescriptor function;
    private readonly FunctionInvoker invoker;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Func<DateTime, DateTime> next;
    private DateTime? last;

    public TimerTriggerScheduler(FunctionDescriptor function, FunctionInvoker invoker, IReadOnlyDictionary<string, string> settings, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(settings);
        this.function = function;
        this.invoker = invoker;
        this.time = time;
        this.logger = logger;
        Schedule = Resolve(function.Trigger.Text("schedule") ?? "", settings);
        next = Parse(function.Name, Schedule);
    }

    public string Schedule { get; }

    public static string Resolve(string schedule, IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        ArgumentNullException.ThrowIfNull(settings);
        if (schedule.Length > 2 && schedule[0] == '%' && schedule[^1] == '%')
        {
            var key = schedule[1..^1];
            return settings.TryGetValue(key, out var value) ? value : throw new WorkerStartupException($"The timer schedule names the setting '{key}', which is not set.");
        }

        return schedule;
    }

    public static Func<DateTime, DateTime> Parse(string functionName, string schedule)
    {
        if (TimeSpan.TryParse(schedule, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero)
        {
            return last => last + interval;
        }

        var cron = CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
            ?? throw new WorkerStartupException($"{functionName}: '{schedule}' is neither a six-field NCRONTAB expression nor a TimeSpan.");
        return cron.GetNextOccurrence;
    }

    public FunctionDescriptor Function => function;

    /// <summary>
    /// Runs the function now, off its schedule, as the host's <c>POST /admin/functions/{name}</c> does; the next
    /// scheduled run is not moved. Returns whether the run succeeded (a failure is logged as a scheduled one is).
    /// </summary>
    public async Task<bool> RunNowAsync(CancellationToken stoppingToken) =>
        await FireAsync(last, stoppingToken).ConfigureAwait(false) is not null;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        if (function.Trigger.Flag("runOnStartup"))
        {
            last = await FireAsync(null, stoppingToken).ConfigureAwait(false);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var due = next(now);
            try
            {
                await Task.Delay(due - now, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            last = await FireAsync(last, stoppingToken).ConfigureAwait(false) ?? last;
        }
    }

    private async Task<DateTime?> FireAsync(DateTime? previous, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var info = JsonSerializer.Serialize(new
        {
            Schedule = new { AdjustForDST = true },
            ScheduleStatus = new { Last = previous ?? DateTime.MinValue, Next = next(now), LastUpdated = now },
            IsPastDue = false,
        });
        try
        {
            await invoker.InvokeAsync(function.Name, request =>
            {
                request.InputData.Add(new Rpc.ParameterBinding { Name = function.Trigger.Name, Data = FunctionInvoker.Json(info) });
            }, TimeSpan.FromMinutes(10), stoppingToken).ConfigureAwait(false);
            return now;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is FunctionFailedException or WorkerUnavailableException or TimeoutException)
        {
            // As under the host: a failed run is logged and the schedule goes on.
            LogFailed(function.Name, e.Message);
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Timer function {Function} failed: {Error}")]
    private partial void LogFailed(string function, string error);
}
