using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Kodosumi.Tests.Support;

/// <summary>Keeps every log line of the host, so tests can check what was logged and how often.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    public int Count(LogLevel atLeast, string containing) =>
        Entries.Count(e => e.Level >= atLeast && e.Message.Contains(containing, StringComparison.Ordinal));

    sealed class Logger(CapturedLogs owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
