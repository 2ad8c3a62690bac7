using Kodosumi.Api.Auth.Login;
using Kodosumi.Api.Hosting;
using Kodosumi.Indexer.Users;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Kodosumi.Api.Auth;

public static class AuthExtensions
{
    /// <summary>Kodosumi's tokens as the default (and only) scheme, its users, and the login limiter.</summary>
    public static IServiceCollection AddKodosumiAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>()
            .BindConfiguration(AuthOptions.Section)
            .Configure<IConfiguration>((o, config) =>
            {
                if (SecretSettings.Read(config, AuthOptions.SecretKeySetting) is { } secret) o.SecretKey = secret;
                // Kodosumi's names for its first user, unless this service's own settings say otherwise.
                if (config[$"{AuthOptions.Section}:{nameof(AuthOptions.AdminPassword)}"] is null && SecretSettings.Read(config, "KODO_ADMIN_PASSWORD") is { Length: > 0 } password)
                    o.AdminPassword = password;
                if (config[$"{AuthOptions.Section}:{nameof(AuthOptions.AdminEmail)}"] is null && config["KODO_ADMIN_EMAIL"] is { Length: > 0 } email)
                    o.AdminEmail = email;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<Accounts>();
        services.AddSingleton<KodosumiTokens>();
        services.AddSingleton<Logins>();
        services.AddSingleton<RevokedTokens>();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme).Configure<KodosumiTokens>((o, tokens) =>
        {
            o.MapInboundClaims = false; // keep "sub" as "sub"
            o.IncludeErrorDetails = false; // the challenge says only that the token failed (see KodosumiTokens.Events)
            o.TokenValidationParameters = tokens.ValidationParameters;
            o.Events = KodosumiTokens.Events;
        });
        services.AddAuthorization();
        return services;
    }

    public static WebApplication UseKodosumiAuth(this WebApplication app)
    {
        WarnAboutDefaults(app);
        UseTrustedProxies(app);
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>Behind a trusted proxy the client is the address it forwards (the login limiter keys on it).</summary>
    static void UseTrustedProxies(WebApplication app)
    {
        var proxies = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value.TrustedProxies;
        if (proxies.Count == 0) return;
        var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto };
        forwarded.KnownProxies.Clear();
        forwarded.KnownIPNetworks.Clear();
        foreach (var proxy in proxies)
        {
            if (System.Net.IPAddress.TryParse(proxy, out var address)) forwarded.KnownProxies.Add(address);
            else forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(proxy));
        }
        app.UseForwardedHeaders(forwarded);
    }

    /// <summary>Kodosumi's defaults are public knowledge; say so loudly when a deployment still uses them.</summary>
    static void WarnAboutDefaults(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<AuthOptions>>().Value;
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Kodosumi.Api.Auth");
        if (options.SecretKey == AuthOptions.DefaultSecretKey)
            logger.LogWarning("{Setting} is Kodosumi's default secret: anyone can forge tokens. Set it to the secret Kodosumi uses.",
                AuthOptions.SecretKeySetting);
        var users = app.Services.GetRequiredService<UserDirectory>();
        if (!File.Exists(users.Path))
        {
            logger.LogWarning("No admin.db at {Path}: the only account is '{Name}' from the Auth settings.", users.Path, options.AdminName);
            if (options.AdminPassword == AuthOptions.DefaultAdminPassword)
                logger.LogWarning("The admin account uses the default password. Set Auth:AdminPassword (or KODO_ADMIN_PASSWORD).");
        }
    }
}
