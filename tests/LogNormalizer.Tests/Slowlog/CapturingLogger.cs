using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sidecars.LogNormalizer.Tests.Slowlog;

/// <summary>Keeps what the poller logs, as (event id, rendered message, exception text).</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<(int Id, string Text)> _entries = new();

    public int Count(int eventId) => _entries.Count(e => e.Id == eventId);

    public IEnumerable<string> Messages(int eventId) => _entries.Where(e => e.Id == eventId).Select(e => e.Text);

    /// <summary>Everything logged, messages and exceptions: what must never hold a password.</summary>
    public string All => string.Join('\n', _entries.Select(e => $"{e.Id}: {e.Text}"));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _entries.Enqueue((eventId.Id, formatter(state, exception) + (exception is null ? "" : "\n" + exception)));
    }
}
