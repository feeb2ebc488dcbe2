using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Bench;

/// <summary>
/// The same items judged twice on fresh Azurite and a fresh host each: live, call by call through a fake judge with a
/// fixed latency, and through the fake's Batch API with zero processing time, so what the batch run's wall time shows
/// is SynthPref's own cost of the batch phase (collecting passes, files, polls, ingest) and of judging from the cache.
/// Both hosts price the judge's model, so the estimated costs set batch prices against live ones.
/// </summary>
public static class BatchCommand
{
    public static Command Create()
    {
        var items = new Option<int>("--items") { Description = "Items in each run", DefaultValueFactory = _ => 2000 };
        var latency = new Option<int>("--latency-ms") { Description = "Fixed latency of each live fake judge call", DefaultValueFactory = _ => 200 };
        var concurrency = new Option<int>("--concurrency") { Description = "Live judge calls in flight", DefaultValueFactory = _ => 32 };
        var poll = new Option<int>("--poll-seconds") { Description = "Llm:BatchPollSeconds of the batch run's host", DefaultValueFactory = _ => 1 };
        var command = new Command("batch", "A run through the fake Batch API against the same run live: wall time, storage, history and estimated cost")
        {
            items, latency, concurrency, poll,
        };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                await RunAsync(parse.GetValue(items), parse.GetValue(latency), parse.GetValue(concurrency), parse.GetValue(poll), ct);
                return 0;
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"bench failed: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    static async Task RunAsync(int size, int latencyMs, int concurrency, int pollSeconds, CancellationToken ct)
    {
        var root = PipelineVsLoopCommand.FindRepoRoot();
        await using var llm = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        llm.Latency = TimeSpan.FromMilliseconds(latencyMs);
        llm.RecordRequests = false;
        llm.Batch.ProcessingTime = TimeSpan.Zero;
        // The judge's model is priced as gpt-4o is (USD per million tokens); batch prices default to half.
        string[] settings = ["Pricing:fake-judge:InputPerMillion=2.5", "Pricing:fake-judge:OutputPerMillion=10",
            $"Llm:BatchPollSeconds={pollSeconds.ToString(CultureInfo.InvariantCulture)}"];
        var scratch = Path.Combine(Path.GetTempPath(), $"synthpref-batch-{Environment.ProcessId}");
        Console.WriteLine($"batch: {size} items judged in both orders, live (fake latency {latencyMs} ms, concurrency {concurrency}) and through the " +
                          $"fake Batch API (processing time 0, first poll after {pollSeconds} s); {Environment.ProcessorCount} cores");
        var benchItems = SyntheticItems.Generate(size, seed: 1);
        try
        {
            var live = await new PipelineRun(root, llm, concurrency, swap: true, Path.Combine(scratch, "live"), settings)
                .RunAsync(benchItems, ct, batch: false, keepReport: true);
            var batchesBefore = llm.Batch.Batches.Count;
            var batched = await new PipelineRun(root, llm, concurrency, swap: true, Path.Combine(scratch, "batch"), settings)
                .RunAsync(benchItems, ct, batch: true, keepReport: true);
            foreach (var run in new[] { live, batched })
                if (run.Pairs != size || run.FailedItems != 0)
                    throw new BenchException($"run {run.RunId}: {run.Pairs} pairs of {size}, {run.FailedItems} failed items");

            var report = batched.Report!["batch"]!;
            Console.WriteLine();
            Console.WriteLine(" run    wall s  live calls  batches  batch requests  answered by batch  cycles  history rows  storage/item  blob/item  queue/item  table/item  RSS MiB  estimated cost  at live prices");
            foreach (var (name, r) in new[] { ("live", live), ("batch", batched) })
            {
                var cost = r.Report!["cost"]!["estimated"]!;
                var batch = r.Report!["batch"] as JsonObject;
                double Per(long n) => (double)n / size;
                Console.WriteLine($"{name,-5} {r.Wall.TotalSeconds,8:0.0}  {r.JudgeCalls,10}  {(batch is null ? "-" : (llm.Batch.Batches.Count - batchesBefore).ToString()),7}  " +
                                  $"{(batch is null ? "-" : batch["requestsSent"]!.ToString()),14}  {(batch is null ? "-" : batch["answeredByBatch"]!.ToString()),17}  " +
                                  $"{(batch is null ? "-" : batch["cycles"]!.ToString()),6}  {r.History.Rows,12}  {Per(r.Storage.Total),12:0.0}  {Per(r.Storage.Blob),9:0.00}  " +
                                  $"{Per(r.Storage.Queue),10:0.00}  {Per(r.Storage.Table),10:0.00}  {r.PeakRssKib / 1024.0,7:0}  {cost["total"],14}  {cost["atLivePrices"],14}");
            }
            var liveTotal = live.Report!["cost"]!["estimated"]!["total"]!.GetValue<decimal>();
            var batchTotal = batched.Report!["cost"]!["estimated"]!["total"]!.GetValue<decimal>();
            Console.WriteLine($"estimated cost: batch {batchTotal:0.0000} against live {liveTotal:0.0000} USD, saving {liveTotal - batchTotal:0.0000} " +
                              $"({(liveTotal == 0 ? 0 : (liveTotal - batchTotal) / liveTotal):P0}); batch phase ended by {report["endedBy"]}; " +
                              $"live judge calls during the batch run: {batched.JudgeCalls}");
            Console.WriteLine("(storage requests include the bench's own status polls every 100 ms)");
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }
}
