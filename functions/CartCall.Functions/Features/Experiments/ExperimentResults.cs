using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using CartCall.Domain.Experiments;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Experiments;

/// <summary>One period of a merchant's results: its local dates, the instants they span, and the report.</summary>
public sealed record ResultsPeriod(DateOnly From, DateOnly To, DateTimeOffset Start, DateTimeOffset End, UpliftReport Report);

/// <summary>
/// A merchant's measured results for a range of its local days: the uplift report for the whole range and one per
/// bucket (day or week) for plots over time. Methods: Experiments/README.md in the domain.
/// </summary>
/// <param name="From">First local day, inclusive.</param>
/// <param name="To">Last local day, inclusive.</param>
public sealed record ResultsDocument(
    string MerchantId,
    string Currency,
    string TimeZone,
    DateOnly From,
    DateOnly To,
    string Bucket,
    double HoldoutShare,
    double AttributionWindowHours,
    DateTimeOffset AsOf,
    UpliftReport Total,
    IReadOnlyList<ResultsPeriod> Series);

/// <summary>What a results request asks for, read from the query.</summary>
public sealed record ResultsQuery(DateOnly From, DateOnly To, string Bucket)
{
    public const int MaxDays = 366;
    public static readonly string[] Buckets = ["day", "week"];

    /// <summary>The range asked for (default: the last 30 local days), or the problems with it.</summary>
    public static (ResultsQuery? Query, IReadOnlyList<string> Problems) Read(HttpRequest request, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(request);
        var problems = new List<string>();
        var to = Date(Hosting.Query.Text(request, "to"), "to", problems) ?? today;
        var from = Date(Hosting.Query.Text(request, "from"), "from", problems) ?? to.AddDays(-29);
        var bucket = (Hosting.Query.Text(request, "bucket") ?? "day").ToLowerInvariant();
        if (!Buckets.Contains(bucket))
        {
            problems.Add("bucket must be day or week.");
        }

        if (problems.Count == 0 && from > to)
        {
            problems.Add("from must not be after to.");
        }
        else if (problems.Count == 0 && to.DayNumber - from.DayNumber + 1 > MaxDays)
        {
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"The range may span at most {MaxDays} days."));
        }

        return problems.Count > 0 ? (null, problems) : (new ResultsQuery(from, to, bucket), problems);
    }

    private static DateOnly? Date(string? text, string name, List<string> problems)
    {
        if (text is null)
        {
            return null;
        }

        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            return date;
        }

        problems.Add($"{name} must be a date as yyyy-MM-dd, not '{(text.Length <= 20 ? text : text[..20] + "…")}'.");
        return null;
    }
}

/// <summary>Computes a merchant's results from the experiment table (<see cref="UpliftCalculator"/>).</summary>
public sealed class ExperimentResults(TableExperimentStore experiments, TimeProvider time)
{
    /// <summary>Results JSON: camelCase like the rest of the API, and an interval with no bound (too few sessions) as null.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    public DateOnly Today(Merchant merchant)
    {
        ArgumentNullException.ThrowIfNull(merchant);
        return merchant.LocalDate(time.GetUtcNow());
    }

    public async Task<ResultsDocument> ComputeAsync(Merchant merchant, ResultsQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(merchant);
        ArgumentNullException.ThrowIfNull(query);
        var zone = TimeZoneInfo.FindSystemTimeZoneById(merchant.TimeZone);
        var start = LocalMidnight(query.From, zone);
        var end = LocalMidnight(query.To.AddDays(1), zone);
        var sessions = await experiments.ListAsync(
            merchant.Id, DateOnly.FromDateTime(start.UtcDateTime), DateOnly.FromDateTime(end.UtcDateTime), cancellationToken).ConfigureAwait(false);
        var settings = merchant.ExperimentSettings;
        var asOf = time.GetUtcNow();

        var periods = new List<(DateOnly From, DateOnly To)>();
        var step = query.Bucket == "week" ? 7 : 1;
        for (var day = query.From; day <= query.To; day = day.AddDays(step))
        {
            var last = day.AddDays(step - 1);
            periods.Add((day, last < query.To ? last : query.To));
        }

        var series = periods.Select(p =>
        {
            var (s, e) = (LocalMidnight(p.From, zone), LocalMidnight(p.To.AddDays(1), zone));
            return new ResultsPeriod(p.From, p.To, s, e, UpliftCalculator.Compute(sessions, s, e, asOf, settings));
        }).ToList();

        return new ResultsDocument(
            merchant.Id, merchant.Currency, merchant.TimeZone, query.From, query.To, query.Bucket, settings.HoldoutShare,
            settings.AttributionWindow.TotalHours, asOf, UpliftCalculator.Compute(sessions, start, end, asOf, settings), series);
    }

