using System.Text.Json;
using Google.Protobuf;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker.Grpc;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;
using P = Microsoft.DurableTask.Protobuf;

namespace SynthPref.Tests.Workflow;

/// <summary>
/// Replays recorded histories through the real orchestrator, as a worker does when a run resumes (a host restart, a
/// run parked for review across a deploy). A history that no longer replays fails the run with a non-determinism
/// error, so a change to the orchestrator's steps that is not gated on the run's version fails here first.
/// </summary>
public sealed class ReplayTests
{
    /// <summary>The last turn of a whole 1.0 run (two items, review closed by a reviewer) as its worker was given it,
    /// and the result it answered; recorded by <see cref="RecordAsync"/>.</summary>
    static string RecordedV1 => Recorded(OrchestrationVersions.V1);

    static string Recorded(string version) =>
        Path.Combine(RepoPaths.Root, "tests", "SynthPref.Tests", "Workflow", "Histories", $"run-v{version}.json");

    sealed record RecordedTurn(P.OrchestratorRequest Request, string Result);

    [Fact]
    public void A_recorded_1_0_run_replays_to_the_result_it_had()
    {
        var recorded = Load();
        Assert.Equal(OrchestrationVersions.V1, recorded.Request.PastEvents.First(e => e.ExecutionStarted is not null).ExecutionStarted.Version);

        AssertReplaysTo(recorded);
    }

    [Fact]
    public async Task A_run_recorded_now_replays_to_the_result_it_had()
    {
        var recorded = await RecordAsync();
        // SYNTHPREF_RECORD_HISTORY=1 commits this recording as the history of the current version (run-v{Current}.json),
        // once, when a version is new: a committed history stands for runs already started and is never re-recorded.
        var file = Recorded(OrchestrationVersions.Current);
        if (Environment.GetEnvironmentVariable("SYNTHPREF_RECORD_HISTORY") == "1" && !File.Exists(file))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            var formatter = new JsonFormatter(JsonFormatter.Settings.Default.WithIndentation());
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
            {
                request = JsonDocument.Parse(formatter.Format(recorded.Request)).RootElement,
                result = recorded.Result,
            }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
        }

        AssertReplaysTo(recorded);
    }

    [Fact]
    public void A_history_whose_steps_differ_from_the_code_fails_the_replay()
    {
        // Guards the two tests above: a replay that could not notice a changed step would prove nothing.
        var recorded = Load();
        recorded.Request.PastEvents.First(e => e.TaskScheduled?.Name == "AuditPairsActivity").TaskScheduled.Name = "SomeOtherActivity";

        var complete = Replay(recorded.Request);
        Assert.Equal(P.OrchestrationStatus.Failed, complete.OrchestrationStatus);
        Assert.Contains("NonDeterministic", complete.FailureDetails.ErrorType);
    }

    static RecordedTurn Load()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(RecordedV1));
        return new RecordedTurn(JsonParser.Default.Parse<P.OrchestratorRequest>(file.RootElement.GetProperty("request").GetRawText()),
            file.RootElement.GetProperty("result").GetString()!);
    }

    static void AssertReplaysTo(RecordedTurn recorded)
    {
        var complete = Replay(recorded.Request);
        Assert.True(complete.OrchestrationStatus == P.OrchestrationStatus.Completed, complete.FailureDetails?.ToString());
        // Compared as the run's result, not as text: a field added to RunResult later is not a replay failure.
        Assert.Equal(JsonSerializer.Deserialize<RunResult>(recorded.Result), JsonSerializer.Deserialize<RunResult>(complete.Result));
    }

    /// <summary>The whole history replays (every past step must match what the code does again), then the new events
    /// let the run decide its end.</summary>
    static P.CompleteOrchestrationAction Replay(P.OrchestratorRequest request)
    {
        var response = P.OrchestratorResponse.Parser.ParseFrom(Convert.FromBase64String(
            GrpcOrchestrationRunner.LoadAndRun(Convert.ToBase64String(request.ToByteArray()), new RunOrchestrator())));
        return Assert.Single(response.Actions, a => a.CompleteOrchestration is not null).CompleteOrchestration;
    }

    /// <summary>A two-item run on the in-memory backend with adaptive review: its first round is reviewed, a second
    /// round is drawn, and a reviewer closes the phase. Its last turn and result.</summary>
    static async Task<RecordedTurn> RecordAsync()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 2,
            Record = true,
            NextRound = r => new ReviewRoundResult(true, r.Round + 1, 1, 3, null),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("recorded-run", targetCiWidth: 0.25));
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        if (OrchestrationVersions.Current != OrchestrationVersions.V1)
        {
            await harness.Client.RaiseEventAsync(runId, RunEvents.ReviewsComplete, new ReviewsCompleteSignal(1));
            await harness.WaitForStatusAsync(runId, p => p.ReviewRound == 2);
        }
        Assert.True(harness.CloseInStorage("closed"));
        await harness.Client.RaiseEventAsync(runId, RunEvents.ReviewClosed, true);
        var run = await harness.WaitForEndAsync(runId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);

        var (request, response) = harness.Backend!.Turns.Last(t => t.Request.InstanceId == runId);
        var complete = Assert.Single(response!.Actions, a => a.CompleteOrchestration is not null).CompleteOrchestration;
        Assert.Equal(run.SerializedOutput, complete.Result);
        return new RecordedTurn(request, complete.Result);
    }
}
