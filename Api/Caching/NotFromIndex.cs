using Kodosumi.Api.Hosting;

namespace Kodosumi.Api.Caching;

/// <summary>
/// Endpoint metadata: the answer is not a function of the index's version (a file, a live stream), so
/// <see cref="ConditionalGet"/> gives it no ETag and keeps nothing of it.
/// </summary>
public sealed class NotFromIndex
{
    public static readonly NotFromIndex Instance = new();
}
