using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Sidecars.Fluentd.Tests;

/// <summary>Collects what the client logs, as (event id, rendered message).</summary>
internal sealed class TestLogger : ILogger
{
    private readonly ConcurrentQueue<(int Id, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(int Id, LogLevel Level, string Message)> Entries => [.. _entries];

    public IEnumerable<string> Messages(int eventId) => _entries.Where(e => e.Id == eventId).Select(e => e.Message);

    public string All => string.Join('\n', _entries.Select(e => $"{e.Id} {e.Level}: {e.Message}"));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _entries.Enqueue((eventId.Id, logLevel, formatter(state, exception)));
    }
}
