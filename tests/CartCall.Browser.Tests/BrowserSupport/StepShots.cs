using System.Globalization;
using System.Runtime.CompilerServices;
using CartCall.Testing;
using Microsoft.Playwright;

namespace CartCall.Browser.Tests.BrowserSupport;

/// <summary>
/// Screenshots of each step of a test, as <c>TestResults/screenshots/&lt;test&gt;/NN-step.png</c> under the test project
/// (created at run time; git ignores it), so a person can see what the shopper saw.
/// </summary>
public sealed class StepShots
{
    private readonly string _folder;
    private int _step;

    public StepShots([CallerMemberName] string test = "")
    {
        _folder = Path.Combine(RepoPaths.Root, "tests", "CartCall.Browser.Tests", "TestResults", "screenshots", test);
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        Directory.CreateDirectory(_folder);
    }

    public string Folder => _folder;

    public async Task TakeAsync(IPage page, string step)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{++_step:00}-{step}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_folder, name), FullPage = false });
    }
}
