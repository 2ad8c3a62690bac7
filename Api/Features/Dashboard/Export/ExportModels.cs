using FastEndpoints;
using FluentValidation;
using Kodosumi.Api.Features.Dashboard.RunningAgents;

namespace Kodosumi.Api.Features.Dashboard.Export;

public sealed class ExportRequest : RunningAgentsQuery
{
    /// <summary><c>csv</c> or <c>ndjson</c>.</summary>
    public string? Format { get; init; }
}

public sealed class ExportValidator : Validator<ExportRequest>
{
    public const string Csv = "csv", Ndjson = "ndjson";

    public ExportValidator()
    {
        this.AddQueryRules();
        RuleFor(r => r.Format).Must(f => f is Csv or Ndjson).WithMessage("format must be csv or ndjson");
    }
}
