using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Workflow;

/// <summary>
/// The committed histories freeze the JSON of every orchestration input, activity input and result and event payload.
/// Each value they hold must read into today's type, and today's type must write every name the history had, at every
/// depth: an activity queued by the build before a deploy is run by the one after it, and the other way round.
/// </summary>
public sealed class HistoryShapeTests
{
    static string Histories => Path.Combine(RepoPaths.Root, "tests", "SynthPref.Tests", "Workflow", "Histories");

    /// <summary>Getters without data that earlier builds wrote and nothing ever read back.</summary>
    static readonly HashSet<string> Computed = new(StringComparer.Ordinal) { "ForItems", "Trust", "Shape" };

    static readonly DataConverter Converter = JsonDataConverter.Default;

    /// <summary>Every external event the orchestration waits for, by name.</summary>
    static readonly Dictionary<string, Type> Events = new(StringComparer.Ordinal)
    {
        [ReviewsComplete.Name] = typeof(ReviewsComplete),
        [ReviewClosed.Name] = typeof(ReviewClosed),
        [BatchClosed.Name] = typeof(BatchClosed),
    };

    public static TheoryData<string> CommittedHistories() =>
        new(Directory.GetFiles(Histories, "run-v*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(CommittedHistories))]
    public void Every_recorded_payload_reads_into_todays_type_and_is_written_back_with_every_name(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Histories, file)));
        var request = json.RootElement.GetProperty("request");
        var events = request.GetProperty("pastEvents").EnumerateArray().Concat(request.GetProperty("newEvents").EnumerateArray()).ToList();
        var scheduled = new Dictionary<int, string>();
        var checkedPayloads = 0;
        foreach (var e in events)
        {
            if (e.TryGetProperty("executionStarted", out var started))
                checkedPayloads += Check(started.GetProperty("input").GetString()!, typeof(RunInput), "RunInput");
            else if (e.TryGetProperty("taskScheduled", out var task))
            {
                var name = task.GetProperty("name").GetString()!;
                scheduled[Id(e, "eventId")] = name;
                var input = JsonNode.Parse(task.GetProperty("input").GetString()!)!.AsArray().Single()!.ToJsonString();
                checkedPayloads += Check(input, ActivityTypes(name).Input, $"{name} input");
            }
            else if (e.TryGetProperty("taskCompleted", out var completed) && completed.TryGetProperty("result", out var result))
            {
                var name = scheduled[Id(completed, "taskScheduledId")];
                checkedPayloads += Check(result.GetString()!, ActivityTypes(name).Output, $"{name} result");
            }
            else if (e.TryGetProperty("eventRaised", out var raised))
            {
                var name = raised.GetProperty("name").GetString()!;
                Assert.True(Events.TryGetValue(name, out var type), $"{file}: event {name} has no type");
                if (raised.TryGetProperty("input", out var payload))
                    checkedPayloads += Check(payload.GetString()!, type, name);
            }
        }
        Assert.True(checkedPayloads > 5, $"{file}: only {checkedPayloads} payloads found");
    }

    // Protobuf's JSON leaves out a field that is 0.
    static int Id(JsonElement e, string name) => e.TryGetProperty(name, out var id) ? id.GetInt32() : 0;

    static int Check(string recorded, Type type, string what)
    {
        var value = Converter.Deserialize(recorded, type);
        Assert.True(value is not null, $"{what} did not read");
        var written = JsonNode.Parse(Converter.Serialize(value)!);
        var missing = new List<string>();
        Compare(JsonNode.Parse(recorded), written, what, missing);
        Assert.True(missing.Count == 0, $"Today's {type.Name} no longer writes {string.Join(", ", missing)}.");
        return 1;
    }

    static void Compare(JsonNode? recorded, JsonNode? written, string path, List<string> missing)
    {
        if (recorded is JsonObject old)
        {
            var now = written as JsonObject;
            foreach (var (name, child) in old)
            {
                if (Computed.Contains(name)) continue;
                if (now is null || !now.TryGetPropertyValue(name, out var writtenChild)) missing.Add($"{path}.{name}");
                else Compare(child, writtenChild, $"{path}.{name}", missing);
            }
        }
        else if (recorded is JsonArray oldItems && written is JsonArray newItems)
        {
            for (var i = 0; i < Math.Min(oldItems.Count, newItems.Count); i++)
                Compare(oldItems[i], newItems[i], $"{path}[{i}]", missing);
        }
    }

    /// <summary>The input and result types of a core activity, from its class.</summary>
    static (Type Input, Type Output) ActivityTypes(string name)
    {
        var type = typeof(RunOrchestrator).Assembly.GetTypes().Single(t => t.Name == name);
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(TaskActivity<,>))
                return (t.GetGenericArguments()[0], t.GetGenericArguments()[1]);
        throw new InvalidOperationException($"{name} is not an activity");
    }
}
