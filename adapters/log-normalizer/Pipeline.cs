using Microsoft.AspNetCore.Builder;

namespace Sidecars.LogNormalizer;

/// <summary>STUB: wires tailer, processors, outputs.</summary>
internal static class Pipeline
{
    public static void Register(WebApplicationBuilder builder, LogNormalizerOptions options)
    {
        _ = (builder, options);
    }
}