    /// <summary>The results as CSV: one row per bucket, then the whole range as <c>total</c>.</summary>
    public static string Csv(ResultsDocument results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var inv = CultureInfo.InvariantCulture;
        var csv = new StringBuilder();
        csv.AppendLine(string.Join(',', Columns));
        foreach (var p in results.Series)
        {
            Row(csv, p.From.ToString("yyyy-MM-dd", inv), p.To.ToString("yyyy-MM-dd", inv), p.Report);
        }

        Row(csv, "total", results.From.ToString("yyyy-MM-dd", inv) + ".." + results.To.ToString("yyyy-MM-dd", inv), results.Total);
        return csv.ToString();
    }

    private static readonly string[] Columns =
    [
        "from", "to",
        "treatment_sessions", "treatment_conversions", "treatment_conversion", "treatment_conversion_lower", "treatment_conversion_upper",
        "control_sessions", "control_conversions", "control_conversion", "control_conversion_lower", "control_conversion_upper",
        "uplift", "uplift_lower", "uplift_upper",
        "incremental_conversions", "incremental_conversions_lower", "incremental_conversions_upper",
        "treatment_revenue", "control_revenue", "incremental_revenue", "incremental_revenue_lower", "incremental_revenue_upper",
        "incremental_margin", "incremental_margin_lower", "incremental_margin_upper",
        "net_incremental_margin", "net_incremental_margin_lower", "net_incremental_margin_upper",
        "offers", "withheld", "shown", "accepted", "connected", "converted",
        "acceptance_rate", "calls", "call_cost", "return_on_call_cost", "maturing", "sufficient",
    ];

    private static void Row(StringBuilder csv, string from, string to, UpliftReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        static string N(double v) => double.IsFinite(v) ? v.ToString("0.######", CultureInfo.InvariantCulture) : "";
        static string E(Estimate e) => $"{N(e.Value)},{N(e.Lower)},{N(e.Upper)}";
        var f = r.Funnel;
        csv.Append(inv, $"{from},{to},")
            .Append(inv, $"{r.Treatment.Sessions},{r.Treatment.Conversions},{E(r.Treatment.Conversion)},")
            .Append(inv, $"{r.Control.Sessions},{r.Control.Conversions},{E(r.Control.Conversion)},")
            .Append(inv, $"{E(r.ConversionDifference)},{E(r.IncrementalConversions)},")
            .Append(inv, $"{r.Treatment.Revenue},{r.Control.Revenue},{E(r.IncrementalRevenue)},")
            .Append(inv, $"{E(r.IncrementalMargin)},{E(r.NetIncrementalMargin)},")
            .Append(inv, $"{f.Offers},{f.Withheld},{f.Shown},{f.Accepted},{f.Connected},{f.Converted},")
            .Append(inv, $"{(r.AcceptanceRate is { } a ? N(a) : "")},{r.Calls},{r.CallCost},{(r.ReturnOnCallCost is { } x ? N(x) : "")},")
            .Append(inv, $"{r.Maturing},{(r.Sufficient ? "true" : "false")}")
            .AppendLine();
    }

    private static DateTimeOffset LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var local = day.ToDateTime(TimeOnly.MinValue);
        // A midnight skipped by a DST change starts the day an hour later.
        while (zone.IsInvalidTime(local))
        {
            local = local.AddHours(1);
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = AppJson.Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));
        options.Converters.Add(new FiniteOrNullConverter());
        return options;
    }
}

/// <summary>Writes a number that is not finite (an unbounded interval, a NaN from an empty sample) as JSON null.</summary>
public sealed class FiniteOrNullConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
