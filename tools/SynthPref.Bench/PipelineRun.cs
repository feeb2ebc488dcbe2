using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using SynthPref.FakeLlm;

namespace SynthPref.Bench;

public readonly record struct StorageCounts(long Blob, long Queue, long Table)
{
    public long Total => Blob + Queue + Table;
    public static StorageCounts operator -(StorageCounts a, StorageCounts b) => new(a.Blob - b.Blob, a.Queue - b.Queue, a.Table - b.Table);
}

public readonly record struct CpuUsage(TimeSpan Host, TimeSpan Blob, TimeSpan Queue, TimeSpan Table, TimeSpan Bench, MachineCpu Machine)
{
    public TimeSpan Azurite => Blob + Queue + Table;

    /// <summary>CPU the rest of the machine used meanwhile (other work on the box skews the figures).</summary>
    public TimeSpan Others => Machine.Busy - Host - Azurite - Bench;

    public static CpuUsage operator -(CpuUsage a, CpuUsage b) =>
        new(a.Host - b.Host, a.Blob - b.Blob, a.Queue - b.Queue, a.Table - b.Table, a.Bench - b.Bench, a.Machine - b.Machine);
}

/// <summary>The whole machine's CPU time over all cores, from /proc/stat: Busy is everything but idle, iowait and
/// steal; Stolen is the time the hypervisor ran other guests while this one had work, which no process here used but
/// which slows every process here, so a run with much of it was not taken on a quiet machine.</summary>
public readonly record struct MachineCpu(TimeSpan Busy, TimeSpan Stolen)
{
    public static MachineCpu Now()
    {
        var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        long Field(int i) => i < cpu.Length ? long.Parse(cpu[i]) : 0;
        static TimeSpan Ticks(long t) => TimeSpan.FromSeconds(t / 100.0);
        return new(Ticks(Field(1) + Field(2) + Field(3) + Field(6) + Field(7)), Ticks(Field(8)));
    }

    public static MachineCpu operator -(MachineCpu a, MachineCpu b) => new(a.Busy - b.Busy, a.Stolen - b.Stolen);
}

/// <summary>One status poll: when, the run's status (Phase is its status field), the host's resident set and its peak
/// so far (KiB), and the storage requests so far (counted from Azurite's access logs when asked: reading them costs).</summary>
public sealed record RunPoll(TimeSpan Elapsed, string Phase, JsonObject Status, long RssKib, long PeakRssKib, Func<StorageCounts> Requests);

public sealed record HistoryCounts(int Rows, int OrchestratorStarted, int Executions);

/// <summary>A review phase for the run: <paramref name="SampleSize"/> items, each labelled by
/// <paramref name="ReviewersPerItem"/> distinct reviewers, so the phase ends on its own after SampleSize × ReviewersPerItem labels.</summary>
public sealed record ReviewPlan(int SampleSize, int ReviewersPerItem, int Parallelism)
{
    public int Labels => SampleSize * ReviewersPerItem;
}

/// <summary>What the review phase came to: labels posted and accepted (202), how long posting them took, the history
/// rows when the phase opened (before any label), and the votes the report counted.</summary>
public sealed record LabelPhase(int Posted, int Accepted, TimeSpan Wall, HistoryCounts HistoryAtOpen, int ReportVotes);

public sealed record PipelineResult(
    string RunId,
    TimeSpan Wall,
    int Pairs,
    int FailedItems,
    long JudgeCalls,
    long PeakInFlight,
    long PeakRssKib,
    HistoryCounts History,
    StorageCounts Storage,
    int StatusPolls,
    StorageCounts CalibrationRequests,
    int CalibrationPolls,
    CpuUsage Cpu,
    JudgeLoad JudgeLoad,
    IReadOnlyList<TimeSpan> QueueStalls,
    LabelPhase? Labels = null,
    JsonObject? Report = null)
{
    /// <summary>Storage requests the bench's own status polls caused during the run (estimated from the calibration polls).</summary>
    public (double Blob, double Queue, double Table, double Total) PollRequests
    {
        get
        {
            double Scale(long calibrated) => (double)calibrated * StatusPolls / CalibrationPolls;
            var (b, q, t) = (Scale(CalibrationRequests.Blob), Scale(CalibrationRequests.Queue), Scale(CalibrationRequests.Table));
            return (b, q, t, b + q + t);
        }
    }
}

