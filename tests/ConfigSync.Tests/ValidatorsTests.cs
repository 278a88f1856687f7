using System.Collections;
using Microsoft.Extensions.Logging.Abstractions;
using Sidecars.Hosting;
using Xunit;

namespace Sidecars.ConfigSync.Tests;

/// <summary>What the options turn into: validators (syntax first) and notifiers (signal, URL, command).</summary>
public sealed class ValidatorsTests
{
    [Fact]
    public void Only_the_syntax_check_runs_when_nothing_else_is_configured()
    {
        using var client = new HttpClient();
        var validators = Validators.FromOptions(Options([]), client, "/tmp");
        Assert.IsType<SyntaxValidator>(Assert.Single(validators));
        Assert.False(Notifications.FromOptions(Options([]), client, NullLoggerFactory.Instance).HasTargets);
    }

    [Fact]
    public void Every_configured_check_runs_syntax_first_then_command_then_url()
    {
        using var client = new HttpClient();
        var options = Options(new Hashtable
        {
            ["CONFIGSYNC_VALIDATE_URL"] = "http://127.0.0.1:9/check",
            ["CONFIGSYNC_VALIDATE_COMMAND"] = "nginx -t -c nginx.conf",
        });
        Assert.Equal([typeof(SyntaxValidator), typeof(CommandValidator), typeof(UrlValidator)], Validators.FromOptions(options, client, "/tmp").Select(v => v.GetType()));
    }

    [Fact]
    public void Every_configured_notifier_is_tried_signal_first_then_url_then_command()
    {
        using var client = new HttpClient();
        var options = Options(new Hashtable
        {
            ["CONFIGSYNC_NOTIFY_COMMAND"] = "true",
            ["CONFIGSYNC_NOTIFY_URL"] = "http://127.0.0.1:9/-/reload",
            ["CONFIGSYNC_NOTIFY_PROCESS"] = "nginx",
        });
        var notifications = Notifications.FromOptions(options, client, NullLoggerFactory.Instance);
        Assert.True(notifications.HasTargets);
        Assert.Equal(["signal", "url", "command"], notifications.Notifiers.Select(n => n.Name));
    }

    private static ConfigSyncOptions Options(Hashtable environment)
    {
        var env = new EnvReader(environment);
        var options = ConfigSyncOptions.Bind(env);
        Assert.Empty(env.Errors);
        return options;
    }
}
