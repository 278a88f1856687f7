using Microsoft.Extensions.Logging;

namespace Sidecars.ConfigSync;

internal sealed class Notifications
{
    public bool HasTargets => throw new NotImplementedException();

    public static Notifications FromOptions(ConfigSyncOptions options, HttpClient http, ILoggerFactory loggerFactory) => throw new NotImplementedException();

    public Task<Attempt> NotifyAsync(long version, TimeSpan retryFor, CancellationToken cancellationToken) => throw new NotImplementedException();
}

internal sealed class Confirmer
{
    public Confirmer(Uri url, TimeSpan timeout, HttpClient http) => throw new NotImplementedException();

    public Task<Attempt> ConfirmAsync(CancellationToken cancellationToken) => throw new NotImplementedException();
}

internal static class Validators
{
    public static IReadOnlyList<IConfigValidator> FromOptions(ConfigSyncOptions options, HttpClient http, string stagingRoot) => throw new NotImplementedException();
}
