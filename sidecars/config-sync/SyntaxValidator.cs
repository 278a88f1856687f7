using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using System.Xml;
using Tomlyn;
using Tomlyn.Parsing;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Sidecars.ConfigSync;

/// <summary>
/// The built-in checks, chosen by <see cref="SyntaxRules"/> (CONFIGSYNC_SYNTAX, else the extension, case-insensitive):
/// JSON, YAML (every document), XML and TOML must parse, and be valid UTF-8 (XML: valid in its declared encoding);
/// nginx includes must get through nginx's parser (<see cref="NginxSyntax"/>, bytes, any encoding). Only parsers and
/// readers run, never object mapping, so a hostile file costs time linear in its size: nesting is capped at
/// <see cref="MaxDepth"/>, XML refuses DTDs (no entity expansion, no external entities), YAML aliases are not expanded.
/// Other files are not looked at.
/// </summary>
internal sealed class SyntaxValidator(SyntaxRules rules) : IConfigValidator
{
    public const string Name = "syntax";
    public const int MaxDepth = 256;

    /// <summary>Problems listed in the details; the rest are counted.</summary>
    public const int MaxProblems = 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public Task<ValidationFailure?> ValidateAsync(ConfigFiles files, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var (path, bytes) in files.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            problems.AddRange(Check(rules.FormatOf(path), bytes).Select(p => $"{path}: {p}"));
        }

        if (problems.Count == 0)
        {
            return Task.FromResult<ValidationFailure?>(null);
        }

        var details = problems.Take(MaxProblems).ToList();
        if (problems.Count > MaxProblems)
        {
            details.Add($"... and {problems.Count - MaxProblems} more");
        }