/// <summary>
/// One SynthPref run on a fresh set of Azurite processes and a fresh local host (child processes), timed from
/// POST /api/runs to status Completed.
/// </summary>
public sealed class PipelineRun(string repoRoot, FakeOpenAiServer llm, int concurrency, bool swap, string logDir,
    IReadOnlyList<string> hostSettings)
{
    const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    const string HubName = "bench";
    const int CalibrationPolls = 20;
    static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan RunDeadline = TimeSpan.FromHours(1);

    /// <param name="batch">The run's batch option (null: the host's setting).</param>
    /// <param name="keepReport">Read the run's report.json once it has completed.</param>
    /// <param name="viaBlob">Upload the items as a JSONL blob and start the run from it (inputBlob), as a large input
    /// is started, instead of sending them inline.</param>
    /// <param name="extraOptions">More run options (e.g. trustTarget), beside the bench's own.</param>
    /// <param name="observe">Called at every status poll, with the status and the host's memory.</param>
    public async Task<PipelineResult> RunAsync(IReadOnlyList<BenchItem> items, CancellationToken ct, ReviewPlan? review = null, bool? batch = null,
        bool keepReport = false, bool viaBlob = false, IReadOnlyDictionary<string, object?>? extraOptions = null, Action<RunPoll>? observe = null)
    {
        Directory.CreateDirectory(logDir);
        var bin = Path.Combine(repoRoot, "node_modules", ".bin");
        var hostDll = Environment.GetEnvironmentVariable("SYNTHPREF_BENCH_HOST_DLL") is { Length: > 0 } published
            ? published
            : Path.Combine(repoRoot, "SynthPref.Local", "bin", "Release", "net10.0", "SynthPref.Local.dll");
        if (!File.Exists(Path.Combine(bin, "azurite-blob")))
            throw new BenchException($"Azurite is not installed in {bin}: run 'npm ci' in {repoRoot}.");
        if (!File.Exists(hostDll))
            throw new BenchException($"{hostDll} is missing: build the solution in Release first.");

        var (blobPort, queuePort, tablePort, hostPort) = (Ports.Free(), Ports.Free(), Ports.Free(), Ports.Free());
        using var blob = StartAzurite(bin, "blob", blobPort);
        using var queue = StartAzurite(bin, "queue", queuePort);
        using var table = StartAzurite(bin, "table", tablePort);
        foreach (var (service, port) in new[] { (blob, blobPort), (queue, queuePort), (table, tablePort) })
            await Ports.WaitOpenAsync(port, service, TimeSpan.FromSeconds(60), ct);

        var storage =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queuePort}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{tablePort}/devstoreaccount1;";
        var hostUrl = $"http://127.0.0.1:{hostPort}";
        using var host = ChildProcess.Start("SynthPref.Local", "dotnet", [hostDll, "--urls", hostUrl, .. hostSettings.Select(s => "--" + s)], Path.Combine(logDir, "host.log"),
            new Dictionary<string, string>
            {
                ["AzureWebJobsStorage"] = storage,
                ["Llm__Provider"] = "OpenAICompatible",
                ["Llm__Endpoint"] = llm.BaseUrl.ToString().TrimEnd('/'),
                ["Llm__Model"] = "fake-judge",
                // The user's own settings (the judge and how many calls it takes at once) and the hub's name, which the
                // history count reads; everything else is the host's default, as a user gets it.
                ["Llm__MaxConcurrency"] = concurrency.ToString(),
                ["DurableTask__HubName"] = HubName,
            },
            workingDirectory: Path.GetDirectoryName(hostDll));

        using var http = new HttpClient { BaseAddress = new Uri(hostUrl), Timeout = TimeSpan.FromMinutes(5) };
        await WaitHealthyAsync(http, host, ct);

        // Uploaded before the snapshot: the run is measured from its start, as with inline items.
        var inputBlob = viaBlob ? await UploadAsync(storage, $"bench-{items.Count}-{Guid.NewGuid():N}.jsonl", items, ct) : null;

        // Everything is up and idle: snapshot, then start the clock at the POST.
        CpuUsage Cpu() => new(host.CpuTime(), blob.CpuTime(), queue.CpuTime(), table.CpuTime(),
            Process.GetCurrentProcess().TotalProcessorTime, MachineCpu.Now());
        StorageCounts Lines() => new(blob.LogLines(), queue.LogLines(), table.LogLines());
        llm.ResetCounters();
        var linesBefore = Lines();
        var cpuBefore = Cpu();

        var watch = Stopwatch.StartNew();
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sampler = JudgeSampler.RunAsync(llm, concurrency, watch, Path.Combine(logDir, "judge-timeline.csv"), sampling.Token);
        var options = new Dictionary<string, object?>
        {
            ["swapPositions"] = swap,
            ["critiqueRevise"] = false,
            ["reviewSampleSize"] = review?.SampleSize ?? 0,
            ["minReviewsPerItem"] = review?.ReviewersPerItem ?? 1,
            ["maxReviewersPerItem"] = Math.Max(review?.ReviewersPerItem ?? 1, 50),
            ["batch"] = batch,
        };
        foreach (var (key, value) in extraOptions ?? new Dictionary<string, object?>()) options[key] = value;
        using var post = await http.PostAsJsonAsync("/api/runs", new Dictionary<string, object?>
        {
            ["name"] = $"bench-{items.Count}",
            [viaBlob ? "inputBlob" : "items"] = viaBlob ? inputBlob : items,
            ["options"] = options,
        }, ct);
        if (!post.IsSuccessStatusCode)
            throw new BenchException($"POST /api/runs answered {(int)post.StatusCode}: {await post.Content.ReadAsStringAsync(ct)}");
        var started = await post.Content.ReadFromJsonAsync<JsonObject>(ct);
        var runId = started?["runId"]?.GetValue<string>() ?? throw new BenchException("POST /api/runs answered without a runId");
        var reviewToken = started?["reviewToken"]?.GetValue<string>() ?? "";
        LabelPhase? labels = null;

        JsonObject status;
        var polls = 0;
        while (true)
        {
            await Task.Delay(PollInterval, ct);
            if (host.HasExited)
                throw new BenchException($"SynthPref.Local exited with {host.ExitCode} during run {runId}:\n{host.LogTail()}");
            status = await GetStatusAsync(http, runId, ct);
            polls++;
            var phase = status["status"]?.GetValue<string>();
            if (observe is not null && !host.HasExited)
                observe(new RunPoll(watch.Elapsed, phase ?? "", status, host.ReadStatusKib("VmRSS"), host.PeakRssKib(), Lines));
            if (phase == "Completed") break;
            if (phase == "AwaitingReview" && review is not null && labels is null)
                labels = await LabelAsync(http, storage, runId, reviewToken, review, ct);
            if (phase == "Failed")
                throw new BenchException($"Run {runId} failed after {watch.Elapsed.TotalSeconds:0.0} s: {status["error"]}\n{host.LogTail()}");
            if (watch.Elapsed > RunDeadline)
                throw new BenchException($"Run {runId} was still {phase} after {RunDeadline.TotalMinutes:0} minutes: {status.ToJsonString()}");
        }
        watch.Stop();
        await sampling.CancelAsync();
        var judgeLoad = await sampler;

        var judgeCalls = llm.ChatRequests;
        var peakInFlight = llm.PeakInFlight;
        var cpu = Cpu() - cpuBefore;
        var lines = Lines() - linesBefore;
        var peakRss = host.PeakRssKib();

        // What one status poll costs in storage requests, so the bench's own polling can be told apart.
        var calibrationStart = Lines();
        for (var i = 0; i < CalibrationPolls; i++)
            await GetStatusAsync(http, runId, ct);
        var perPoll = Lines() - calibrationStart;

        var queueStalls = AccessLogStalls.Find(queue.LogLinesFrom(linesBefore.Queue).Take((int)lines.Queue));
        var history = await CountHistoryAsync(storage, runId, ct);
        var progress = status["progress"];
        return new PipelineResult(
            runId,
            watch.Elapsed,
            Pairs: progress?["pairsWritten"]?.GetValue<int>() ?? -1,
            FailedItems: progress?["failedItems"]?.GetValue<int>() ?? -1,
            judgeCalls,
            peakInFlight,
            peakRss,
            history,
            lines,
            polls,
            perPoll,
            CalibrationPolls,
            cpu,
            judgeLoad,
            queueStalls,
            labels is null ? null : labels with { ReportVotes = await ReportVotesAsync(http, runId, ct) },
            keepReport ? await http.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/report", ct) : null);
    }

    /// <summary>The items as a JSONL blob in synthpref-uploads, written as a stream; the run's inputBlob.</summary>
    static async Task<string> UploadAsync(string storage, string name, IReadOnlyList<BenchItem> items, CancellationToken ct)
    {
        var container = new Azure.Storage.Blobs.BlobContainerClient(storage, "synthpref-uploads");
        await container.CreateIfNotExistsAsync(cancellationToken: ct);
        await using (var stream = await container.GetBlobClient(name).OpenWriteAsync(overwrite: true, cancellationToken: ct))
        {
            foreach (var item in items)
            {
                await JsonSerializer.SerializeAsync(stream, item, cancellationToken: ct);
                stream.WriteByte((byte)'\n');
            }
        }
        return $"synthpref-uploads/{name}";
    }

    /// <summary>Every sampled item labelled by ReviewersPerItem reviewers over HTTP, as reviewers would, with the review
    /// token in its header; the phase then ends by itself.</summary>
    static async Task<LabelPhase> LabelAsync(HttpClient http, string storage, string runId, string token, ReviewPlan plan, CancellationToken ct)
    {
        var atOpen = await CountHistoryAsync(storage, runId, ct);
        using var itemsRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/review-items");
        itemsRequest.Headers.Add("X-Review-Token", token);
        using var itemsResponse = await http.SendAsync(itemsRequest, ct);
        if (!itemsResponse.IsSuccessStatusCode)
            throw new BenchException($"GET review-items answered {(int)itemsResponse.StatusCode}: {await itemsResponse.Content.ReadAsStringAsync(ct)}");
        var itemIds = (await itemsResponse.Content.ReadFromJsonAsync<JsonArray>(ct))!.Select(i => i!["itemId"]!.GetValue<string>()).ToList();
        // Reviewer by reviewer, as people work through a sample: labels posted together are on different items.
        var labels = Enumerable.Range(0, plan.ReviewersPerItem).SelectMany(r => itemIds.Select(id => (Item: id, Reviewer: $"reviewer-{r}"))).ToList();
        var preferences = new[] { "first", "second", "tie" };
        var accepted = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(labels.Select((l, i) => (l.Item, l.Reviewer, Index: i)),
            new ParallelOptions { MaxDegreeOfParallelism = plan.Parallelism, CancellationToken = ct }, async (label, token2) =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/reviews")
                {
                    Content = JsonContent.Create(new { itemId = label.Item, reviewer = label.Reviewer, preference = preferences[label.Index % 3] }),
                };
                request.Headers.Add("X-Review-Token", token);
                using var response = await http.SendAsync(request, token2);
                if ((int)response.StatusCode == 202) Interlocked.Increment(ref accepted);
                else
                    throw new BenchException($"POST reviews answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(token2)}");
            });
        return new LabelPhase(labels.Count, accepted, watch.Elapsed, atOpen, ReportVotes: -1);
    }

    static async Task<int> ReportVotesAsync(HttpClient http, string runId, CancellationToken ct)
    {
        var report = await http.GetFromJsonAsync<JsonObject>($"/api/runs/{runId}/report", ct)
            ?? throw new BenchException($"GET /api/runs/{runId}/report answered nothing");
        return report["agreement"]?["overall"]?["votes"]?.GetValue<int>() ?? -1;
    }

    // The queue service keeps its data on disk, not in memory: Azurite's in-memory store makes one extent per queue
    // message, and its 60-s garbage collector then removes them one linear scan at a time, stalling the queue service
    // for tens of seconds on long runs (no Azure account does that). Its file store packs messages into shared extents.
    // Blob and table stay in memory, where Azurite does not rewrite its whole database every 5 s as it does on disk.
    ChildProcess StartAzurite(string bin, string service, int port) =>
        ChildProcess.Start($"azurite-{service}", Path.Combine(bin, $"azurite-{service}"),
            [
                $"--{service}Host", "127.0.0.1", $"--{service}Port", port.ToString(),
                .. service == "queue"
                    ? new[] { "--location", Directory.CreateDirectory(Path.Combine(logDir, "azurite-queue-data")).FullName }
                    : ["--inMemoryPersistence"],
                "--skipApiVersionCheck", "--loose",
            ],
            Path.Combine(logDir, $"azurite-{service}.log"),
            // Azurite holds every entity in its JavaScript heap (about 8 KB per row here, a pair or a cached answer):
            // a 200,000-item run needs more than Node's default limit of about 4 GB.
            environment: new Dictionary<string, string> { ["NODE_OPTIONS"] = "--max-old-space-size=16384" },
            workingDirectory: logDir);

    static async Task WaitHealthyAsync(HttpClient http, ChildProcess host, CancellationToken ct)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        var last = "";
        while (DateTime.UtcNow < until)
        {
            if (host.HasExited)
                throw new BenchException($"SynthPref.Local exited with {host.ExitCode} before it was healthy:\n{host.LogTail()}");
            try
            {
                using var response = await http.GetAsync("/api/health", ct);
                if (response.IsSuccessStatusCode) return;
                last = $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(200, ct);
        }
        throw new BenchException($"SynthPref.Local was not healthy within 120 s (last: {last}):\n{host.LogTail()}");
    }

    static async Task<JsonObject> GetStatusAsync(HttpClient http, string runId, CancellationToken ct)
    {
        using var response = await http.GetAsync($"/api/runs/{runId}", ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
            throw new BenchException($"GET /api/runs/{runId} answered {(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body) as JsonObject ?? throw new BenchException($"GET /api/runs/{runId} answered {body}");
    }

    /// <summary>Rows of the task hub's History table for the run's instance (PartitionKey = instance id = run id).</summary>
    static async Task<HistoryCounts> CountHistoryAsync(string storage, string runId, CancellationToken ct)
    {
        var table = new TableClient(storage, $"{HubName}History");
        int rows = 0, started = 0;
        var executions = new HashSet<string>();
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey eq '{runId.Replace("'", "''")}'",
                           select: ["PartitionKey", "RowKey", "EventType", "ExecutionId"], cancellationToken: ct))
        {
            rows++;
            if (row.GetString("EventType") == "OrchestratorStarted") started++;
            if (row.GetString("ExecutionId") is { } execution) executions.Add(execution);
        }
        return new HistoryCounts(rows, started, executions.Count);
    }
}

