using System.Globalization;

namespace Sidecars.Topz;

/// <summary>
/// uid → user name from the <c>/etc/passwd</c> of topz's own container. The app's container may name users
/// differently; without a name the numeric uid is shown, which is what <c>ps</c> does for unknown uids.
/// </summary>
internal sealed class UserNames
{
    private readonly Dictionary<int, string> _names;

    public UserNames(IReadOnlyDictionary<int, string> names) => _names = new Dictionary<int, string>(names);

    public static UserNames Load(string path = "/etc/passwd")
    {
        try
        {
            return new UserNames(Parse(File.ReadAllText(path)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Distroless and scratch images have no passwd file: numeric uids it is.
            return new UserNames(new Dictionary<int, string>());
        }
    }

    public static Dictionary<int, string> Parse(string passwd)
    {
        var names = new Dictionary<int, string>();
        foreach (var line in passwd.Split('\n'))
        {
            var fields = line.Split(':');
            if (fields.Length >= 3 && fields[0].Length > 0
                && int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var uid))
            {
                names.TryAdd(uid, fields[0]);
            }
        }

        return names;
    }

    public string Name(int uid) => _names.TryGetValue(uid, out var name) ? name : uid.ToString(CultureInfo.InvariantCulture);
}