        var reason = problems.Count == 1 ? problems[0] : $"{problems[0]} (and {problems.Count - 1} more)";
        return Task.FromResult<ValidationFailure?>(new ValidationFailure(Name, reason, details));
    }

    /// <summary>The problems of one file, each "line N: what" (or "line N, column M: what"); none when it is fine.</summary>
    public static IReadOnlyList<string> Check(SyntaxFormat format, byte[] bytes)
    {
        switch (format)
        {
            case SyntaxFormat.None:
                return [];
            case SyntaxFormat.Xml:
                return CheckXml(bytes);
            case SyntaxFormat.Nginx:
                return NginxSyntax.Check(bytes, MaxDepth) is { } problem ? [problem] : [];
        }

        if (InvalidUtf8(bytes) is { } bad)
        {
            return [bad];
        }

        return format switch
        {
            SyntaxFormat.Json => CheckJson(bytes),
            SyntaxFormat.Toml => CheckToml(StrictUtf8.GetString(WithoutBom(bytes))),
            _ => CheckYaml(StrictUtf8.GetString(WithoutBom(bytes))),
        };
    }

    private static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> bytes) =>
        bytes.StartsWith("\uFEFF"u8) ? bytes[3..] : bytes;

    private static string? InvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            return null;
        }

        // Find the first bad byte by decoding in chunks: the status stops exactly there.
        var buffer = ArrayPool<char>.Shared.Rent(4096);
        try
        {
            var offset = 0;
            while (true)
            {
                var status = Utf8.ToUtf16(bytes[offset..], buffer, out var read, out _, replaceInvalidSequences: false);
                offset += read;
                if (status == OperationStatus.InvalidData || status == OperationStatus.NeedMoreData)
                {
                    var before = bytes[..offset];
                    var line = before.Count((byte)'\n') + 1;
                    var column = offset - (before.LastIndexOf((byte)'\n') + 1) + 1;
                    return $"line {line}, byte {column}: invalid UTF-8 (0x{bytes[offset]:X2})";
                }
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    private static IReadOnlyList<string> CheckJson(byte[] bytes)
    {
        var reader = new Utf8JsonReader(WithoutBom(bytes), isFinalBlock: true, new JsonReaderState(new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
            MaxDepth = MaxDepth,
        }));
        try
        {
            while (reader.Read())
            {
            }

            return [];
        }
        catch (JsonException ex)
        {
            // The message ends in "LineNumber: 2 | BytePositionInLine: 4." (both zero-based): said once, our way.
            var message = ex.Message;
            var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }

            return [$"line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {message.TrimEnd()}"];
        }
    }

    private static IReadOnlyList<string> CheckYaml(string text)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        try
        {
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case SequenceStart or MappingStart:
                        if (++depth > MaxDepth)
                        {
                            var at = parser.Current!.Start;
                            return [$"line {at.Line}, column {at.Column}: nesting deeper than {MaxDepth}"];
                        }

                        break;
                    case SequenceEnd or MappingEnd:
                        depth--;
                        break;
                }
            }

            return [];
        }
        catch (YamlException ex)
        {
            // YamlDotNet's message starts with "(Line: 3, Col: 5, Idx: 20) - (Line: ...): ": said once, our way.
            var message = ex.Message;
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut > 0)
            {
                message = message[(cut + 3)..];
            }

            return [$"line {ex.Start.Line}, column {ex.Start.Column}: {message}"];
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this on some malformed flow collections (an unclosed "[1, 2" before a
            // "key: value" line); the last event it produced is the closest position there is.
            var at = parser.Current?.End ?? Mark.Empty;
            return [$"line {at.Line}, column {at.Column}: malformed YAML after this point"];
        }
    }

    private static IReadOnlyList<string> CheckToml(string text)
    {
        Tomlyn.Syntax.DocumentSyntax document;
        try
        {
            document = SyntaxParser.Parse(text, new TomlSerializerOptions { MaxDepth = MaxDepth }, sourceName: "", validate: true);
        }
        catch (TomlException ex)
        {
            // Most problems are diagnostics; the depth limit is thrown, without a position.
            var (line, column) = ex.Line is { } l ? (l, ex.Column ?? 0) : TooDeepInToml(text);
            return [$"line {line}, column {column}: {ex.Message}"];
        }

        return [.. document.Diagnostics
            .Where(d => d.Kind == Tomlyn.Syntax.DiagnosticMessageKind.Error)
            .Select(d => string.Create(CultureInfo.InvariantCulture, $"line {d.Span.Start.Line + 1}, column {d.Span.Start.Column + 1}: {d.Message}"))];
    }

    /// <summary>Where bracket nesting first passes <see cref="MaxDepth"/>, outside strings and comments (1-based).</summary>
    private static (int Line, int Column) TooDeepInToml(string text)
    {
        var (line, column, depth) = (1, 0, 0);
        var quote = '\0';
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            column++;
            if (c == '\n')
            {
                (line, column) = (line + 1, 0);
            }
            else if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                {
                    i++;
                    column++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '#')
            {
                while (i + 1 < text.Length && text[i + 1] != '\n')
                {
                    i++;
                }
            }
            else if (c is '[' or '{' && ++depth > MaxDepth)
            {
                return (line, column);
            }
            else if (c is ']' or '}')
            {
                depth--;
            }
        }

        return (1, 1);
    }

    private static IReadOnlyList<string> CheckXml(byte[] bytes)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            CloseInput = true,
        };
        using var reader = XmlReader.Create(new MemoryStream(bytes, writable: false), settings);
        try
        {
            var depth = 0;
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && !reader.IsEmptyElement)
                {
                    depth = reader.Depth + 1;
                    if (depth > MaxDepth)
                    {
                        var position = (IXmlLineInfo)reader;
                        return [$"line {position.LineNumber}, column {position.LinePosition}: nesting deeper than {MaxDepth}"];
                    }
                }
            }

            return [];
        }
        catch (XmlException ex)
        {
            // The message repeats the position ("..., Line 3, position 5."): keep the text before it.
            var message = ex.Message;
            var cut = message.IndexOf(" Line ", StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut].TrimEnd(',', ' ');
            }

            if (ex.LineNumber > 0)
            {
                return [$"line {ex.LineNumber}, column {ex.LinePosition}: {message}"];
            }

            // The refusal of a DTD carries no position: it is where the DOCTYPE starts.
            var doctype = bytes.AsSpan().IndexOf("<!DOCTYPE"u8);
            var before = bytes.AsSpan(0, Math.Max(doctype, 0));
            return [$"line {before.Count((byte)'\n') + 1}, column {before.Length - before.LastIndexOf((byte)'\n')}: {message}"];
        }
    }
}
