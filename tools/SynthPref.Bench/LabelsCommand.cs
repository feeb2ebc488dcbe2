using System.CommandLine;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Bench;

/// <summary>
/// Labels stay out of the orchestration: one run reviewed with 10 labels and one with 10,000 should leave the same
/// history behind. Each size is a fresh Azurite and host; items are judged by an instant fake judge, then every
/// sampled item gets its labels over the review API, and the phase ends by itself on the last one.
/// </summary>
public static class LabelsCommand
{
    public static Command Create()
    {
        var reviewers = new Option<int>("--reviewers") { Description = "Distinct reviewers per item in the large run", DefaultValueFactory = _ => 5 };
        var labels = new Option<int>("--labels") { Description = "Labels in the large run (a multiple of --reviewers)", DefaultValueFactory = _ => 10_000 };
        var parallelism = new Option<int>("--parallelism") { Description = "Labels posted at once", DefaultValueFactory = _ => 16 };
        var command = new Command("labels", "History rows of a run reviewed with 10 labels against one reviewed with many") { reviewers, labels, parallelism };
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                await RunAsync(parse.GetValue(reviewers), parse.GetValue(labels), parse.GetValue(parallelism), ct);
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

    static async Task RunAsync(int reviewers, int labels, int parallelism, CancellationToken ct)
    {
        if (reviewers < 1 || labels < reviewers || labels % reviewers != 0)
            throw new BenchException("--labels must be a positive multiple of --reviewers");
        var root = PipelineVsLoopCommand.FindRepoRoot();
        await using var llm = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        llm.RecordRequests = false;
        // Reviewers post as fast as the bench can: the per-link rate limit would otherwise be what is measured.
        string[] settings = ["Reviews:RateLimitPerSecond=100000", "Reviews:RateLimitBurst=100000", "Reviews:RateLimitQueue=100000"];
        var scratch = Path.Combine(Path.GetTempPath(), $"synthpref-labels-{Environment.ProcessId}");
        Console.WriteLine($"labels: a run reviewed with 10 labels, then one with {labels} ({labels / reviewers} items x {reviewers} reviewers); " +
                          $"{parallelism} labels posted at once; instant fake judge");
        var rows = new List<(ReviewPlan Plan, PipelineResult Result)>();
        try
        {
            foreach (var plan in new[] { new ReviewPlan(10, 1, parallelism), new ReviewPlan(labels / reviewers, reviewers, parallelism) })
            {
                var items = SyntheticItems.Generate(plan.SampleSize, seed: 1);
                var run = new PipelineRun(root, llm, concurrency: 32, swap: true, Path.Combine(scratch, $"labels-{plan.Labels}"), settings);
                var result = await run.RunAsync(items, ct, plan);
                var phase = result.Labels ?? throw new BenchException($"run {result.RunId} completed without opening its review");
                if (phase.Accepted != plan.Labels || phase.ReportVotes != plan.Labels)
                    throw new BenchException($"run {result.RunId}: {phase.Accepted} of {plan.Labels} labels accepted, {phase.ReportVotes} counted by the report");
                rows.Add((plan, result));
            }
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }

        Console.WriteLine();
        Console.WriteLine(" labels  accepted  report votes  history rows at review open  history rows at end  rows added by review  labels/s  host RSS MiB");
        foreach (var (plan, r) in rows)
        {
            var phase = r.Labels!;
            Console.WriteLine($"{plan.Labels,7}  {phase.Accepted,8}  {phase.ReportVotes,12}  {phase.HistoryAtOpen.Rows,27}  {r.History.Rows,19}  " +
                              $"{r.History.Rows - phase.HistoryAtOpen.Rows,20}  {plan.Labels / phase.Wall.TotalSeconds,8:0}  {r.PeakRssKib / 1024.0,12:0}");
        }
    }
}
