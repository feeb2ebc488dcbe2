using Microsoft.DurableTask;
using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Orchestration.Reporting;

/// <summary>Labels are the ones the review loop received, not what storage holds by the time this runs.</summary>
public sealed record ReportRequest(string RunId, string? Name, BiasReport Bias, string ReviewEndedBy,
    IReadOnlyList<ReviewSubmitted> Labels, int FailedItems, string? FirstFailure);

/// <summary>Joins pairs and human labels into the agreement figures and writes report + dataset blobs.</summary>
public sealed class BuildReportActivity(PairStore pairs, ReviewStore reviews, OutputStore output)
    : TaskActivity<ReportRequest, RunResult>
{
    public override async Task<RunResult> RunAsync(TaskActivityContext context, ReportRequest request)
    {
        var ct = CancellationToken.None;
        var stored = await pairs.ListAsync(request.RunId, ct);
        var byId = stored.ToDictionary(p => p.PairId);
        var items = await reviews.ListItemsAsync(request.RunId, ct);
        var itemsById = items.ToDictionary(i => i.ItemId);
        var labelled = request.Labels
            .Where(l => itemsById.ContainsKey(l.ItemId))
            .Select(l =>
            {
                var item = itemsById[l.ItemId];
                var pair = byId[item.PairId];
                return (pair.Source, Vote: new Vote(pair.Category, ReviewStore.ToPairPreference(l.Label, item.Flipped), pair.Verdict));
            })
            .ToList();
        var votes = labelled.Select(l => l.Vote).ToList();
        // Revision pairs are "revised wins" by construction, so agreement on them measures the reviser, not the judge.
        var bySource = new SortedDictionary<string, AgreementStats>(StringComparer.Ordinal)
        {
            ["judge"] = AgreementCalculator.Stats(labelled.Where(l => l.Source == PairSource.Judge).Select(l => l.Vote).ToList()),
            ["revision"] = AgreementCalculator.Stats(labelled.Where(l => l.Source == PairSource.Revision).Select(l => l.Vote).ToList()),
        };

        var datasetLines = TrlDataset.ToJsonLines(stored).ToList();
        var report = new RunReport(
            request.RunId,
            request.Name,
            new PairCounts(
                stored.Count,
                new Dictionary<string, int>
                {
                    ["judge"] = stored.Count(p => p.Source == PairSource.Judge),
                    ["revision"] = stored.Count(p => p.Source == PairSource.Revision),
                },
                stored.Count(p => p.Verdict == Preference.Unparseable),
                stored.Count(p => p.Verdict == Preference.Tie),
                stored.Count(p => p.PositionInconsistent),
                request.FailedItems,
                request.FirstFailure),
            request.Bias,
            new ReviewCounts(items.Count, request.Labels.Select(l => l.Reviewer).Distinct().Count(), votes.Count, request.ReviewEndedBy),
            AgreementCalculator.Compute(votes),
            bySource,
            datasetLines.Count);

        var json = await output.WriteAsync(request.RunId, OutputStore.ReportJsonName, ReportJson.Serialize(report), "application/json", ct);
        var html = await output.WriteAsync(request.RunId, OutputStore.ReportHtmlName, HtmlReport.Render(report), "text/html; charset=utf-8", ct);
        var dataset = await output.WriteAsync(request.RunId, OutputStore.DatasetName,
            string.Concat(datasetLines.Select(l => l + "\n")), "application/x-ndjson", ct);
        return new RunResult(request.RunId, stored.Count, request.FailedItems, datasetLines.Count, json, html, dataset);
    }
}
