using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard;

/// <summary>
/// The time window of a dashboard query: the last <c>hours</c> (Kodosumi's parameter), or an exact
/// <c>[from, to)</c>. Both at once would contradict each other, so that is refused.
/// </summary>
public abstract class RangeRequest
{
    double _hours;
    bool _hoursGiven;

    protected RangeRequest(double defaultHours) => _hours = defaultHours;

    /// <summary>Executions that started within the last so many hours (a number &gt; 0); 999999 (what Kodosumi's page sends for "All time") or more means all. Not with <c>from</c> or <c>to</c>.</summary>
    public double Hours
    {
        get => _hours;
        init
        {
            _hours = value;
            _hoursGiven = true;
        }
    }

    /// <summary>Start of an exact range, inclusive: Unix seconds, or ISO 8601 with an offset (<c>2026-12-01T00:00:00Z</c>).</summary>
    public string? From { get; init; }
    /// <summary>End of an exact range, exclusive: Unix seconds, or ISO 8601 with an offset.</summary>
    public string? To { get; init; }

    /// <summary>Whether the request named <c>hours</c> itself, rather than leaving its default.</summary>
    public bool NamesHours() => _hoursGiven;

    public bool HasExactRange() => !string.IsNullOrWhiteSpace(From) || !string.IsNullOrWhiteSpace(To);

    /// <summary>The window of a valid request (see <see cref="RangeRules"/>).</summary>
    public TimeRange ToRange(TimeProvider time)
    {
        if (!HasExactRange()) return new TimeRange(TimeWindow.Since(Hours, time), double.PositiveInfinity);
        var since = TimeWindow.TryParseInstant(From, out var f) ? f : double.NegativeInfinity;
        var until = TimeWindow.TryParseInstant(To, out var t) ? t : double.PositiveInfinity;
        return new TimeRange(since, until);
    }
}

public static class RangeRules
{
    /// <summary>The rules of <see cref="RangeRequest"/>, added to an endpoint's own validator.</summary>
    public static void AddRangeRules<T>(this AbstractValidator<T> validator) where T : RangeRequest
    {
        validator.RuleFor(r => r.Hours).GreaterThan(0);
        validator.RuleFor(r => r.Hours).Must((r, _) => !(r.NamesHours() && r.HasExactRange()))
            .WithMessage("hours cannot be combined with from or to; give either the last so many hours or an exact range");
        validator.RuleFor(r => r.From).Must(f => string.IsNullOrWhiteSpace(f) || TimeWindow.TryParseInstant(f, out _))
            .WithMessage("from must be Unix seconds or ISO 8601 with an offset, such as 2026-12-01T00:00:00Z");
        validator.RuleFor(r => r.To).Must(t => string.IsNullOrWhiteSpace(t) || TimeWindow.TryParseInstant(t, out _))
            .WithMessage("to must be Unix seconds or ISO 8601 with an offset, such as 2026-12-02T00:00:00+01:00");
        validator.RuleFor(r => r.To)
            .Must((r, t) => !TimeWindow.TryParseInstant(r.From, out var f) || !TimeWindow.TryParseInstant(t, out var u) || u > f)
            .WithMessage("to must be later than from");
    }
}
