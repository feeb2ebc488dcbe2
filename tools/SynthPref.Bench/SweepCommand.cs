using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Bench;

/// <summary>One stage of a run as its status names it: when it started, how long it took, the host's resident set
/// (largest sample, 100 ms apart) and its lifetime peak (VmHWM) when the stage ended, and the storage requests it made.</summary>
public sealed record StageFigures(string Stage, TimeSpan Start, TimeSpan Duration, long MaxRssKib, long PeakRssKibAtEnd, StorageCounts Requests);

public sealed record SweepResult(int Items, PipelineResult Run, IReadOnlyList<StageFigures> Stages);

/// <summary>
/// The size sweep: one run per size on fresh Azurite and a fresh local host with its defaults, a fast fake judge (so
/// what is measured is the pipeline), the items started from an uploaded JSONL blob, a review sample labelled over the
/// API and a trust target (so sampling, the rounds' reads, the trust pass and escalated.jsonl all run), and per stage of
/// the run's status: time, host RSS and storage requests per item.
/// </summary>
public static class SweepCommand
{
    static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var sizes = new Option<int[]>("--sizes")
        {
            Description = "Item counts to run, comma-separated",
            DefaultValueFactory = _ => [20000, 100000, 200000],
            CustomParser = ParseSizes,
        };
        var latency = new Option<int>("--latency-ms") { Description = "Fixed latency of each fake judge call", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency") { Description = "Llm:MaxConcurrency of the host", DefaultValueFactory = _ => 32 };
        var sample = new Option<int>("--review-sample") { Description = "Items in the review sample, each labelled once", DefaultValueFactory = _ => 200 };
        var trust = new Option<double?>("--trust-target") { Description = "The runs' trustTarget (none: 0)", DefaultValueFactory = _ => 0.8 };
        var repoRoot = new Option<DirectoryInfo?>("--repo-root") { Description = "The repository (default: the folder holding SynthPref.sln, found upward)" };
        var keepLogs = new Option<DirectoryInfo?>("--keep-logs") { Description = "Keep the host and Azurite logs of each size in this folder" };
        var command = new Command("sweep", "Peak host RSS, time and storage requests per item of each stage, over input sizes, with a fast fake judge")
        {
            sizes, latency, concurrency, sample, trust, repoRoot, keepLogs,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var root = parse.GetValue(repoRoot)?.FullName ?? PipelineVsLoopCommand.FindRepoRoot();
                var target = parse.GetValue(trust) is { } t && t > 0 ? t : (double?)null;
                await RunAsync(parse.GetValue(sizes)!, parse.GetValue(latency), Math.Max(1, parse.GetValue(concurrency)), Math.Max(0, parse.GetValue(sample)),
                    target, root, parse.GetValue(keepLogs)?.FullName, ct);
                return 0;
            }
            catch (Exception e) when (ct.IsCancellationRequested)
            {
                Console.Error.WriteLine($"bench cancelled ({e.GetType().Name})");
                return 130;
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"bench failed: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    static int[] ParseSizes(ArgumentResult result)
    {
        var sizes = new List<int>();
        foreach (var part in result.Tokens.SelectMany(t => t.Value.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) sizes.Add(n);
            else result.AddError($"--sizes: '{part}' is not a positive whole number");
        }
        if (sizes.Count == 0) result.AddError("--sizes needs at least one size");
        return [.. sizes];
    }

    static async Task RunAsync(int[] sizes, int latencyMs, int concurrency, int sample, double? trustTarget, string repoRoot, string? keepLogs,
        CancellationToken ct)
    {
        Console.WriteLine($"sweep: sizes {string.Join(", ", sizes)}; fake judge latency {latencyMs} ms; Llm:MaxConcurrency {concurrency}; " +
                          $"review sample {sample}; trustTarget {(trustTarget?.ToString(CultureInfo.InvariantCulture) ?? "none")}; " +
                          $"{Environment.ProcessorCount} cores; the host runs with its defaults otherwise");
        await using var llm = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        llm.Latency = TimeSpan.FromMilliseconds(latencyMs);
        llm.RecordRequests = false;

        var scratch = Path.Combine(Path.GetTempPath(), $"synthpref-sweep-{Environment.ProcessId}");
        var results = new List<SweepResult>();
        try
        {
            foreach (var size in sizes)
            {
                ct.ThrowIfCancellationRequested();
                Console.WriteLine();
                Console.WriteLine($"== {size} items ==");
                var items = SyntheticItems.Generate(size, seed: 1);
                var logDir = Path.Combine(keepLogs ?? scratch, $"sweep-{size}");
                if (Directory.Exists(logDir)) Directory.Delete(logDir, recursive: true);
                var stages = new StageTracker(size);
                var options = new Dictionary<string, object?>();
                if (trustTarget is { } target) options["trustTarget"] = target;
                var run = await new PipelineRun(repoRoot, llm, concurrency, swap: true, logDir, hostSettings: [])
                    .RunAsync(items, ct, review: sample > 0 ? new ReviewPlan(sample, 1, 8) : null, viaBlob: true, extraOptions: options,
                        observe: stages.Observe);
                if (run.Pairs != size || run.FailedItems != 0)
                    throw new BenchException($"run {run.RunId}: {run.Pairs} pairs of {size}, {run.FailedItems} failed items");
                var result = new SweepResult(size, run, stages.Finish(run));
                results.Add(result);
                Print(result);
            }
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
        PrintSummary(results);
        if (keepLogs is not null) Console.WriteLine($"logs kept in {keepLogs}");
    }

    /// <summary>Follows the run's status from poll to poll: a stage starts when the status first shows it.</summary>
    sealed class StageTracker(int items)
    {
        readonly List<StageFigures> done = [];
        string? stage;
        TimeSpan start, lastProgress;
        long maxRss;
        StorageCounts requestsAtStart;

        public void Observe(RunPoll poll)
        {
            if (poll.Phase != stage)
            {
                var requests = poll.Requests();
                Close(poll.Elapsed, poll.PeakRssKib, requests);
                (stage, start, maxRss, requestsAtStart, lastProgress) = (poll.Phase, poll.Elapsed, poll.RssKib, requests, poll.Elapsed);
                Console.WriteLine($"  [{poll.Elapsed.TotalSeconds,7:0.0} s] {stage}: host RSS {poll.RssKib / 1024.0:0} MiB, peak so far {poll.PeakRssKib / 1024.0:0} MiB");
                return;
            }
            maxRss = Math.Max(maxRss, poll.RssKib);
            if (poll.Elapsed - lastProgress < ProgressEvery) return;
            lastProgress = poll.Elapsed;
            var progress = poll.Status["progress"];
            var pairs = progress?["pairsWritten"]?.GetValue<int>();
            Console.WriteLine($"  [{poll.Elapsed.TotalSeconds,7:0.0} s] {stage}: host RSS {poll.RssKib / 1024.0:0} MiB" +
                              (pairs is { } n ? $", {n} of {items} pairs written" : ""));
        }

        void Close(TimeSpan at, long peak, StorageCounts requests)
        {
            if (stage is null) return;
            done.Add(new StageFigures(stage, start, at - start, maxRss, peak, requests - requestsAtStart));
        }

        public IReadOnlyList<StageFigures> Finish(PipelineResult run)
        {
            // The last stage (Completed) is a moment, not a stage: what ran before it ends at the run's wall time.
            if (stage is not null and not "Completed")
                Close(run.Wall, run.PeakRssKib, run.Storage);
            return done.Where(s => s.Stage != "Completed").ToList();
        }
    }

    static void Print(SweepResult r)
    {
        var p = r.Run;
        Console.WriteLine($"run {p.RunId}: {p.Pairs} pairs in {p.Wall.TotalSeconds:0.0} s; host peak RSS {p.PeakRssKib / 1024.0:0} MiB; " +
                          $"storage requests {p.Storage.Total} ({(double)p.Storage.Total / r.Items:0.0} per item); the bench's status polls are included");
        Console.WriteLine($"  {"stage",-16} {"s",8} {"RSS max MiB",12} {"peak MiB",9} {"requests",10} {"per item",9} {"blob",7} {"queue",7} {"table",7}");
        foreach (var s in r.Stages)
        {
            double Per(long n) => (double)n / r.Items;
            Console.WriteLine($"  {s.Stage,-16} {s.Duration.TotalSeconds,8:0.0} {s.MaxRssKib / 1024.0,12:0} {s.PeakRssKibAtEnd / 1024.0,9:0} " +
                              $"{s.Requests.Total,10} {Per(s.Requests.Total),9:0.00} {Per(s.Requests.Blob),7:0.00} {Per(s.Requests.Queue),7:0.00} {Per(s.Requests.Table),7:0.00}");
        }
    }

    static void PrintSummary(List<SweepResult> results)
    {
        if (results.Count == 0) return;
        Console.WriteLine();
        Console.WriteLine("== summary: host RSS max per stage (MiB), stage time (s) ==");
        var stages = results.SelectMany(r => r.Stages.Select(s => s.Stage)).Distinct().ToList();
        Console.WriteLine($"  {"items",8} {"peak",6} " + string.Join(" ", stages.Select(s => $"{s,22}")) + $" {"wall s",8} {"requests/item",14}");
        foreach (var r in results)
        {
            var cells = stages.Select(name => r.Stages.FirstOrDefault(s => s.Stage == name) is { } s
                ? $"{$"{s.MaxRssKib / 1024.0:0} MiB {s.Duration.TotalSeconds:0.0} s",22}"
                : $"{"-",22}");
            Console.WriteLine($"  {r.Items,8} {r.Run.PeakRssKib / 1024.0,6:0} " + string.Join(" ", cells) +
                              $" {r.Run.Wall.TotalSeconds,8:0.0} {(double)r.Run.Storage.Total / r.Items,14:0.0}");
        }
        if (results.Count > 1)
        {
            var (first, last) = (results[0], results[^1]);
            Console.WriteLine($"peak RSS at {last.Items} items / at {first.Items} items: {(double)last.Run.PeakRssKib / first.Run.PeakRssKib:0.00}x");
        }
    }
}
