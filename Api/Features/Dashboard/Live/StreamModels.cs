using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Kodosumi.Api.Auth;
using FastEndpoints;
using FluentValidation;

namespace Kodosumi.Api.Features.Dashboard.Live;

public sealed class StreamRequest
{
    /// <summary>What a browser's EventSource sends when it reconnects by itself.</summary>
    [FromHeader("Last-Event-ID", IsRequired = false)] public string? LastEventIdHeader { get; init; }

    /// <summary>The same for clients that cannot set headers (a new EventSource after a page reload).</summary>
    [BindFrom("last_event_id")] public string? LastEventId { get; init; }

    /// <summary>The header wins: it is the newer of the two when an EventSource opened with the query reconnects.</summary>
    public string? ResumeFrom => LastEventIdHeader ?? LastEventId;
}

public sealed class StreamValidator : Validator<StreamRequest>
{
    public StreamValidator()
    {
        RuleFor(r => r.LastEventIdHeader).Must(id => id is null || StreamEventId.IsWellFormed(id))
            .OverridePropertyName("Last-Event-ID").WithMessage("Last-Event-ID must be an id this stream sent, such as 1a2b3c4d-42");
        RuleFor(r => r.LastEventId).Must(id => id is null || StreamEventId.IsWellFormed(id))
            .OverridePropertyName("last_event_id").WithMessage("last_event_id must be an id this stream sent, such as 1a2b3c4d-42");
    }
}

/// <summary>
/// An event's id: the process's epoch and the event's position, <c>{epoch}-{position}</c>. For an operator the
/// position is the event's sequence; for anyone else it is sealed (<see cref="Seal"/>), as sequences count every
/// user's events.
/// </summary>
public static class StreamEventId
{
    const int SealedLength = 32;
    static readonly byte[] Key = RandomNumberGenerator.GetBytes(16);

    public static string Format(string epoch, long sequence) => string.Create(CultureInfo.InvariantCulture, $"{epoch}-{sequence}");

    /// <summary>The id <paramref name="viewer"/> is sent for <paramref name="sequence"/>.</summary>
    public static string Format(string epoch, Viewer viewer, long sequence) =>
        viewer.IsOperator ? Format(epoch, sequence) : $"{epoch}-{Seal(viewer.UserId, sequence)}";

    public static bool TryParse(string id, out string epoch, out long sequence)
    {
        var dash = id.LastIndexOf('-');
        epoch = dash > 0 ? id[..dash] : "";
        sequence = 0;
        return dash > 0 && long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out sequence);
    }

    /// <summary>An id of either form; whether it is one this stream sent its viewer is decided by <see cref="TryRead"/>.</summary>
    public static bool IsWellFormed(string id) => TryParse(id, out _, out _) || TrySplitSealed(id, out _, out _);

    /// <summary>The epoch and sequence of an id sent to <paramref name="viewer"/>; false for an id of another form or viewer.</summary>
    public static bool TryRead(Viewer viewer, string id, out string epoch, out long sequence)
    {
        if (viewer.IsOperator) return TryParse(id, out epoch, out sequence);
        sequence = 0;
        return TrySplitSealed(id, out epoch, out var sealedPart) && TryUnseal(viewer.UserId, sealedPart, out sequence);
    }

    static bool TrySplitSealed(string id, out string epoch, out string sealedPart)
    {
        var dash = id.LastIndexOf('-');
        epoch = dash > 0 ? id[..dash] : "";
        sealedPart = dash > 0 ? id[(dash + 1)..] : "";
        return dash > 0 && sealedPart.Length == SealedLength && sealedPart.All(char.IsAsciiHexDigitLower);
    }

    /// <summary>The sequence and the user, encrypted as one AES block under a key of this process: opaque, and only its user's.</summary>
    static string Seal(string userId, long sequence)
    {
        Span<byte> block = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(block, sequence);
        UserTag(userId).CopyTo(block[8..]);
        using var aes = Aes.Create();
        aes.Key = Key;
        return Convert.ToHexStringLower(aes.EncryptEcb(block, PaddingMode.None));
    }

    static bool TryUnseal(string userId, string sealedPart, out long sequence)
    {
        sequence = 0;
        using var aes = Aes.Create();
        aes.Key = Key;
        var block = aes.DecryptEcb(Convert.FromHexString(sealedPart), PaddingMode.None);
        if (!block.AsSpan(8).SequenceEqual(UserTag(userId))) return false;
        sequence = BinaryPrimitives.ReadInt64LittleEndian(block);
        return sequence >= 0;
    }

    static byte[] UserTag(string userId) => SHA256.HashData(Encoding.UTF8.GetBytes(userId.ToLowerInvariant()))[..8];
}

/// <summary>The <c>data:</c> of an <c>execution</c>, <c>status</c>, <c>error</c> or <c>removed</c> event (snake_case JSON).</summary>
public sealed record StreamMessage(
    string Fid, string UserId, string AgentName, string Status, string? PreviousStatus, double? Timestamp, long? ErrorEventId);
