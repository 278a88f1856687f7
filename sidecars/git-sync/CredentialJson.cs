using System.Text.Json;
using Sidecars.Hosting;

namespace Sidecars.GitSync;

/// <summary>
/// GITSYNC_CREDENTIAL (and each <c>--credential</c>): a JSON object <c>{"url", "username", "password" or
/// "password-file"}</c> or a list of them, as kubernetes/git-sync takes it (unknown fields refused). A list may also
/// hold lists, which is how repeated <c>--credential</c> flags arrive. Read with <see cref="JsonDocument"/>: no
/// reflection. A problem line never quotes the JSON, since it holds passwords.
/// </summary>
internal static class CredentialJson
{
    public static IReadOnlyList<CredentialSpec> Parse(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            // Not ex.Message: it may quote the byte it stumbled on.
            problem = $"is not valid JSON (line {(ex.LineNumber ?? 0) + 1}, byte {(ex.BytePositionInLine ?? 0) + 1})";
            return [];
        }

        using (document)
        {
            var credentials = new List<CredentialSpec>();
            var root = document.RootElement;
            var items = root.ValueKind switch
            {
                JsonValueKind.Object => [root],
                JsonValueKind.Array => root.EnumerateArray().SelectMany(e => e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToList() : [e]).ToList(),
                _ => null,
            };
            if (items is null)
            {
                problem = "is not a JSON object or list";
                return [];
            }

            foreach (var item in items)
            {
                var number = credentials.Count + 1;
                if (!TryRead(item, out var credential, out var itemProblem))
                {
                    problem = $"credential {number}: {itemProblem}";
                    return [];
                }

                credentials.Add(credential!);
            }

            return credentials;
        }
    }

    private static bool TryRead(JsonElement item, out CredentialSpec? credential, out string? problem)
    {
        credential = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            problem = "is not a JSON object";
            return false;
        }

        string? url = null, username = null, password = null, passwordFile = null;
        foreach (var property in item.EnumerateObject())
        {
            if (property.Value.ValueKind != JsonValueKind.String)
            {
                problem = $"\"{Known(property.Name)}\" is not a string";
                return false;
            }

            var value = property.Value.GetString();
            switch (property.Name)
            {
                case "url":
                    url = value;
                    break;
                case "username":
                    username = value;
                    break;
                case "password":
                    password = value;
                    break;
                case "password-file":
                    passwordFile = value;
                    break;
                default:
                    problem = "has an unknown field (known: url, username, password, password-file)";
                    return false;
            }
        }

        problem = (url, username, password, passwordFile) switch
        {
            ({ Length: 0 } or null, _, _, _) => "\"url\" is required",
            (_, { Length: 0 } or null, _, _) => "\"username\" is required",
            (_, _, { Length: > 0 }, { Length: > 0 }) => "set \"password\" or \"password-file\", not both",
            (_, _, { Length: 0 } or null, { Length: 0 } or null) => "\"password\" or \"password-file\" is required",
            _ => null,
        };
        if (problem is not null)
        {
            return false;
        }

        SecretSource secret;
        if (passwordFile is { Length: > 0 })
        {
            try
            {
                secret = SecretSource.FromFile(passwordFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                problem = $"cannot read password-file '{passwordFile}': {ex.Message}";
                return false;
            }
        }
        else
        {
            secret = SecretSource.FromValue(password!);
        }

        credential = new CredentialSpec(url!, username!, secret);
        return true;
    }

    // A field name goes into a problem line only when it is one of ours: an unknown "name" could be a pasted secret.
    private static string Known(string name) => name is "url" or "username" or "password" or "password-file" ? name : "a field";
}
