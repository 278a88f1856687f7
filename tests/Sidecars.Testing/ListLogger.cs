using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sidecars.Testing;

/// <summary>A logger that keeps what it is given, for tests that look at log lines (and for what must not be in them).</summary>
public sealed class ListLogger : ILogger
{
    /// <summary>Each line: its level, event id, and rendered message followed by the exception's text when there is one.</summary>
    public ConcurrentQueue<(LogLevel Level, int EventId, string Message)> Lines { get; } = new();

    /// <summary>Everything logged, messages and exceptions.</summary>
    public string All => string.Join('\n', Lines.Select(l => l.Message));

    public int Count(int eventId) => Lines.Count(l => l.EventId == eventId);

    public IEnumerable<string> Messages(int eventId) => Lines.Where(l => l.EventId == eventId).Select(l => l.Message);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        Lines.Enqueue((logLevel, eventId.Id, formatter(state, exception) + (exception is null ? "" : "\n" + exception)));
    }
}
