using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Sidecars.Hosting;

/// <summary>
/// Tells requests on the admin listener from requests on an image's data listener. A port cannot serve as the
/// key (it is 0 until bound), so the admin listener tags its connections instead.
/// </summary>
public static class AdminListener
{
    private const string Key = "sidecars.admin-listener";

    internal static void Mark(ListenOptions listen) => listen.Use(next => connection =>
    {
        connection.Items[Key] = true;
        return next(connection);
    });

    /// <summary>True when the request came through the admin listener.</summary>
    public static bool IsAdminListener(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<IConnectionItemsFeature>()?.Items.ContainsKey(Key) == true;
    }
}
