using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sidecars.Hosting;

namespace Sidecars.LogNormalizer;

/// <summary>The image's services: the pipeline and its metrics.</summary>
internal static class Pipeline
{
    public static void Register(WebApplicationBuilder builder, LogNormalizerOptions options)
    {
        _ = options;
        builder.Services.AddSingleton<PipelineService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineService>());
        builder.Services.AddSingleton<IMetricsSource, LogNormalizerMetrics>();
    }
}
