using System.Text.Json.Serialization;
using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Auth.Login;

public sealed class LoginRequest
{
    /// <summary>The role's name in Kodosumi's admin.db.</summary>
    public string Name { get; init; } = "";
    /// <summary>Its password.</summary>
    public string Password { get; init; } = "";
}

public sealed class LoginValidator : Validator<LoginRequest>
{
    public LoginValidator()
    {
        RuleFor(r => r.Name).NotEmpty();
        RuleFor(r => r.Password).NotEmpty();
    }
}

/// <summary>Kodosumi's login answer: the role and its token, also usable as the <c>KODOSUMI_API_KEY</c> header.</summary>
public sealed class LoginResponse
{
    public required string Name { get; init; }
    public required string Id { get; init; }
    [JsonPropertyName(KodosumiTokens.HeaderName)] public required string KodosumiApiKey { get; init; }
}
