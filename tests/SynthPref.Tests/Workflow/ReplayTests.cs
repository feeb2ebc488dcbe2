using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Google.Protobuf;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker.Grpc;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;
using P = Microsoft.DurableTask.Protobuf;

namespace SynthPref.Tests.Workflow;

/// <summary>
/// The versioning net. Every committed history (<c>Histories/run-v*.json</c>, one per orchestration version) is the last
/// turn of a whole run of that version as its worker was given it; each replays through the real orchestrator, as a
/// worker does when a run parked for review resumes on newer code. A change to the steps of any version that is not
/// gated on the run's version fails its history's replay here, before it reaches a parked run. A committed history
/// stands for runs already started, so it is never rewritten: <c>Histories/manifest.sha256</c> keeps their SHA-256s
/// (in <c>sha256sum</c>'s format, so <c>sha256sum -c manifest.sha256</c> checks them too).
/// </summary>
public sealed class ReplayTests
{
    static string Histories => Path.Combine(RepoPaths.Root, "tests", "SynthPref.Tests", "Workflow", "Histories");
    static string Manifest => Path.Combine(Histories, "manifest.sha256");
    static string FileFor(string version) => $"run-v{version}.json";

    sealed record RecordedTurn(P.OrchestratorRequest Request, string Result);

    /// <summary>Every committed history, as found on disk.</summary>
    public static TheoryData<string> CommittedHistories() => new(HistoryFiles());

