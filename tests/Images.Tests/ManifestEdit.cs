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

    public ManifestEdit Replace(Regex pattern, string replacement, string what, int count = 1)
    {
        Assert.True(pattern.Count(Text) == count, $"{file} must hold exactly {count} match(es) for {what} ({pattern}); update this test with it");
        Text = pattern.Replace(Text, replacement);
        return this;
    }

    /// <summary>The value of an environment variable, in each of the <paramref name="count"/> containers that set it.</summary>
    public ManifestEdit EnvValue(string name, string value, int count) =>
        Replace(
            new Regex($@"^(?<indent>[ ]*)- name: {Regex.Escape(name)}\n\k<indent>  value: .*$", RegexOptions.Multiline),
            $"${{indent}}- name: {name}\n${{indent}}  value: \"{value}\"",
            $"the value of {name}",
            count);

    /// <summary><c>image: &lt;name&gt;:&lt;tag&gt;</c> becomes the locally built image.</summary>
    public ManifestEdit Image(string name, string localImage) =>
        Replace(new Regex($@"image: {Regex.Escape(name)}:\S+"), "image: " + localImage, $"the {name} image");

    /// <summary>The <c>hostPort</c> of a container port becomes a free one, bound to loopback only.</summary>
    public ManifestEdit HostPort(int port, int freePort, string what = "the hostPort") =>
        Replace(
            new Regex($@"^(?<indent>[ ]*)hostPort: {port}$", RegexOptions.Multiline),
            $"${{indent}}hostPort: {freePort}\n${{indent}}hostIP: 127.0.0.1",
            what);

    /// <summary>
    /// A volume's source (<c>secret:</c>, <c>configMap:</c>, <c>persistentVolumeClaim:</c>, with its keys, all indented
    /// deeper) becomes a host directory: podman 4.3 writes a Secret volume's files base64-encoded, and keeps the volumes
    /// it makes of a ConfigMap or a claim after `kube down`.
    /// </summary>
    public ManifestEdit VolumeAsHostPath(string source, string directory) =>
        Replace(
            new Regex($@"^(?<indent>[ ]+){Regex.Escape(source)}:\n(\k<indent>[ ]+.*\n)+", RegexOptions.Multiline),
            $"${{indent}}hostPath:\n${{indent}}  path: {directory}\n${{indent}}  type: Directory\n",
            $"the {source} volume");

    /// <summary>
    /// Every name that starts with the demo's (its volumes, claims, labels), so what podman makes of them belongs to the
    /// test alone. The pod's own name is <see cref="PodName"/>'s.
    /// </summary>
    public ManifestEdit PrefixedNames(string demoName, string pod)
    {
        Assert.True(Text.Contains(demoName + "-", StringComparison.Ordinal), $"{file} has no name starting with {demoName}-; update this test with it");
        Text = Text.Replace(demoName + "-", pod + "-", StringComparison.Ordinal);
        return this;
    }

    /// <summary>The pod's own name, so a running demo does not collide with the test.</summary>
    public ManifestEdit PodName(string demoName, string pod) =>
        Replace(new Regex($@"^  name: {Regex.Escape(demoName)}$", RegexOptions.Multiline), "  name: " + pod, "the pod's name");

    /// <summary>
    /// A file of a ConfigMap document (<c>name: |</c>, a literal block, each line indented by four spaces or empty), as
    /// a test writes it into a directory mounted instead of the ConfigMap.
    /// </summary>
    public static string ConfigMapFile(string file, string document, string name)
    {
        var block = new Regex($@"^  {Regex.Escape(name)}: \|\n(?<line>(    .*)?\n)+", RegexOptions.Multiline).Match(document + "\n");
        Assert.True(block.Success, $"no '{name}: |' in the ConfigMap of {file}");
        return string.Concat(block.Groups["line"].Captures.Select(c => c.Value.Length >= 4 ? c.Value[4..] : c.Value));
    }
}
