using Microsoft.AspNetCore.Builder;

namespace Sidecars.GitSync;

/// <summary>The reference's HTTP surface (<c>/</c>: 503 until the first sync, then 200) and our <c>POST /sync</c>.</summary>
internal static class HttpApi
{
    public static void Map(WebApplication app) => throw new NotImplementedException();
}
