using System.Text.RegularExpressions;
using Xunit;

namespace Sidecars.Images.Tests;

/// <summary>
/// A manifest as users get it, turned into what this machine runs: locally built images, free host ports bound to
/// loopback only, a pod name of the test's own. Every edit must find exactly one place, so a changed manifest fails
/// the test with a reason instead of running something else.
/// </summary>
internal sealed class ManifestEdit(string file, string text)
{
    public string Text { get; private set; } = text;

    public ManifestEdit Replace(Regex pattern, string replacement, string what)
    {
        Assert.True(pattern.Count(Text) == 1, $"{file} must hold exactly one match for {what} ({pattern}); update this test with it");
        Text = pattern.Replace(Text, replacement);
        return this;
    }

    /// <summary><c>image: &lt;name&gt;:&lt;tag&gt;</c> becomes the locally built image.</summary>
    public ManifestEdit Image(string name, string localImage) =>
        Replace(new Regex($@"image: {Regex.Escape(name)}:\S+"), "image: " + localImage, $"the {name} image");

    /// <summary>The <c>hostPort</c> of a container port becomes a free one, bound to loopback only.</summary>
    public ManifestEdit HostPort(int port, int freePort, string what = "the hostPort") =>
        Replace(
            new Regex($@"^(?<indent>[ ]*)hostPort: {port}$", RegexOptions.Multiline),
            $"${{indent}}hostPort: {freePort}\n${{indent}}hostIP: 127.0.0.1",
            what);

    /// <summary>The pod's own name, so a running demo does not collide with the test.</summary>
    public ManifestEdit PodName(string demoName, string pod) =>
        Replace(new Regex($@"^  name: {Regex.Escape(demoName)}$", RegexOptions.Multiline), "  name: " + pod, "the pod's name");
}
