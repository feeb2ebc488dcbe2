using System.Text.Json;
using Google.Protobuf;
using Microsoft.DurableTask.Converters;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;
using SynthPref.Orchestration.Workflow.Activities;
using SynthPref.Tests.Infrastructure;
using P = Microsoft.DurableTask.Protobuf;

namespace SynthPref.Tests.Unit;

/// <summary>
/// The review stage's typed events and reasons keep the shapes runs already hold: the committed histories' review
/// requests, results and events read into today's types and write back byte for byte, and each reason is spelled as
/// storage, the API and report.json have it.
/// </summary>
public sealed class ReviewShapesTests
{
    static readonly JsonDataConverter Durable = JsonDataConverter.Default;

    static readonly Dictionary<string, (Type Request, Type Result)> ReviewActivities = new()
    {
        [nameof(OpenReviewActivity)] = (typeof(OpenReviewRequest), typeof(ReviewOpened)),
        [nameof(NextReviewRoundActivity)] = (typeof(NextReviewRoundRequest), typeof(ReviewRoundResult)),
        [nameof(EscalateReviewActivity)] = (typeof(EscalationRequest), typeof(ReviewRoundResult)),
        [nameof(CloseReviewActivity)] = (typeof(CloseReviewRequest), typeof(ReviewEnd)),
    };

    public static TheoryData<string> Histories() =>
        new(Directory.GetFiles(Path.Combine(RepoPaths.Root, "tests", "SynthPref.Tests", "Workflow", "Histories"), "run-v*.json")
            .Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Histories))]
    public void Every_review_request_result_and_event_of_a_committed_history_reads_and_writes_back_unchanged(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "SynthPref.Tests", "Workflow", "Histories", file)));
        var request = JsonParser.Default.Parse<P.OrchestratorRequest>(json.RootElement.GetProperty("request").GetRawText());
        var events = request.PastEvents.Concat(request.NewEvents).ToList();
        var scheduled = events.Where(e => e.TaskScheduled is not null).ToDictionary(e => e.EventId, e => e.TaskScheduled);

        var checkedShapes = 0;
        foreach (var task in scheduled.Values.Where(t => ReviewActivities.ContainsKey(t.Name)))
        {
            // Activity inputs are sent as an array of the one argument. Requests gained fields over the versions (a 1.0
            // run's open request has no Rounds), so each recorded field must come back as it was.
            var input = JsonDocument.Parse(task.Input).RootElement[0].GetRawText();
            AssertKeeps(JsonDocument.Parse(input).RootElement, JsonDocument.Parse(RoundTrip(input, ReviewActivities[task.Name].Request)).RootElement,
                $"{file} {task.Name}");
            checkedShapes++;
        }
        foreach (var completed in events.Select(e => e.TaskCompleted).Where(c => c is not null))
        {
            if (!ReviewActivities.TryGetValue(scheduled[completed.TaskScheduledId].Name, out var types)) continue;
            Assert.Equal(completed.Result, RoundTrip(completed.Result, types.Result));
            checkedShapes++;
        }
        foreach (var raised in events.Select(e => e.EventRaised).Where(r => r is not null))
        {
            var type = raised.Name switch
            {
                ReviewsComplete.Name => typeof(ReviewsComplete),
                ReviewClosed.Name => typeof(ReviewClosed),
                _ => throw new InvalidOperationException($"{file} raises {raised.Name}, an event the run does not know."),
            };
            Assert.Equal(raised.Input, RoundTrip(raised.Input, type));
            checkedShapes++;
        }
        var report = scheduled.Values.Single(t => t.Name == nameof(BuildReportActivity));
        Assert.Equal(ReviewEnd.Closed, Durable.Deserialize<ReportRequest>(JsonDocument.Parse(report.Input).RootElement[0].GetRawText())!.ReviewEndedBy);
        // Open, close and the close event at least; rounds and their signals from 2.0.
        Assert.True(checkedShapes >= 5, $"{file}: only {checkedShapes} review shapes found");
    }

    [Fact]
    public void ReviewsComplete_names_its_round_and_without_one_is_the_true_1_0_runs_wait_for()
    {
        Assert.Equal("""{"Round":2}""", Durable.Serialize(new ReviewsComplete(2)));
        Assert.Equal("true", Durable.Serialize(new ReviewsComplete(null)));
        Assert.True(Durable.Deserialize<bool>(Durable.Serialize(new ReviewsComplete(null))));
        Assert.Equal(new ReviewsComplete(3), Durable.Deserialize<ReviewsComplete>("""{"round":3}"""));
        // Nothing a client can raise fails a run: whatever has no round in it is the event without one.
        foreach (var payload in new[] { "true", "null", "7", "\"x\"", """{"Round":"two"}""", "[1]", """{"Other":1}""" })
            Assert.Equal(new ReviewsComplete(null), Durable.Deserialize<ReviewsComplete>(payload));
        Assert.Equal("true", Durable.Serialize(new ReviewClosed()));
        Assert.NotNull(Durable.Deserialize<ReviewClosed>("""{"by":"someone"}"""));
    }

    [Fact]
    public void Reasons_are_spelled_as_runs_store_them_and_an_unknown_spelling_is_refused_naming_the_known_ones()
    {
        Assert.Equal(["complete", "closed", "deadline", "nothing-to-review"], Enum.GetValues<ReviewEnd>().Select(e => e.Spelling()));
        Assert.Equal(["targets-met", "no-items-left", "max-review-sample-size", "nothing-to-escalate"],
            Enum.GetValues<RoundsStop>().Select(s => s.Spelling()));
        foreach (var end in Enum.GetValues<ReviewEnd>())
        {
            Assert.Equal(end, Spellings.Parse<ReviewEnd>(end.Spelling()));
            // JSON, as durable messages and report.json write it, is the same spelling.
            Assert.Equal($"\"{end.Spelling()}\"", Durable.Serialize(end));
            Assert.Equal($"\"{end.Spelling()}\"", JsonSerializer.Serialize(end, SynthPref.Orchestration.Reporting.ReportJson.Options));
        }
        Assert.Equal("\"max-review-sample-size\"", JsonSerializer.Serialize<RoundsStop?>(RoundsStop.SampleLimit, SynthPref.Orchestration.Reporting.ReportJson.Options));
        var refused = Assert.Throws<FormatException>(() => Spellings.Parse<ReviewEnd>("Closed"));
        Assert.Contains("complete, closed, deadline, nothing-to-review", refused.Message);
    }

    static string RoundTrip(string json, Type type) => Durable.Serialize(Durable.Deserialize(json, type))!;

    static void AssertKeeps(JsonElement recorded, JsonElement written, string where)
    {
        if (recorded.ValueKind != JsonValueKind.Object)
        {
            Assert.True(recorded.GetRawText() == written.GetRawText(), $"{where}: {recorded.GetRawText()} came back as {written.GetRawText()}");
            return;
        }
        foreach (var property in recorded.EnumerateObject())
        {
            Assert.True(written.TryGetProperty(property.Name, out var value), $"{where}: {property.Name} is no longer written");
            AssertKeeps(property.Value, value, $"{where}.{property.Name}");
        }
    }
}