/// <summary>How busy the fake judge was during the run: calls in flight, sampled every 50 ms.</summary>
public sealed record JudgeLoad(int Samples, double MeanInFlight, double IdleShare, double SaturatedShare, TimeSpan FirstCall, TimeSpan LastCall);

static class JudgeSampler
{
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>Samples until cancelled; writes the timeline (seconds since the POST, calls in flight, calls so far) to a CSV file.</summary>
    public static async Task<JudgeLoad> RunAsync(FakeOpenAiServer llm, int concurrency, Stopwatch clock, string csvPath, CancellationToken ct)
    {
        await Task.Yield();
        var timeline = new System.Text.StringBuilder("seconds,in_flight,calls\n");
        int samples = 0, idle = 0, saturated = 0;
        double sum = 0;
        TimeSpan? first = null;
        var last = TimeSpan.Zero;
        var lastCalls = 0L;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var inFlight = llm.InFlight;
                var calls = llm.ChatRequests;
                var at = clock.Elapsed;
                samples++;
                sum += inFlight;
                if (inFlight == 0) idle++;
                if (inFlight >= concurrency) saturated++;
                if (calls > 0) first ??= at;
                if (calls != lastCalls) last = at;
                lastCalls = calls;
                timeline.Append(System.FormattableString.Invariant($"{at.TotalSeconds:0.00},{inFlight},{calls}\n"));
            }
        }
        catch (OperationCanceledException)
        {
        }
        await File.WriteAllTextAsync(csvPath, timeline.ToString(), CancellationToken.None);
        return samples == 0
            ? new JudgeLoad(0, 0, 0, 0, TimeSpan.Zero, TimeSpan.Zero)
            : new JudgeLoad(samples, sum / samples, (double)idle / samples, (double)saturated / samples, first ?? TimeSpan.Zero, last);
    }
}