    static IEnumerable<string> HistoryFiles() =>
        Directory.GetFiles(Histories, "run-v*.json").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal);

    [Theory]
    [MemberData(nameof(CommittedHistories))]
    public void A_committed_history_replays_to_the_result_it_had(string file)
    {
        var recorded = Load(file);
        Assert.Equal(FileFor(VersionOf(recorded.Request)), file);

        AssertReplaysTo(recorded);
    }

    [Theory]
    [MemberData(nameof(CommittedHistories))]
    public void A_committed_history_is_never_rewritten(string file)
    {
        var manifest = ReadManifest();
        Assert.True(manifest.TryGetValue(file, out var want),
            $"{file} has no line in {Manifest}: a history is committed with its SHA-256 (record it with SYNTHPREF_RECORD_HISTORY=1).");
        Assert.True(want == Sha256Of(Path.Combine(Histories, file)),
            $"{file} differs from the history committed for its version. Runs of that version already exist and replay what was " +
            "recorded; restore the file, and give a changed orchestrator a new version instead.");
    }

    [Fact]
    public void Every_manifest_line_names_a_committed_history()
    {
        var missing = ReadManifest().Keys.Where(f => !File.Exists(Path.Combine(Histories, f))).ToList();
        Assert.True(missing.Count == 0, $"The manifest names histories that are gone: {string.Join(", ", missing)}.");
    }

    [Fact]
    public void Every_orchestration_version_has_a_committed_history_and_the_newest_is_current()
    {
        var versions = typeof(OrchestrationVersions).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name != nameof(OrchestrationVersions.Current))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        Assert.Contains(OrchestrationVersions.Current, versions);
        foreach (var version in versions)
            Assert.True(File.Exists(Path.Combine(Histories, FileFor(version))),
                $"Version {version} has no committed history: run the tests once with SYNTHPREF_RECORD_HISTORY=1 and commit {FileFor(version)} " +
                "with its manifest line.");
        Assert.Equal(OrchestrationVersions.Current, versions.OrderByDescending(Version.Parse).First());
        Assert.All(HistoryFiles(), file => Assert.Contains(versions, v => FileFor(v) == file));
    }

    [Fact]
    public void Host_json_stamps_new_runs_with_the_current_version()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")),
            new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var durable = hostJson.RootElement.GetProperty("extensions").GetProperty("durableTask");
        Assert.Equal(OrchestrationVersions.Current, durable.GetProperty("defaultVersion").GetString());
        // Workers take runs of their version or older, and refuse newer ones, as the local host's worker does.
        Assert.Equal("CurrentOrOlder", durable.GetProperty("versionMatchStrategy").GetString());
        Assert.Equal("Reject", durable.GetProperty("versionFailureStrategy").GetString());
    }

    /// <summary>A run recorded now, by this build, takes the same steps as the committed history of the current version:
    /// a change to the current version's steps fails here too, not only in the replay of what was committed.
    /// SYNTHPREF_RECORD_HISTORY=1 commits the recording as the current version's history when it has none yet (a new
    /// version), with its manifest line; an existing history is never written over.</summary>
    [Fact]
    public async Task A_run_recorded_now_takes_the_steps_of_the_current_versions_committed_history()
    {
        var recorded = await RecordAsync();
        var file = FileFor(OrchestrationVersions.Current);
        var path = Path.Combine(Histories, file);
        if (Environment.GetEnvironmentVariable("SYNTHPREF_RECORD_HISTORY") == "1" && !File.Exists(path))
        {
            var formatter = new JsonFormatter(JsonFormatter.Settings.Default.WithIndentation());
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new
            {
                request = JsonDocument.Parse(formatter.Format(recorded.Request)).RootElement,
                result = recorded.Result,
            }, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
            await File.AppendAllTextAsync(Manifest, $"{Sha256Of(path)}  {file}\n");
        }
        Assert.True(File.Exists(path), $"The current version {OrchestrationVersions.Current} has no committed history {file}.");

        AssertReplaysTo(recorded);
        Assert.Equal(Steps(Load(file).Request), Steps(recorded.Request));
    }

    [Fact]
    public void A_history_whose_steps_differ_from_the_code_fails_the_replay()
    {
        // Guards the replays above: a replay that could not notice a changed step would prove nothing.
        var recorded = Load(FileFor(OrchestrationVersions.V1));
        recorded.Request.PastEvents.First(e => e.TaskScheduled?.Name == "AuditPairsActivity").TaskScheduled.Name = "SomeOtherActivity";

        AssertNonDeterministic(recorded.Request);
    }

    [Fact]
    public void A_step_only_the_newest_version_takes_is_checked_by_its_replay()
    {
        // The first step the newest version takes that the one before it never did: renaming it (in the code, or here in
        // the history) must fail the newest history's replay, so the steps each new version adds are under the net too.
        var versions = HistoryFiles().Select(f => f["run-v".Length..^".json".Length]).OrderBy(Version.Parse).ToList();
        Assert.True(versions.Count >= 2, "The guard compares the newest version's history with the one before it.");
        var newest = Load(FileFor(versions[^1]));
        var before = Steps(Load(FileFor(versions[^2])).Request).ToHashSet(StringComparer.Ordinal);
        var added = newest.Request.PastEvents.FirstOrDefault(e => e.TaskScheduled is not null && !before.Contains(Step(e)));
        Assert.True(added is not null, $"Version {versions[^1]}'s history takes no step that {versions[^2]}'s does not.");

        added!.TaskScheduled.Name += "Renamed";
        AssertNonDeterministic(newest.Request);
    }

    static void AssertNonDeterministic(P.OrchestratorRequest request)
    {
        var complete = Replay(request);
        Assert.Equal(P.OrchestrationStatus.Failed, complete.OrchestrationStatus);
        Assert.Contains("NonDeterministic", complete.FailureDetails.ErrorType);
    }

    static string VersionOf(P.OrchestratorRequest request) =>
        request.PastEvents.First(e => e.ExecutionStarted is not null).ExecutionStarted.Version;

    /// <summary>What a history did, in order: each activity it scheduled, each timer and each event it took.</summary>
    static List<string> Steps(P.OrchestratorRequest request) =>
        request.PastEvents.Concat(request.NewEvents).Select(Step).Where(s => s.Length > 0).ToList();

    static string Step(P.HistoryEvent e) =>
        e.TaskScheduled is { } task ? $"activity {task.Name}"
        : e.TimerCreated is not null ? "timer"
        : e.EventRaised is { } raised ? $"event {raised.Name}"
        : "";

    static Dictionary<string, string> ReadManifest() =>
        File.ReadAllLines(Manifest).Where(l => l.Trim().Length > 0)
            .Select(l => l.Split("  ", 2))
            .ToDictionary(p => p[1].Trim(), p => p[0].Trim(), StringComparer.Ordinal);

    static string Sha256Of(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    static RecordedTurn Load(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Histories, file)));
        return new RecordedTurn(JsonParser.Default.Parse<P.OrchestratorRequest>(json.RootElement.GetProperty("request").GetRawText()),
            json.RootElement.GetProperty("result").GetString()!);
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

    /// <summary>A three-item run on the in-memory backend that sends its judge requests by batch (collected, submitted,
    /// polled on a durable timer, ingested), then reviews adaptively with trustTarget and escalate: review: its first
    /// round is reviewed and a second is drawn; the second is reviewed and the rounds stop, so the escalation round is
    /// drawn; then a reviewer closes the phase. Its last turn and result.</summary>
    static async Task<RecordedTurn> RecordAsync()
    {
        await using var harness = await OrchestratorHarness.StartAsync(new OrchestratorHarness
        {
            Items = 3,
            Record = true,
            NextRound = r => r.Round == 1 ? new ReviewRoundResult(true, 2, 1, 3, null) : new ReviewRoundResult(true, r.Round, 0, 3, RoundsStop.TargetsMet),
            Escalate = r => new ReviewRoundResult(true, r.Round + 1, 1, 4, null),
        });
        var runId = await harness.StartRunAsync(OrchestratorHarness.Input("recorded-run", targetCiWidth: 0.25, trustTarget: 0.8,
            escalate: Escalation.Review, batch: OrchestratorHarness.JudgeBatch()));
        await harness.WaitForStatusAsync(runId, p => p.Phase == RunStatus.AwaitingReview);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(1));
        await harness.WaitForStatusAsync(runId, p => p.ReviewRound == 2);
        await harness.Client.RaiseAsync(runId, new ReviewsComplete(2));
        await harness.WaitForStatusAsync(runId, p => p.EscalationRound == 3);
        Assert.True(harness.CloseInStorage(ReviewEnd.Closed));
        await harness.Client.RaiseAsync(runId, new ReviewClosed());
        var run = await harness.WaitForEndAsync(runId);
        Assert.Equal(OrchestrationRuntimeStatus.Completed, run.RuntimeStatus);

        var (request, response) = harness.Backend!.Turns.Last(t => t.Request.InstanceId == runId);
        var complete = Assert.Single(response!.Actions, a => a.CompleteOrchestration is not null).CompleteOrchestration;
        Assert.Equal(run.SerializedOutput, complete.Result);
        return new RecordedTurn(request, complete.Result);
    }
}
