namespace Sidecars.GitSync;

/// <summary>
/// git's sparse-checkout patterns (the non-cone, gitignore-like form that GITSYNC_SPARSE_CHECKOUT_FILE holds, as the
/// reference writes it to <c>.git/info/sparse-checkout</c>): which paths of a tree are written to a worktree.
/// </summary>
internal sealed class SparsePatterns
{
    public static SparsePatterns Parse(IEnumerable<string> lines) => throw new NotImplementedException();

    /// <summary>Whether the file at this repository-relative path ('/'-separated, no leading '/') is written.</summary>
    public bool Includes(string path) => throw new NotImplementedException();
}