/// <summary>
/// Stretches of the run in which Azurite answered no request at all, read from its access log (1 s resolution).
/// The host polls every control queue and the work-item queue at least once a second, so a silent queue log for
/// more than 2 s means Azurite was not answering: its queue service runs a blocking extent mark-and-sweep 60 s after
/// the previous one ended (DEFAULT_GC_INTERVAL_MS), which grows with the messages it has seen.
/// </summary>
static partial class AccessLogStalls
{
    static readonly TimeSpan Threshold = TimeSpan.FromSeconds(2);

    public static IReadOnlyList<TimeSpan> Find(IEnumerable<string> lines)
    {
        var stalls = new List<TimeSpan>();
        DateTime? previous = null;
        foreach (var line in lines)
        {
            var match = Stamp().Match(line);
            if (!match.Success) continue;
            var at = DateTime.ParseExact(match.Groups[1].Value, "dd/MMM/yyyy:HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            if (previous is { } p && at - p > Threshold)
                stalls.Add(at - p - TimeSpan.FromSeconds(1)); // the neighbouring seconds were partly busy
            if (previous is null || at > previous) previous = at;
        }
        return stalls;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\[(\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2}) [+-]\d{4}\]")]
    private static partial System.Text.RegularExpressions.Regex Stamp();
}
