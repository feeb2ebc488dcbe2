using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;

namespace SynthPref.Orchestration.Reporting;

/// <summary>What the report takes from the run besides storage: its name, audit, why review ended, how items fared
/// and what the LLM calls cost.</summary>
public sealed record ReportInputs(string RunId, string? Name, BiasReport Bias, string ReviewEndedBy, int FailedItems, string? FirstFailure,
    IReadOnlyDictionary<string, LlmUsage> Usage);

/// <summary>
/// Joins pairs and human labels into the agreement figures and writes report + dataset blobs. Labels are read from
/// storage once the review phase has ended, so they are exactly the labels that were accepted.
/// </summary>
public sealed class ReportBuilder(PairStore pairs, ReviewStore reviews, OutputStore output, FailureStore failures)
{
    public async Task<ReportOutputs> BuildAsync(ReportInputs run, CancellationToken ct)
    {
        var stored = await pairs.ListAsync(run.RunId, ct);
        var byId = stored.ToDictionary(p => p.PairId);
        var items = await reviews.ListItemsAsync(run.RunId, ct);
        var itemsById = items.ToDictionary(i => i.ItemId);
        var labels = await reviews.ListLabelsAsync(run.RunId, ct);
        var labelled = labels
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
            run.RunId,
            run.Name,
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
                run.FailedItems,
                run.FirstFailure),
            run.Bias,
            new ReviewCounts(items.Count, labels.Where(l => itemsById.ContainsKey(l.ItemId)).Select(l => l.Reviewer).Distinct().Count(),
                votes.Count, run.ReviewEndedBy),
            AgreementCalculator.Compute(votes),
            bySource,
            datasetLines.Count,
            new CostReport(run.Usage.ToDictionary(kv => kv.Key, kv => TokenUsage.From(kv.Value))),
            await FailuresAsync(run.RunId, ct));

        var json = await output.WriteAsync(run.RunId, OutputStore.ReportJsonName, ReportJson.Serialize(report), "application/json", ct);
        var html = await output.WriteAsync(run.RunId, OutputStore.ReportHtmlName, HtmlReport.Render(report), "text/html; charset=utf-8", ct);
        var dataset = await output.WriteAsync(run.RunId, OutputStore.DatasetName,
            string.Concat(datasetLines.Select(l => l + "\n")), "application/x-ndjson", ct);
        return new ReportOutputs(stored.Count, datasetLines.Count, json, html, dataset);
    }

    async Task<FailureReport> FailuresAsync(string runId, CancellationToken ct)
    {
        var all = await failures.ListAsync(runId, ct);
        return new FailureReport(all.Count, all);
    }
}
