using Kodosumi.Api.Hosting;

namespace Kodosumi.Tests.Hosting;

[Category("Integration")]
public class ContentRootTests
{
    [Test]
    public void Without_one_given_the_content_root_is_the_applications_folder()
    {
        Assume.That(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") ?? Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"), Is.Null);
        Assert.That(ContentRoot.Default(["--urls", "http://127.0.0.1:1"]), Is.EqualTo(AppContext.BaseDirectory));
    }

    [TestCase("--contentRoot", "/srv/x")]
    [TestCase("--contentRoot=/srv/x")]
    [TestCase("/contentroot", "/srv/x")]
    public void A_content_root_given_on_the_command_line_is_left_to_the_host(params string[] args) =>
        Assert.That(ContentRoot.Default(args), Is.Null);
}
