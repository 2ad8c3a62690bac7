using System.Globalization;
using System.Text.Json;
using Kodosumi.Tests.Support;
using Microsoft.Playwright;

namespace Kodosumi.Tests.Browser;

/// <summary>
/// A fresh browser context and page per test, opened on the dashboard (logging in through the page's own
/// form when it asks). Any JavaScript dialog fails the test: nothing from the data may run.
/// </summary>
public abstract class BrowserTest
{
    protected IBrowserContext Context = null!;
    protected IPage Page = null!;
    readonly List<string> _dialogs = [];
    readonly List<string> _pageErrors = [];

    protected static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");
    protected static string Count(int n) => n.ToString("N0", English);

    [OneTimeSetUp]
    public void RequireBrowser() => DashboardSite.RequireBrowser();

    [SetUp]
    public Task OpenContext() => OpenContextAsync("UTC");

    /// <summary>Starts over in a new browser context whose clock shows <paramref name="timeZone"/>.</summary>
    protected async Task UseTimeZoneAsync(string timeZone)
    {
        await Context.CloseAsync();
        await OpenContextAsync(timeZone);
    }

    async Task OpenContextAsync(string timeZone)
    {
        Assertions.SetDefaultExpectTimeout(15_000);
        Context = await DashboardSite.Browser.NewContextAsync(new()
        {
            BaseURL = DashboardSite.BaseUrl,
            TimezoneId = timeZone,
            Locale = "en-US",
            ViewportSize = new() { Width = 1400, Height = 1000 },
            AcceptDownloads = true,
        });
        Context.SetDefaultTimeout(15_000);
        Page = await Context.NewPageAsync();
        Page.Dialog += (_, dialog) =>
        {
            lock (_dialogs) _dialogs.Add($"{dialog.Type}: {dialog.Message}");
            _ = dialog.DismissAsync();
        };
        Page.PageError += (_, error) => { lock (_pageErrors) _pageErrors.Add(error); };
    }

    [TearDown]
    public async Task CloseContext()
    {
        await Context.CloseAsync();
        Assert.Multiple(() =>
        {
            Assert.That(_dialogs, Is.Empty, "a dialog opened: something from the data ran as script");
            Assert.That(_pageErrors, Is.Empty, "the page threw");
        });
    }

    /// <summary>Opens the dashboard on a tab and waits for its first answer, logging in as admin if the page asks.</summary>
    protected async Task OpenAsync(string tab = "running")
    {
        await Page.GotoAsync($"/admin/dashboard#{tab}");
        if (Page.Url.Contains("/admin/login", StringComparison.Ordinal))
        {
            // Without a session the server's sign-in page comes first.
            await Page.FillAsync("input[name=name]", "admin");
            await Page.FillAsync("input[name=password]", "admin");
            await Page.PressAsync("input[name=password]", "Enter");
            await Page.WaitForURLAsync("**/admin/dashboard**");
            // The page keeps its view in the query (?tab=…) once it has read the #tab it was opened with.
            if (!Page.Url.Contains('#', StringComparison.Ordinal) && !Page.Url.Contains("tab=", StringComparison.Ordinal))
                await Page.GotoAsync($"/admin/dashboard#{tab}");
        }
        await Page.WaitForFunctionAsync("() => document.getElementById('updated').textContent !== '' || !document.getElementById('login').hidden");
        if (await Page.Locator("#login").IsVisibleAsync())
        {
            await LogInThroughFormAsync("admin", "admin");
            await Expect(Page.Locator("#updated")).Not.ToBeEmptyAsync();
        }
    }

    protected async Task LogInThroughFormAsync(string name, string password)
    {
        await Page.FillAsync("#login-name", name);
        await Page.FillAsync("#login-password", password);
        await Page.ClickAsync("#login-submit");
    }

    protected async Task SelectHoursAsync(double hours) =>
        await Page.SelectOptionAsync("#hours", hours.ToString(CultureInfo.InvariantCulture));

    protected static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    protected static Task<JsonElement> ApiAsync(string pathAndQuery) => DashboardSite.Api.GetJson($"/api/dashboard/{pathAndQuery}");

    /// <summary>Waits until the page evaluates <paramref name="script"/> to <paramref name="expected"/>; fails showing the last value.</summary>
    protected async Task ExpectEvaluatedAsync(string script, string expected, string what)
    {
        try
        {
            await Page.WaitForFunctionAsync($"expected => ({script})() === expected", expected);
        }
        catch (TimeoutException)
        {
            var actual = await Page.EvaluateAsync<string>(script);
            Assert.That(actual, Is.EqualTo(expected), what);
        }
    }

    /// <summary>The fids of the table's rows, in order, joined by commas.</summary>
    protected const string RowFids = "() => [...document.querySelectorAll('#running-table tbody tr[data-fid]')].map(r => r.dataset.fid).join(',')";

    protected Task ExpectRowsAsync(JsonElement page, string what) =>
        ExpectEvaluatedAsync(RowFids, string.Join(',', page.GetProperty("agents").EnumerateArray().Select(r => r.Str("fid"))), what);

    protected async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new() { Path = Path.Combine(DashboardSite.ScreenshotDir, $"{name}.png"), FullPage = true });
}
