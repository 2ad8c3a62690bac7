using System.Net;
using static Kodosumi.Tests.Security.SecurityService;

namespace Kodosumi.Tests.Security;

/// <summary>Issue 21, point 5: a way back with characters beyond ASCII is sent on percent-encoded, never a 500.</summary>
[Category("Integration")]
public class NextAddressTests
{
    [Test]
    public async Task A_signed_in_browser_asked_to_go_back_to_a_non_ascii_address_is_sent_there_encoded()
    {
        var token = await SignIn(Alice);
        using var client = Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/login?next=/%C3%A9t%C3%A9?q=%E2%9C%93");
        request.Headers.TryAddWithoutValidation("Cookie", $"kodosumi_jwt={token}");
        using var response = await client.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.InRange(300, 399));
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo("/%C3%A9t%C3%A9?q=%E2%9C%93"));
    }

    [Test]
    public async Task A_sign_in_form_with_a_non_ascii_way_back_is_sent_there_encoded()
    {
        using var client = Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = Alice.Name, ["password"] = Alice.Password, ["next"] = "/é" }),
        };
        request.Headers.Add("X-Forwarded-For", NewClientAddress());
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        Assert.That(response.Headers.Location?.OriginalString, Is.EqualTo("/%C3%A9"));
    }
}
