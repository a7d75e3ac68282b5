using BenchmarkDotNet.Running;
using CartCall.Benchmarks.Billing;
using CartCall.Benchmarks.Calibration;
using CartCall.Benchmarks.Hooks;
using CartCall.Benchmarks.Ingest;
using CartCall.Benchmarks.Startup;

namespace CartCall.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/CartCall.Benchmarks -- ingest|startup|calibrate|refit|hooks|billing [options]</c> for the end-to-end
/// measurements; anything else goes to BenchmarkDotNet's switcher (micro-benchmarks).
/// </summary>
public static class BenchmarkProgram
{
    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        switch (args.FirstOrDefault())
        {
            case "ingest":
                return IngestBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
            case "billing":
                return BillingBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
            case "startup":
                return StartupBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
            case "calibrate":
                return CalibrationCommand.Run(args[1..]);
            case "refit":
                return RefitBenchmark.Run(args[1..]);
            case "hooks":
                return HookFanOutBenchmark.RunAsync(args[1..]).GetAwaiter().GetResult();
            default:
                BenchmarkSwitcher.FromAssembly(typeof(BenchmarkProgram).Assembly).Run(args);
                return 0;
        }
    }
}
