using System.ComponentModel.DataAnnotations;

namespace Kodosumi.Api.Auth;

/// <summary>
/// Settings of sign-in: the <c>Auth</c> section, plus Kodosumi's own variables (<c>KODO_SECRET_KEY</c>,
/// <c>KODO_ADMIN_EMAIL</c>, <c>KODO_ADMIN_PASSWORD</c>) so one environment configures both services.
/// </summary>
public sealed class AuthOptions : IValidatableObject
{
    public const string Section = "Auth";
    public const string SecretKeySetting = "KODO_SECRET_KEY";
    public const string DefaultSecretKey = "top secret -- change this in production";
    public const string DefaultAdminPassword = "admin";

    /// <summary>Kodosumi's <c>KODO_SECRET_KEY</c>, the HS256 key of every token; only read from that name.</summary>
    public string SecretKey { get; internal set; } = DefaultSecretKey;

    /// <summary>The one account used when there is no admin.db (the demo, or a deployment without Kodosumi's users).</summary>
    [Required] public string AdminName { get; set; } = "admin";
    [Required] public string AdminPassword { get; set; } = DefaultAdminPassword;
    public string AdminEmail { get; set; } = "admin@example.com";
    /// <summary>The fallback admin's role id, the <c>sub</c> of its tokens; fixed so tokens survive a restart.</summary>
    [Required] public string AdminId { get; set; } = "00000000-0000-4000-8000-00000000ad01";

    /// <summary>How long a token issued by a login here is valid.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Failed logins allowed per client address within <see cref="FailedLoginWindow"/>; more answer 429.</summary>
    [Range(1, 1_000_000)] public int FailedLoginLimit { get; set; } = 5;
    public TimeSpan FailedLoginWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Failed logins of one account name (from any client) within <see cref="FailedLoginWindow"/> before each further
    /// try of it waits <see cref="AccountSlowdownStep"/> more, up to <see cref="AccountSlowdownMax"/>: slowed, never locked.
    /// </summary>
    [Range(1, 1_000_000)] public int AccountSlowdownAfter { get; set; } = 10;
    public TimeSpan AccountSlowdownStep { get; set; } = TimeSpan.FromSeconds(1);
    public TimeSpan AccountSlowdownMax { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Marks the session cookie <c>Secure</c> even on plain HTTP: behind a TLS proxy whose <c>X-Forwarded-Proto</c>
    /// is not believed (see <see cref="TrustedProxies"/>), the service cannot tell the browser uses HTTPS.
    /// </summary>
    public bool SecureCookie { get; set; }

    /// <summary>
    /// Reverse proxies (addresses or CIDR networks, e.g. <c>172.16.0.0/12</c>) whose <c>X-Forwarded-For</c> is
    /// believed, so failed logins count against the real client rather than against the proxy. Empty: none.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        foreach (var proxy in TrustedProxies.Where(p => !System.Net.IPNetwork.TryParse(p, out _) && !System.Net.IPAddress.TryParse(p, out _)))
            yield return new ValidationResult($"{Section}:{nameof(TrustedProxies)} holds '{proxy}', neither an IP address nor a CIDR network", [nameof(TrustedProxies)]);
        if (string.IsNullOrEmpty(SecretKey))
            yield return new ValidationResult($"{SecretKeySetting} must not be empty: it signs every token", [nameof(SecretKey)]);
        if (!Guid.TryParse(AdminId, out _))
            yield return new ValidationResult($"{Section}:{nameof(AdminId)} must be a UUID, got '{AdminId}'", [nameof(AdminId)]);
        if (TokenLifetime <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(TokenLifetime)} must be positive", [nameof(TokenLifetime)]);
        if (AccountSlowdownStep < TimeSpan.Zero || AccountSlowdownMax < AccountSlowdownStep)
            yield return new ValidationResult($"{Section}:{nameof(AccountSlowdownMax)} must be at least {nameof(AccountSlowdownStep)}, which must not be negative",
                [nameof(AccountSlowdownMax)]);
        if (FailedLoginWindow <= TimeSpan.Zero)
            yield return new ValidationResult($"{Section}:{nameof(FailedLoginWindow)} must be positive", [nameof(FailedLoginWindow)]);
    }
}
