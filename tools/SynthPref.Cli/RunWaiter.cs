using Spectre.Console;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Cli;

/// <summary>
/// Follows a run through loading, judging and review to its end: a live progress bar on a terminal, one line per
/// change otherwise (a log, a CI job). Progress goes to standard error, so standard output keeps only results.
/// </summary>
/// <param name="log">Where the plain lines go when <paramref name="progress"/> is not a terminal: written as they are,
/// never wrapped to a console width.</param>
public sealed class RunWaiter(SynthPrefClient client, IAnsiConsole progress, TextWriter log, TimeSpan? pollInterval = null)
{
    /// <summary>How long the host may be unreachable while a run is followed (a restart, say) before giving up.</summary>
    static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    readonly TimeSpan interval = pollInterval ?? TimeSpan.FromSeconds(1);

    public async Task<RunStatusResponse> WaitAsync(string runId, CancellationToken ct)
    {
        // A bar redrawn in place only makes sense on a terminal; a log or a pipe gets lines.
        if (!progress.Profile.Capabilities.Interactive || !progress.Profile.Out.IsTerminal)
            return await WaitWithLinesAsync(runId, ct);

        RunStatusResponse? last = null;
        await progress.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var load = context.AddTask("Loading", maxValue: 1);
                var judge = context.AddTask("Judging", autoStart: false, maxValue: 1);
                var review = context.AddTask("Review", autoStart: false, maxValue: 1);
                var report = context.AddTask("Report", autoStart: false, maxValue: 1);
                ProgressTask[] steps = [load, judge, review, report];
                while (true)
                {
                    var status = await PollAsync(runId, ct);
                    last = status;
                    Show(status, steps);
                    if (status.Status is RunStatus.Completed or RunStatus.Failed) return;
                    await Task.Delay(interval, ct);
                }
            });
        return last!;
    }

    /// <summary>Which step a status is in: loading, judging (and auditing), review, report, or done (4).</summary>
    static int Step(RunStatus status) => status switch
    {
        RunStatus.Pending or RunStatus.Loading => 0,
        RunStatus.Judging or RunStatus.Auditing => 1,
        RunStatus.AwaitingReview => 2,
        RunStatus.Reporting => 3,
        _ => 4,
    };

    static void Show(RunStatusResponse status, ProgressTask[] steps)
    {
        var p = status.Progress;
        var step = Step(status.Status);
        if (status.Status == RunStatus.Failed)
        {
            foreach (var task in steps.Where(t => t.IsStarted && !t.IsFinished))
            {
                task.Description = Markup.Escape(Plain(task.Description)) + " [red](failed)[/]";
                task.StopTask();
            }
            return;
        }
        for (var i = 0; i < steps.Length; i++)
        {
            var task = steps[i];
            if (i < step)
            {
                if (task.IsFinished) continue;
                if (!task.IsStarted) task.StartTask();
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.Description = i switch
                {
                    0 => "Loaded",
                    1 => $"Judged {p.Items:N0} items" + (p.FailedItems > 0 ? $", {p.FailedItems} failed" : ""),
                    2 => $"Reviewed: {status.Review?.Votes ?? p.Votes:N0} votes",
                    _ => "Report written",
                };
                task.StopTask();
                continue;
            }
            if (i > step) continue;
            if (!task.IsStarted) task.StartTask();
            switch (i)
            {
                case 0 when p.Loading is { TotalBytes: > 0 } loading:
                    task.MaxValue = loading.TotalBytes;
                    task.Value = loading.Bytes;
                    task.Description = $"Loading: {loading.Lines:N0} lines";
                    break;
                case 0:
                    task.IsIndeterminate = true;
                    task.Description = status.Status == RunStatus.Pending ? "Waiting to start" : "Loading";
                    break;
                case 1 when p.Items > 0:
                    task.IsIndeterminate = false;
                    task.MaxValue = p.Items;
                    task.Value = p.ItemsDone;
                    task.Description = status.Status == RunStatus.Auditing
                        ? "Judging done; auditing and sampling"
                        : $"Judging: {p.ItemsDone:N0} of {p.Items:N0} items" + (p.FailedItems > 0 ? $", {p.FailedItems} failed" : "");
                    break;
                case 1:
                    task.IsIndeterminate = true;
                    break;
                case 2:
                    var sampled = status.Review?.SampledItems ?? p.SampledItems;
                    task.IsIndeterminate = sampled == 0;
                    task.MaxValue = Math.Max(1, sampled);
                    task.Value = status.Review?.ItemsFullyReviewed ?? p.ItemsFullyReviewed;
                    task.Description = $"Review: {task.Value:N0} of {sampled:N0} items, {status.Review?.Votes ?? p.Votes:N0} votes" +
                                       (status.Review?.Round is > 1 ? $" (round {status.Review.Round})" : "") + " (open the review link)";
                    break;
                case 3:
                    task.IsIndeterminate = true;
                    task.Description = "Report";
                    break;
            }
        }
    }

    static string Plain(string markup) => Markup.Remove(markup);

    async Task<RunStatusResponse> WaitWithLinesAsync(string runId, CancellationToken ct)
    {
        var last = "";
        while (true)
        {
            var status = await PollAsync(runId, ct);
            var line = Describe(status);
            if (line != last) await log.WriteLineAsync(last = line);
            if (status.Status is RunStatus.Completed or RunStatus.Failed) return status;
            await Task.Delay(interval, ct);
        }
    }

    /// <summary>One line for the run's state, as the plain progress log prints it.</summary>
    public static string Describe(RunStatusResponse status)
    {
        var p = status.Progress;
        return status.Status switch
        {
            RunStatus.Loading when p.Loading is { } l => $"Loading: {l.Lines:N0} lines, {l.Bytes:N0} of {l.TotalBytes:N0} bytes",
            RunStatus.Judging or RunStatus.Auditing when p.Items > 0 =>
                $"{status.Status}: {p.ItemsDone:N0} of {p.Items:N0} items judged" + (p.FailedItems > 0 ? $", {p.FailedItems} failed" : ""),
            RunStatus.AwaitingReview =>
                $"Review: {status.Review?.ItemsFullyReviewed ?? p.ItemsFullyReviewed:N0} of {status.Review?.SampledItems ?? p.SampledItems:N0} items reviewed, " +
                $"{status.Review?.Votes ?? p.Votes:N0} votes" + (status.Review?.Round is > 1 ? $" (round {status.Review.Round})" : ""),
            _ => status.Status.ToString(),
        };
    }

    /// <summary>The status, riding out a host that is briefly unreachable (a restart), for at most a minute.</summary>
    async Task<RunStatusResponse> PollAsync(string runId, CancellationToken ct)
    {
        var since = DateTime.UtcNow;
        while (true)
        {
            try
            {
                return await client.StatusAsync(runId, ct);
            }
            catch (CliException e) when (e.ExitCode is ExitCodes.Unreachable or ExitCodes.HostError && DateTime.UtcNow - since < Outage)
            {
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }
    }
}
