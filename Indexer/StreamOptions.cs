using System.ComponentModel.DataAnnotations;

namespace Kodosumi.Indexer;

/// <summary>Settings of the live stream (<c>Stream</c> section): the indexer keeps the events, the API sends them.</summary>
public sealed class StreamOptions : IValidatableObject
{
    public const string Section = "Stream";

    /// <summary>How many recent events are kept for clients that reconnect; an older id gets a <c>reset</c> event.</summary>
    [Range(16, 1_000_000)] public int BufferSize { get; set; } = Store.IndexEvents.DefaultCapacity;

    /// <summary>A <c>heartbeat</c> event is sent when the stream opens and after this long without events, so proxies and clients see the connection alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (HeartbeatInterval < TimeSpan.FromMilliseconds(10) || HeartbeatInterval > TimeSpan.FromMinutes(10))
            yield return new ValidationResult($"{Section}:{nameof(HeartbeatInterval)} must be between 00:00:00.010 and 00:10:00, got {HeartbeatInterval}", [nameof(HeartbeatInterval)]);
    }
}
