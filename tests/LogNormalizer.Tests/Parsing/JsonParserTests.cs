using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Sidecars.LogNormalizer.Parsing;
using Sidecars.LogNormalizer.Record;
using Xunit;
using static Sidecars.LogNormalizer.Tests.Parsing.ParsingSupport;

namespace Sidecars.LogNormalizer.Tests.Parsing;

public sealed class JsonParserTests
{
    private static readonly JsonParser Parser = new();

    [Fact]
    public void Time_level_and_message_are_lifted_and_the_rest_flattened()
    {
        var record = Parse(Parser, """{"time":"2026-12-01T08:00:00.5+01:00","level":"warn","msg":"slow","http":{"status":503,"ms":12.5},"tags":["a",1],"ok":true,"none":null}""");
        Assert.Equal(Nanos(2026, 12, 1, 7, 0, 0, 500), record.TimeUnixNano);
        Assert.Equal("warn", record.SeverityText);
        Assert.Equal(Severity.Warn, record.SeverityNumber);
        Assert.Equal("slow", record.Body);
        Assert.Equal(503L, record.Get("http.status"));
        Assert.Equal(12.5, record.Get("http.ms"));
        Assert.Equal("[\"a\",1]", record.Get("tags"));
        Assert.Equal(true, record.Get("ok"));
        Assert.Null(record.Get("none"));
        Assert.Null(record.Get("time"));
    }

    [Fact]
    public void Go_slog_json_as_written()
    {
        var record = Parse(Parser, """{"time":"2026-12-07T04:26:00.123456789Z","level":"ERROR","msg":"failed","err":"boom","attempt":3}""");
        Assert.Equal(Nanos(2026, 12, 7, 4, 26, 0) + 123_456_789, record.TimeUnixNano);
        Assert.Equal(Severity.Error, record.SeverityNumber);
        Assert.Equal(3L, record.Get("attempt"));
    }

    [Theory]
    [InlineData("""{"ts":1764576000}""", 1764576000_000_000_000L)]
    [InlineData("""{"ts":1764576000.25}""", 1764576000_250_000_000L)]
    [InlineData("""{"timestamp":1764576000123}""", 1764576000_123_000_000L)]
    [InlineData("""{"@t":"2025-12-01T08:00:00Z"}""", 1764576000_000_000_000L)]
    [InlineData("""{"@timestamp":"1764576000123456789"}""", 1764576000_123_456_789L)]
    public void Epoch_numbers_and_text_times_are_read(string line, long nanos) => Assert.Equal(nanos, Parse(Parser, line).TimeUnixNano);

    [Fact]
    public void Pino_numeric_levels_and_serilog_keys()
    {
        var pino = Parse(Parser, """{"level":50,"time":1764576000000,"msg":"x"}""");
        Assert.Equal(Severity.Error, pino.SeverityNumber);
        var serilog = Parse(Parser, """{"@t":"2025-12-01T08:00:00Z","@mt":"Hello {Name}","@l":"Warning","Name":"x"}""");
        Assert.Equal("Hello {Name}", serilog.Body);
        Assert.Equal(Severity.Warn, serilog.SeverityNumber);
        Assert.Equal("x", serilog.Get("Name"));
    }

