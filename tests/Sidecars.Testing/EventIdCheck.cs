using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Sidecars.Hosting;
using Xunit;

namespace Sidecars.Testing;

/// <summary>
/// An image's event ids: each constant of its <c>EventIds</c> class distinct and in its range (the host's 1-99, an
/// image's from 100, the Fluentd client's 80-99 inside the host's), and every <c>[LoggerMessage]</c> of its <c>Log</c> class using one of them, no two the same.
/// </summary>
public static class EventIdCheck
{
    public static void AssertUniqueAndUsed(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicFields)] Type eventIds,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods | DynamicallyAccessedMemberTypes.NonPublicMethods)] Type log)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        ArgumentNullException.ThrowIfNull(log);
        var constants = eventIds.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(int))
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        Assert.NotEmpty(constants);
        var problems = new List<string>();
        foreach (var group in constants.GroupBy(c => c.Value).Where(g => g.Count() > 1))
        {
            problems.Add($"{string.Join(", ", group.Select(g => g.Key))} share the id {group.Key}");
        }

        var (min, max, owner) = eventIds == typeof(HostEventIds) ? (1, 79, "the host (1-79)")
            : eventIds == typeof(Sidecars.Fluentd.FluentdEventIds) ? (80, 99, "the Fluentd client (80-99)")
            : (100, int.MaxValue, "an image (from 100)");
        foreach (var (name, id) in constants.Where(c => c.Value < min || c.Value > max))
        {
            problems.Add($"{name} = {id} is outside the range of {owner}");
        }

        var messages = log.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            .Select(m => (m.Name, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .ToList();
        Assert.NotEmpty(messages);
        foreach (var (method, attribute) in messages.Where(m => !constants.ContainsValue(m.Attribute!.EventId)))
        {
            problems.Add($"{log.Name}.{method} uses the id {attribute!.EventId}, which is not a constant of {eventIds.Name}");
        }

        foreach (var group in messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1))
        {
            problems.Add($"{string.Join(", ", group.Select(g => g.Name))} share the id {group.Key}");
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
