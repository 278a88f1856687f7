namespace Sidecars.Hosting;

/// <summary>
/// The shared host's log event ids, 1-79 (80-99 are the Fluentd client's, <c>Sidecars.Fluentd.FluentdEventIds</c>;
/// images number theirs from 100). Public because they are a contract beyond
/// this library: tests and tooling learn a port-0 listener's real port from <see cref="Listening"/>. Never reuse an id.
/// </summary>
public static class HostEventIds
{
    public const int Listening = 1;
    public const int Started = 2;
    public const int Stopping = 3;
    public const int Stopped = 4;
    public const int DeprecatedVariable = 5;
    public const int DeprecatedVariableOverrides = 6;
}