    [Fact]
    public void A_later_duplicate_key_wins_and_a_second_message_key_stays_an_attribute()
    {
        var record = Parse(Parser, """{"a":1,"a":2,"msg":"first","message":"second"}""");
        Assert.Equal(2L, record.Get("a"));
        Assert.Equal("first", record.Body);
        Assert.Equal("second", record.Get("message"));
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_kept_as_json_text()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"k\":", 40)) + "1" + new string('}', 40);
        var record = Parse(Parser, deep);
        var (key, value) = Assert.Single(record.Attributes);
        Assert.Equal(JsonParser.MaxDepth - 1, key.Count(c => c == '.'));
        Assert.StartsWith("{\"k\":", (string)value);
    }

    [Fact]
    public void A_huge_number_is_a_double_or_its_text()
    {
        var record = Parse(Parser, """{"big":123456789012345678901234567890,"huge":1e400}""");
        Assert.Equal(1.2345678901234568E+29, record.Get("big"));
        Assert.Equal("1e400", record.Get("huge"));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"x\"")]
    [InlineData("{\"a\":1} trailing")]
    [InlineData("{\"a\":1")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":\"\\uD800\"}")]
    [InlineData("plain")]
    public void What_is_not_one_json_object_is_refused(string line) => Assert.False(Reads(Parser, line));

    private static readonly Gen<string> Key = Gen.Elements("a", "b", "c", "k.x", "", "ü", "a b", "\"q\"", "\\", "n1");

    private static Gen<JsonNode?> Value(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency(
            (5, Scalar),
            (2, Obj(depth - 1).Select(o => (JsonNode?)o)),
            (1, Value(depth - 1).ListOf().Select(l => (JsonNode?)new JsonArray([.. l.Select(n => n?.DeepClone())]))));

    private static readonly Gen<JsonNode?> Scalar = Gen.OneOf(
        Gen.Constant<JsonNode?>(null),
        Gen.Elements<JsonNode?>(JsonValue.Create(true), JsonValue.Create(false)),
        ArbMap.Default.GeneratorFor<long>().Select(l => (JsonNode?)JsonValue.Create(l)),
        Gen.Choose(-1_000_000, 1_000_000).Zip(Gen.Choose(1, 1000)).Select(t => (JsonNode?)JsonValue.Create(t.Item1 / (double)t.Item2 + 0.5)),
        ArbMap.Default.GeneratorFor<string>().Where(s => s is not null).Select(s => (JsonNode?)JsonValue.Create(new string([.. s.Where(c => !char.IsSurrogate(c))]))));

    private static Gen<JsonObject> Obj(int depth) =>
        Key.Zip(Value(depth)).ListOf().Select(pairs =>
        {
            var o = new JsonObject();
            foreach (var (k, v) in pairs)
            {
                o[k] = v?.DeepClone();
            }

            return o;
        });

    /// <summary>An array's JSON text: compared as JSON, since the two sides may escape and space it differently.</summary>
    private sealed record ArrayText(string Json);

    /// <summary>The flattening as System.Text.Json's JsonNode sees the object: an independent implementation to compare with.</summary>
    private static void Flatten(JsonObject node, string? prefix, Dictionary<string, object> into)
    {
        foreach (var (name, value) in node)
        {
            var key = prefix is null ? name : prefix + "." + name;
            switch (value)
            {
                case null:
                    break;
                case JsonObject o:
                    Flatten(o, key, into);
                    break;
                case JsonArray a:
                    into[key] = new ArrayText(a.ToJsonString());
                    break;
                default:
                    var element = value.GetValue<JsonElement>();
                    into[key] = element.ValueKind switch
                    {
                        JsonValueKind.String => element.GetString()!,
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => element.TryGetInt64(out var l) ? (object)l : element.GetDouble(),
                    };
                    break;
            }
        }
    }

    [Fact]
    public void Flattening_agrees_with_JsonNode_on_random_objects()
    {
        // Keys of no lifted role, so that everything is an attribute; depth well under the limit.
        foreach (var obj in Obj(3).Sample(300, 20))
        {
            var text = obj.ToJsonString();
            var expected = new Dictionary<string, object>();
            Flatten(JsonNode.Parse(text)!.AsObject(), null, expected);
            var record = Parse(Parser, text);
            var actual = record.Attributes.ToDictionary(a => a.Key, a => a.Value);
            Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
            foreach (var (key, value) in expected)
            {
                if (value is ArrayText array)
                {
                    Assert.True(JsonNode.DeepEquals(JsonNode.Parse(array.Json), JsonNode.Parse((string)actual[key])), key);
                }
                else
                {
                    Assert.Equal(value, actual[key]);
                }
            }
        }
    }

    [Fact]
    public void A_number_flattens_to_the_value_JsonNode_reads()
    {
        var record = Parse(Parser, string.Create(CultureInfo.InvariantCulture, $$"""{"x":{{0.1 + 0.2:R}}}"""));
        Assert.Equal(0.1 + 0.2, record.Get("x"));
    }
}
