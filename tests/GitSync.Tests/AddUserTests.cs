using System.Globalization;
using Microsoft.Extensions.Logging;
using Sidecars.Testing;
using Xunit;

namespace Sidecars.GitSync.Tests;

/// <summary>GITSYNC_ADD_USER on real files: the entry the reference writes, only when the running UID has none.</summary>
public sealed class AddUserTests : IDisposable
{
    private const string Base = "root:x:0:0:root:/root:/usr/sbin/nologin\napp:x:1654:1654:app:/home/app:/usr/sbin/nologin\n";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("git-sync-adduser-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task An_entry_for_the_running_uid_and_gid_with_home_from_HOME_is_appended_when_the_uid_has_none()
    {
        var (uid, gid) = RunningIds();
        var passwd = Write("passwd", WithoutUid(Base, uid));

        var added = await AddUser.EnsureAsync(passwd, CancellationToken.None);

        var home = Environment.GetEnvironmentVariable("HOME") is { Length: > 0 } h ? h : Directory.GetCurrentDirectory();
        var expected = $"git-sync:x:{uid}:{gid}::{home}:/sbin/nologin\n";
        Assert.Equal(expected, added);
        Assert.Equal(WithoutUid(Base, uid) + expected, await File.ReadAllTextAsync(passwd));
    }

    [Fact]
    public async Task The_file_is_left_alone_when_the_uid_has_an_entry_under_any_name()
    {
        var (uid, gid) = RunningIds();
        var content = WithoutUid(Base, uid) + $"someone:x:{uid}:{gid}::/nonexistent:/usr/sbin/nologin\n";
        var passwd = Write("passwd", content);

        Assert.Null(await AddUser.EnsureAsync(passwd, CancellationToken.None));
        Assert.Equal(content, await File.ReadAllTextAsync(passwd));
    }

    [Fact]
    public async Task A_second_start_adds_nothing_more()
    {
        var passwd = Write("passwd", "app:x:1654:1654:app:/home/app:/usr/sbin/nologin\n");
        Assert.NotNull(await AddUser.EnsureAsync(passwd, 4242, 65533, "/tmp", CancellationToken.None));
        var once = await File.ReadAllTextAsync(passwd);

        Assert.Null(await AddUser.EnsureAsync(passwd, 4242, 65533, "/tmp", CancellationToken.None));
        Assert.Equal(once, await File.ReadAllTextAsync(passwd));
        Assert.EndsWith("\ngit-sync:x:4242:65533::/tmp:/sbin/nologin\n", once, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_last_line_without_its_line_break_keeps_its_own_line()
    {
        var passwd = Write("passwd", "app:x:1654:1654:app:/home/app:/usr/sbin/nologin");

        await AddUser.EnsureAsync(passwd, 4242, 4242, "/tmp", CancellationToken.None);

        Assert.Equal(
            ["app:x:1654:1654:app:/home/app:/usr/sbin/nologin", "git-sync:x:4242:4242::/tmp:/sbin/nologin", ""],
            (await File.ReadAllTextAsync(passwd)).Split('\n'));
    }

    [Fact]
    public async Task A_uid_that_only_appears_in_another_field_has_no_entry()
    {
        // 4242 as a GID and inside a home directory: only the third field names a user's UID.
        var passwd = Write("passwd", "app:x:1654:4242:app:/home/4242:/usr/sbin/nologin\n");

        Assert.NotNull(await AddUser.EnsureAsync(passwd, 4242, 4242, "/tmp", CancellationToken.None));
    }

    [Fact]
    public async Task A_home_that_would_break_the_line_is_refused_and_the_file_is_unchanged()
    {
        var passwd = Write("passwd", Base);

        await Assert.ThrowsAsync<IOException>(() => AddUser.EnsureAsync(passwd, 4242, 4242, "/tmp/a:b", CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => AddUser.EnsureAsync(passwd, 4242, 4242, "/tmp/a\nroot::0:0::/:/bin/sh", CancellationToken.None));
        Assert.Equal(Base, await File.ReadAllTextAsync(passwd));
    }

    [Fact]
    public async Task A_missing_file_is_a_logged_failure_and_is_not_created()
    {
        var passwd = Path.Combine(_dir.FullName, "missing", "passwd");
        var logger = new ListLogger();

        Assert.False(await AddUser.EnsureAsync(passwd, logger, CancellationToken.None));

        Assert.False(File.Exists(passwd));
        var (level, id, message) = Assert.Single(logger.Lines);
        Assert.Equal(LogLevel.Critical, level);
        Assert.Equal(EventIds.AddUserFailed, id);
        Assert.Contains(passwd, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_cannot_be_written_is_a_logged_failure()
    {
        // A directory where the file should be: reading it fails, whoever runs the test (root writes any 0444 file).
        var passwd = Directory.CreateDirectory(Path.Combine(_dir.FullName, "passwd")).FullName;
        var logger = new ListLogger();

        Assert.False(await AddUser.EnsureAsync(passwd, logger, CancellationToken.None));
        Assert.Equal(EventIds.AddUserFailed, Assert.Single(logger.Lines).Id);
    }

    [Fact]
    public async Task An_added_entry_is_logged_and_none_when_nothing_was_added()
    {
        var (uid, _) = RunningIds();
        var passwd = Write("passwd", WithoutUid(Base, uid));
        var logger = new ListLogger();

        Assert.True(await AddUser.EnsureAsync(passwd, logger, CancellationToken.None));
        Assert.True(await AddUser.EnsureAsync(passwd, logger, CancellationToken.None));

        var (level, id, message) = Assert.Single(logger.Lines);
        Assert.Equal((LogLevel.Information, EventIds.UserAdded), (level, id));
        Assert.Contains($"git-sync:x:{uid}:", message, StringComparison.Ordinal);
    }

    /// <summary>The real, effective ids of this process, read from the kernel apart from the code under test.</summary>
    private static (uint Uid, uint Gid) RunningIds()
    {
        var status = File.ReadAllLines("/proc/self/status");
        uint Field(string name) => uint.Parse(status.Single(l => l.StartsWith(name, StringComparison.Ordinal)).Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return (Field("Uid:"), Field("Gid:"));
    }

    private static string WithoutUid(string passwd, uint uid) =>
        string.Concat(passwd.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Split(':')[2] != uid.ToString(CultureInfo.InvariantCulture)).Select(l => l + "\n"));

    private string Write(string name, string content)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, content);
        return path;
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, int Id, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, eventId.Id, formatter(state, exception)));
    }
}
