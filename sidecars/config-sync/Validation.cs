namespace Sidecars.ConfigSync;

/// <summary>Why a staged version was rejected: the validator, a one-line reason, and the details (output lines).</summary>
internal sealed record ValidationFailure(string Validator, string Reason, IReadOnlyList<string> Details);

internal interface IConfigValidator
{
    /// <summary>Null when the set is acceptable.</summary>
    Task<ValidationFailure?> ValidateAsync(ConfigFiles files, CancellationToken cancellationToken);
}
