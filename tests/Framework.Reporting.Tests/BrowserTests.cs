using AlignFx.Host.Cli;
using AlignFx.Host.Store;
using Microsoft.Playwright;

namespace AlignFx.Reporting.Tests;

/// <summary>
/// A compare report opened in headless Chromium (Debian's <c>chromium</c>, driven by Microsoft.Playwright): its
/// plots are laid out and visible. Skips, saying why, where no Chromium is installed (.ci/run installs it).
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class BrowserTests : IDisposable
{
    /// <summary>Set to a Chromium executable to use instead of the system's.</summary>
    public const string ChromiumVariable = "ALIGNFX_CHROMIUM";

    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

    private readonly ReportWorkspace _workspace = new();

    public void Dispose() => _workspace.Dispose();

    private static string? FindChromium() =>
        Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } chosen ? chosen : Candidates.FirstOrDefault(File.Exists);

    [Fact]
    public async Task The_compare_reports_plots_are_visible_in_headless_chromium()
    {
        string? chromium = FindChromium();
        if (chromium is null)
        {
            Assert.Skip($"No Chromium found ({string.Join(", ", Candidates)}; or set {ChromiumVariable}); install Debian's chromium (apt-get install chromium), as .ci/run does.");
        }
        var (code, _, error) = _workspace.Cli("compare", _workspace.Manifest("compare.json", ReportWorkspace.WalkCompare));
        Assert.True(code == ExitCodes.Ok, error);
        string page;
        using (RunStore store = RunStore.Open(_workspace.StorePath))
        {
            page = Path.Combine(store.RunsDirectory, "compares", Assert.Single(store.ListCompares()).Id, "report.html");
        }

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Root in CI containers: Chromium's sandbox needs a user namespace it may not get.
            Args = ["--no-sandbox", "--disable-gpu"],
            Timeout = 60_000,
        });
        IPage tab = await browser.NewPageAsync();
        var requests = new List<string>();
        tab.Request += (_, request) => requests.Add(request.Url);
        await tab.GotoAsync(new Uri(page).AbsoluteUri);

        ILocator charts = tab.Locator("svg.chart");
        Assert.Equal(2, await charts.CountAsync());
        for (int i = 0; i < 2; i++)
        {
            ILocator chart = charts.Nth(i);
            Assert.True(await chart.IsVisibleAsync());
            LocatorBoundingBoxResult? box = await chart.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.Width >= 600 && box.Height >= 280, $"chart {i} is {box.Width}×{box.Height}");
            // Each arm's curve is drawn with a real extent, not collapsed.
            ILocator lines = chart.Locator("polyline.line");
            Assert.Equal(2, await lines.CountAsync());
            LocatorBoundingBoxResult? line = await lines.First.BoundingBoxAsync();
            Assert.True(line is { Width: > 100 }, "the first curve has no width");
        }
        ILocator bands = tab.Locator("svg.chart[aria-label='walk/position'] polygon.band");
        Assert.Equal(2, await bands.CountAsync());
        Assert.True(await bands.First.IsVisibleAsync());
        // Self-contained: the page itself is the only thing loaded.
        Assert.Equal([new Uri(page).AbsoluteUri], requests);
    }
}

/// <summary>
/// The browser tests run alone, after every other test of the project: Playwright sets <c>Console.OutputEncoding</c>
/// when it starts its driver, which takes the console's lock and then a writer's, while a CLI test's console logger can
/// hold the writer and wait for the console's lock. The two deadlocked a CI run (stacks taken with dotnet-stack).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "browser (alone)";
}
