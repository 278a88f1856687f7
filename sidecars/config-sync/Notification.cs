namespace Sidecars.ConfigSync;

/// <summary>The result of one notification or confirmation attempt, with what to show of it.</summary>
internal readonly record struct Attempt(bool Ok, string Detail);

/// <summary>One way of telling the app to reload. One attempt per call; retrying is the caller's.</summary>
internal interface INotifier
{
    string Name { get; }

    Task<Attempt> NotifyAsync(long version, CancellationToken cancellationToken);
}
