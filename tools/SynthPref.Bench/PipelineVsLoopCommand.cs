using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Bench;

public sealed record SizeResult(int Items, int CallsNeeded, LoopResult Loop, PipelineResult Pipeline);

public static class PipelineVsLoopCommand
{
    public static Command Create()
    {
        var sizes = new Option<int[]>("--sizes")
        {
            Description = "Item counts to run, comma-separated",
            DefaultValueFactory = _ => [1000, 2000, 10000],
            CustomParser = ParseSizes,
        };
        var latency = new Option<int>("--latency-ms") { Description = "Fixed latency of each fake judge call", DefaultValueFactory = _ => 200 };
        var concurrency = new Option<int>("--concurrency") { Description = "Judge calls in flight (loop and host)", DefaultValueFactory = _ => 32 };
        var swap = new Option<bool>("--swap") { Description = "Judge both orders, 2 calls per item (default true; --swap false for 1)", DefaultValueFactory = _ => true };
        var repoRoot = new Option<DirectoryInfo?>("--repo-root") { Description = "The repository (default: the folder holding SynthPref.sln, found upward)" };
        var keepLogs = new Option<DirectoryInfo?>("--keep-logs") { Description = "Keep the host and Azurite logs of each size in this folder" };
        var hostSettings = new Option<string[]>("--host-setting")
        {
            Description = "Extra configuration for the host as KEY=VALUE (repeatable), passed on its command line, " +
                          "e.g. Logging:LogLevel:Microsoft.DurableTask=Information",
            DefaultValueFactory = _ => [],
        };

        var command = new Command("pipeline-vs-loop", "Time SynthPref (Azurite + local host) against a plain Parallel.ForEachAsync loop of the same judge calls")
        {
            sizes, latency, concurrency, swap, repoRoot, keepLogs, hostSettings,
        };
        latency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0) result.AddError("--latency-ms must be 0 or more");
        });
        concurrency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1) result.AddError("--concurrency must be at least 1");
        });
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var root = parse.GetValue(repoRoot)?.FullName ?? FindRepoRoot();
                var settings = parse.GetValue(hostSettings) ?? [];
                if (settings.FirstOrDefault(x => !x.Contains('=')) is { } bad)
                    throw new BenchException($"--host-setting '{bad}' is not KEY=VALUE");
                await RunAsync(parse.GetValue(sizes)!, parse.GetValue(latency), parse.GetValue(concurrency), parse.GetValue(swap),
                    root, parse.GetValue(keepLogs)?.FullName, settings, ct);
                return 0;
            }
            catch (Exception e) when (ct.IsCancellationRequested)
            {
                // Ctrl-C kills the children at once, so whatever failed next is a consequence, not news.
                Console.Error.WriteLine($"bench cancelled ({e.GetType().Name})");
                return 130;
            }
            catch (BenchException e)
            {
                Console.Error.WriteLine($"bench failed: {e.Message}");
                return 1;
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"bench failed: {e}");
                return 1;
            }
        });
        return command;
    }

    static int[] ParseSizes(ArgumentResult result)
    {
        var sizes = new List<int>();
        foreach (var part in result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0) sizes.Add(n);
            else result.AddError($"--sizes: '{part}' is not a positive whole number");
        }
        if (sizes.Count == 0) result.AddError("--sizes needs at least one size");
        return [.. sizes];
    }

    public static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "SynthPref.sln")))
                    return dir.FullName;
        throw new BenchException("No SynthPref.sln above the current folder or the bench binaries: pass --repo-root.");
    }

    static async Task RunAsync(int[] sizes, int latencyMs, int concurrency, bool swap, string repoRoot, string? keepLogs,
        string[] hostSettings, CancellationToken ct)
    {
        var latency = TimeSpan.FromMilliseconds(latencyMs);
        Console.WriteLine($"pipeline-vs-loop: sizes {string.Join(", ", sizes)}; fake judge latency {latencyMs} ms; concurrency {concurrency}; " +
                          $"swap {(swap ? "on" : "off")}; {Environment.ProcessorCount} cores; repo {repoRoot}");

        await using var llm = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        llm.Latency = latency;
        llm.RecordRequests = false;

        var scratch = Path.Combine(Path.GetTempPath(), $"synthpref-bench-{Environment.ProcessId}");
        var results = new List<SizeResult>();
        try
        {
            foreach (var size in sizes)
            {
                ct.ThrowIfCancellationRequested();
                var items = SyntheticItems.Generate(size, seed: 1);
                var judgeCalls = swap ? size * 2 : size;
                var needed = judgeCalls + items.Count(i => ItemReference.Wanted(null, i.Category));

                Console.WriteLine();
                Console.WriteLine($"== {size} items: {needed} calls needed ({judgeCalls} judge calls, {needed - judgeCalls} reference answers) ==");
                llm.ResetCounters();
                var (machineBefore, ownBefore) = (MachineCpu.Now(), System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime);
                var loop = await PlainLoop.RunAsync(items, llm.BaseUrl, concurrency, swap, ct);
                var loopMachine = MachineCpu.Now() - machineBefore;
                var loopOthers = loopMachine.Busy - (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - ownBefore);
                if (loop.Calls != needed || loop.Unparseable > 0 || loop.Expected != judgeCalls)
                    throw new BenchException($"plain loop: {loop.Calls} calls of {needed}, {loop.Unparseable} unparseable, {loop.Expected} verdicts of {judgeCalls} as expected");
                Console.WriteLine($"plain loop   {loop.Wall.TotalSeconds,8:0.0} s  {loop.Calls} calls, {loop.Calls / loop.Wall.TotalSeconds:0.0} calls/s, " +
                                  $"peak {llm.PeakInFlight} in flight at the fake; every verdict as expected; " +
                                  $"other processes on the machine used {Math.Max(0, loopOthers.TotalSeconds):0.0} CPU s meanwhile, " +
                                  $"the hypervisor stole {loopMachine.Stolen.TotalSeconds:0.0}");

                var logDir = Path.Combine(keepLogs ?? scratch, $"size-{size}");
                if (Directory.Exists(logDir)) Directory.Delete(logDir, recursive: true);
                var pipeline = await new PipelineRun(repoRoot, llm, concurrency, swap, logDir, hostSettings).RunAsync(items, ct);
                if (pipeline.Pairs != size || pipeline.FailedItems != 0)
                    throw new BenchException($"run {pipeline.RunId}: {pipeline.Pairs} pairs of {size}, {pipeline.FailedItems} failed items");
                var result = new SizeResult(size, needed, loop, pipeline);
                results.Add(result);
                PrintBlock(result, latency, concurrency);
            }
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }

        PrintSummary(results, latency, concurrency);
        if (keepLogs is not null) Console.WriteLine($"logs kept in {keepLogs}");
    }

    static double Limit(long calls, TimeSpan latency, int concurrency) => calls * latency.TotalSeconds / concurrency;

    static void PrintBlock(SizeResult r, TimeSpan latency, int concurrency)
    {
        var p = r.Pipeline;
        var s = p.Storage;
        var polls = p.PollRequests;
        var wall = p.Wall.TotalSeconds;
        Console.WriteLine($"SynthPref    {wall,8:0.0} s  run {p.RunId} Completed: {p.Pairs} pairs, {p.FailedItems} failed items");
        Console.WriteLine($"  ratio SynthPref/loop {wall / r.Loop.Wall.TotalSeconds:0.00}x; physical limit {Limit(r.CallsNeeded, latency, concurrency):0.0} s " +
                          $"({r.CallsNeeded} calls x {latency.TotalMilliseconds:0} ms / {concurrency})");
        Console.WriteLine($"  calls made {p.JudgeCalls} of {r.CallsNeeded} needed; {p.JudgeCalls / wall:0.0} calls/s; peak {p.PeakInFlight} in flight at the fake");
        var load = p.JudgeLoad;
        Console.WriteLine($"  fake judge load (50 ms samples): mean {load.MeanInFlight:0.0} of {concurrency} in flight ({load.MeanInFlight / concurrency:P0}); " +
                          $"nothing in flight {load.IdleShare:P0} of the time; all {concurrency} in flight {load.SaturatedShare:P0}; " +
                          $"first call at {load.FirstCall.TotalSeconds:0.0} s, last new call at {load.LastCall.TotalSeconds:0.0} s");
        var stalled = TimeSpan.FromTicks(p.QueueStalls.Sum(x => x.Ticks));
        Console.WriteLine(p.QueueStalls.Count == 0
            ? "  Azurite queue: no stall (no silent stretch over 2 s in its access log)"
            : $"  Azurite queue stalls (silent access log, its 60-s extent GC): {p.QueueStalls.Count}, about {stalled.TotalSeconds:0} s " +
              $"({string.Join(", ", p.QueueStalls.Select(x => x.TotalSeconds.ToString("0")))} s); wall without them about {(p.Wall - stalled).TotalSeconds:0} s");
        Console.WriteLine($"  host peak RSS {p.PeakRssKib / 1024.0:0} MiB");
        Console.WriteLine($"  history rows {p.History.Rows} (OrchestratorStarted {p.History.OrchestratorStarted}, executions {p.History.Executions})");
        Console.WriteLine($"  storage requests {s.Total} = blob {s.Blob} + queue {s.Queue} + table {s.Table}; " +
                          $"{(double)s.Total / r.Items:0.0} per item (blob {(double)s.Blob / r.Items:0.00}, queue {(double)s.Queue / r.Items:0.00}, table {(double)s.Table / r.Items:0.00})");
        Console.WriteLine($"    of which the bench's {p.StatusPolls} status polls ~{polls.Total:0} " +
                          $"({(double)p.CalibrationRequests.Total / p.CalibrationPolls:0.0} requests per poll); without them {(s.Total - polls.Total) / r.Items:0.0} per item");
        var cpu = p.Cpu;
        Console.WriteLine($"  CPU during the run (s): host {cpu.Host.TotalSeconds:0.0}, azurite {cpu.Azurite.TotalSeconds:0.0} " +
                          $"(blob {cpu.Blob.TotalSeconds:0.0}, queue {cpu.Queue.TotalSeconds:0.0}, table {cpu.Table.TotalSeconds:0.0}), " +
                          $"bench+fake {cpu.Bench.TotalSeconds:0.0}; {Environment.ProcessorCount} cores x {wall:0.0} s = {Environment.ProcessorCount * wall:0.0} available " +
                          $"({(cpu.Host + cpu.Azurite + cpu.Bench).TotalSeconds / (Environment.ProcessorCount * wall):P0} busy); " +
                          $"other processes on the machine {Math.Max(0, cpu.Others.TotalSeconds):0.0}; stolen by the hypervisor {cpu.Machine.Stolen.TotalSeconds:0.0}");
    }

    static void PrintSummary(List<SizeResult> results, TimeSpan latency, int concurrency)
    {
        Console.WriteLine();
        Console.WriteLine($"== summary (latency {latency.TotalMilliseconds:0} ms, concurrency {concurrency}) ==");
        string[] header =
        [
            "items", "calls needed", "calls made", "loop s", "SynthPref s", "queue stalls s", "ratio", "limit s", "calls/s", "RSS MiB", "history rows",
            "storage/item", "blob/item", "queue/item", "table/item",
        ];
        var rows = results.Select(r =>
        {
            var p = r.Pipeline;
            double Per(long n) => (double)n / r.Items;
            return new[]
            {
                r.Items.ToString(), r.CallsNeeded.ToString(), p.JudgeCalls.ToString(),
                r.Loop.Wall.TotalSeconds.ToString("0.0"), p.Wall.TotalSeconds.ToString("0.0"),
                p.QueueStalls.Sum(x => x.TotalSeconds).ToString("0"),
                (p.Wall / r.Loop.Wall).ToString("0.00") + "x", Limit(r.CallsNeeded, latency, concurrency).ToString("0.0"),
                (p.JudgeCalls / p.Wall.TotalSeconds).ToString("0.0"), (p.PeakRssKib / 1024.0).ToString("0"), p.History.Rows.ToString(),
                Per(p.Storage.Total).ToString("0.0"), Per(p.Storage.Blob).ToString("0.0"), Per(p.Storage.Queue).ToString("0.0"), Per(p.Storage.Table).ToString("0.0"),
            };
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        string Line(string[] cells) => string.Join("  ", cells.Select((c, i) => c.PadLeft(widths[i])));
        Console.WriteLine(Line(header));
        foreach (var row in rows) Console.WriteLine(Line(row));
        Console.WriteLine("(storage requests include the bench's own status polls every 100 ms; each block above gives the estimate without them)");

        if (results.Count >= 2)
        {
            var small = results.MinBy(r => r.Items)!;
            var large = results.MaxBy(r => r.Items)!;
            Console.WriteLine($"scaling: SynthPref wall {large.Items} / {small.Items} items = {large.Pipeline.Wall / small.Pipeline.Wall:0.00}x " +
                              $"for {(double)large.Items / small.Items:0.00}x the items (plain loop {large.Loop.Wall / small.Loop.Wall:0.00}x)");
        }
    }
}
