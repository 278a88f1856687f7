using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace Sidecars.GitSync.Tests;

public sealed class RepoUrlTests
{
    [Theory]
    [InlineData("https://user:pa%40ss@host/x.git", "https://host/x.git", "user", "pa@ss")]
    [InlineData("http://user:secret@host:8080/a/b", "http://host:8080/a/b", "user", "secret")]
    [InlineData("https://token@github.com/org/repo", "https://github.com/org/repo", "token", null)]
    [InlineData("https://u:p@ss@host/x", "https://host/x", "u", "p@ss")]
    [InlineData("https://us%20er:%2Fp%3A@host", "https://host", "us er", "/p:")]
    [InlineData("ssh://git:pw@host:2222/x.git", "ssh://git@host:2222/x.git", "git", "pw")]
    [InlineData("ssh://git@host/x.git", "ssh://git@host/x.git", "git", null)]
    [InlineData("git@github.com:org/repo.git", "git@github.com:org/repo.git", "git", null)]
    [InlineData("https://host/x.git", "https://host/x.git", null, null)]
    [InlineData("file:///srv/repo.git", "file:///srv/repo.git", null, null)]
    [InlineData("/srv/repo", "/srv/repo", null, null)]
    [InlineData("./a@b:c/repo", "./a@b:c/repo", null, null)]
    public void Split_takes_the_user_information_out_where_it_is_a_credential(string url, string bare, string? user, string? password)
    {
        Assert.Equal((bare, user, password), RepoUrl.Split(url));
    }

    [Theory]
    [InlineData("https://user:pa%40ss@host/x.git", "https://user:***@host/x.git")]
    [InlineData("https://token@github.com/org/repo", "https://***@github.com/org/repo")]
    [InlineData("ssh://git:pw@host/x.git", "ssh://git:***@host/x.git")]
    [InlineData("ssh://git@host/x.git", "ssh://git@host/x.git")]
    [InlineData("git@github.com:org/repo.git", "git@github.com:org/repo.git")]
    [InlineData("https://host/x.git", "https://host/x.git")]
    [InlineData("https://u:a/b+c=@host/x", "https://u:***@host/x")]
    [InlineData("https://host:8443/x", "https://host:8443/x")]
    public void Redact_masks_the_password(string url, string expected) => Assert.Equal(expected, RepoUrl.Redact(url));

    [Fact]
    public void RedactText_masks_every_url_in_a_message()
    {
        var text = "failed to fetch 'https://u:s3cret@a.example/x.git' (redirected to http://v:0ther@b.example:81/y?q) and ssh://git:k3y@c/z";
        var redacted = RepoUrl.RedactText(text);
        Assert.Equal("failed to fetch 'https://u:***@a.example/x.git' (redirected to http://v:***@b.example:81/y?q) and ssh://git:***@c/z", redacted);
    }

    [Fact]
    public void A_random_password_never_survives_redaction()
    {
        var password = Gen.Choose(0x21, 0x7e).Select(c => (char)c).ArrayOf().Where(a => a.Length >= 6).Select(a => new string(a));
        var user = Gen.Elements("u", "git", "x-access-token", "user.name");
        var rest = Gen.Elements("host/x.git", "h.example:8443/org/repo", "host", "10.0.0.1/a b/c?d#e");
        var scheme = Gen.Elements("https", "http", "ssh");
        var wrap = Gen.Elements("{0}", "fatal: '{0}' not found", "remote {0}\nand {0} again");
        var cases =
            from p in password
            from u in user
            from r in rest
            from s in scheme
            from w in wrap
            select (Password: p, Text: string.Format(System.Globalization.CultureInfo.InvariantCulture, w, $"{s}://{u}:{Uri.EscapeDataString(p)}@{r}"));
        Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var redacted = RepoUrl.RedactText(c.Text);
            var encoded = Uri.EscapeDataString(c.Password);
            Assert.False(redacted.Contains(encoded, StringComparison.Ordinal), $"'{encoded}' survives in {redacted}");
            Assert.False(redacted.Contains(c.Password, StringComparison.Ordinal), $"'{c.Password}' survives in {redacted}");
        }).QuickCheckThrowOnFailure();
    }
}
