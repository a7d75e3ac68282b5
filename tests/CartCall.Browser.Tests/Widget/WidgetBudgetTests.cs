using System.IO.Compression;
using CartCall.Testing;

namespace CartCall.Browser.Tests.Widget;

/// <summary>The base widget loads on every store page: it stays under 15 KB gzipped; the calling code stays out of it.</summary>
public sealed class WidgetBudgetTests
{
    private const int BudgetGzippedBytes = 15 * 1024;

    [Fact]
    public void BaseWidget_IsUnder15KBGzipped_AndLeavesTheCallingCodeToItsOwnFiles()
    {
        var folder = Path.Combine(RepoPaths.Root, "functions", "widget");
        var widget = File.ReadAllText(Path.Combine(folder, "cartcall.js"));

        var gzipped = Gzipped(File.ReadAllBytes(Path.Combine(folder, "cartcall.js")));
        Assert.True(gzipped < BudgetGzippedBytes, $"cartcall.js is {gzipped:N0} bytes gzipped; the budget is {BudgetGzippedBytes:N0}");
        // The WebRTC and SDK code lives in files loaded only for a browser call.
        Assert.DoesNotContain("RTCPeerConnection", widget, StringComparison.Ordinal);
        Assert.DoesNotContain("CallClient", widget, StringComparison.Ordinal);
        Assert.Contains("RTCPeerConnection", File.ReadAllText(Path.Combine(folder, "cartcall-calling.js")), StringComparison.Ordinal);
    }

    private static long Gzipped(byte[] bytes)
    {
        using var zipped = new MemoryStream();
        using (var gzip = new GZipStream(zipped, CompressionLevel.SmallestSize, leaveOpen: true)) gzip.Write(bytes);
        return zipped.Length;
    }
}
