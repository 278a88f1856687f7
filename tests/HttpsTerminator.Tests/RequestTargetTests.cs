using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Sidecars.HttpsTerminator.Tests;

/// <summary>
/// The dot-segment guard against independent resolvers: however an app decodes and resolves a path the terminator lets
/// through (which separators it knows, whether it merges empty segments or drops path parameters), it stays under the
/// upstream's prefix; and System.Uri, which builds what the app receives, keeps it there.
/// </summary>
public sealed class RequestTargetTests
{
    // Pieces whose combinations cover every spelling of a separator and a dot the guard knows, and some it must not trip on.
    private static readonly string[] Pieces =
        ["/", "//", "a", "b.c", ".", "..", "...", "%2e", "%2E%2e", ".%2e", "%2f", "%2F", "\\", "%5c", "%5C", ";x", "..;", ".;a=b", "%", "%2", "%41", "?", "?q=../..", "#"];

    private static readonly Arbitrary<string> Targets =
        Gen.Elements(Pieces).ArrayOf().Select(parts => "/" + string.Concat(parts)).ToArbitrary();

    [Theory]
    [InlineData("/", false)]
    [InlineData("/a/b/../c", true)]
    [InlineData("/a/b/%2e./c", true)]
    [InlineData("/a/./b", false)]
    [InlineData("/...", false)]
    [InlineData("/a?x=../../..", false)]
    [InlineData("/caf%C3%A9/%20", false)]
    [InlineData("/..", true)]
    [InlineData("/a/../..", true)]
    [InlineData("/%2e%2E/x", true)]
    [InlineData("/a%2f..%2f..", true)]
    [InlineData("/a\\..\\..", true)]
    [InlineData("/..;jsessionid=1/x", true)]
    [InlineData("//../x", true)]
    [InlineData("/a b", true)]
    [InlineData("/a\tb", true)]
    [InlineData("/a\u007fb", true)]
    [InlineData("/a HTTP/1.1\r\nHost: evil", true)]
    [InlineData("/..#", true)]
    public void Known_targets(string target, bool refused) => Assert.Equal(refused, RequestTarget.IsRefused(target));

    [Fact]
    public void A_target_let_through_stays_under_the_prefix_for_every_way_an_app_may_resolve_it()
    {
        Prop.ForAll(Targets, target =>
                RequestTarget.IsRefused(target)
                || Resolvers().All(resolve => resolve(target)))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    [Fact]
    public void What_the_app_receives_stays_under_the_prefix()
    {
        Prop.ForAll(Targets, target =>
                RequestTarget.IsRefused(target)
                || !Uri.TryCreate("http://127.0.0.1:8080/prefix" + target, UriKind.Absolute, out var uri)
                || uri.AbsolutePath.StartsWith("/prefix", StringComparison.Ordinal))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(5000));
    }

    [Fact]
    public void Plain_paths_are_never_refused()
    {
        var plain = Gen.Elements("a", "b-c", "d.e", "%20", "%C3%A9", "~x", "x;y=z").ArrayOf().Select(s => "/" + string.Join('/', s)).ToArbitrary();
        Prop.ForAll(plain, target => !RequestTarget.IsRefused(target)).Check(Config.QuickThrowOnFailure.WithMaxTest(2000));
    }

    /// <summary>RFC 3986's dot-segment removal under `/prefix`, with each decoding choice an app may make before it.</summary>
    private static IEnumerable<Func<string, bool>> Resolvers()
    {
        foreach (var decodeSlash in new[] { false, true })
        {
            foreach (var backslash in new[] { false, true })
            {
                foreach (var mergeSlashes in new[] { false, true })
                {
                    foreach (var dropParameters in new[] { false, true })
                    {
                        yield return target => StaysInside(target, decodeSlash, backslash, mergeSlashes, dropParameters);
                    }
                }
            }
        }
    }

    private static bool StaysInside(string target, bool decodeSlash, bool backslash, bool mergeSlashes, bool dropParameters)
    {
        var path = target.Split('?')[0].Split('#')[0];
        path = path.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase);
        if (decodeSlash)
        {
            path = path.Replace("%2f", "/", StringComparison.OrdinalIgnoreCase).Replace("%5c", "\\", StringComparison.OrdinalIgnoreCase);
        }

        if (backslash)
        {
            path = path.Replace('\\', '/');
        }

        var stack = new List<string> { "prefix" };
        foreach (var raw in path.Split('/').Skip(1))
        {
            var segment = dropParameters ? raw.Split(';')[0] : raw;
            if (segment == "..")
            {
                stack.RemoveAt(stack.Count - 1);
                if (stack.Count == 0)
                {
                    return false;
                }
            }
            else if (segment != "." && !(mergeSlashes && segment.Length == 0))
            {
                stack.Add(segment);
            }
        }

        return true;
    }
}
