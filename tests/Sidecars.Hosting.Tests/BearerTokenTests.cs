using Microsoft.AspNetCore.Http;
using Xunit;

namespace Sidecars.Hosting.Tests;

public sealed class BearerTokenTests
{
    private static HttpRequest Request(string? authorization)
    {
        var ctx = new DefaultHttpContext();
        if (authorization is not null)
        {
            ctx.Request.Headers.Authorization = authorization;
        }

        return ctx.Request;
    }

    [Theory]
    [InlineData(null, "s3cret", BearerCheck.Missing)]
    [InlineData("Basic czNjcmV0", "s3cret", BearerCheck.Missing)]
    [InlineData("Bearer ", "s3cret", BearerCheck.Missing)]
    [InlineData("Bearer s3cret", "s3cret", BearerCheck.Accepted)]
    [InlineData("bearer  s3cret ", "s3cret", BearerCheck.Accepted)]
    [InlineData("Bearer s3cre", "s3cret", BearerCheck.Wrong)]
    [InlineData("Bearer s3cretx", "s3cret", BearerCheck.Wrong)]
    [InlineData("Bearer S3CRET", "s3cret", BearerCheck.Wrong)]
    [InlineData("Bearer s3cret", null, BearerCheck.NotConfigured)]
    [InlineData("Bearer s3cret", "", BearerCheck.NotConfigured)]
    public void Check_compares_the_presented_token_with_the_expected_one(string? authorization, string? expected, BearerCheck outcome) =>
        Assert.Equal(outcome, BearerToken.Check(Request(authorization), expected));

    [Fact]
    public void A_fingerprint_names_a_token_without_revealing_it()
    {
        var fingerprint = BearerToken.Fingerprint("s3cret");
        Assert.Matches("^token:[0-9a-f]{8}$", fingerprint);
        Assert.Equal(fingerprint, BearerToken.Fingerprint("s3cret"));
        Assert.NotEqual(fingerprint, BearerToken.Fingerprint("s3cret2"));
        Assert.DoesNotContain("s3cret", fingerprint, StringComparison.Ordinal);
    }

    [Fact]
    public void The_challenge_names_the_bearer_scheme_and_the_realm()
    {
        var ctx = new DefaultHttpContext();
        BearerToken.Challenge(ctx.Response, "git-sync");
        Assert.Equal("Bearer realm=\"git-sync\"", ctx.Response.Headers.WWWAuthenticate.ToString());
    }
}
