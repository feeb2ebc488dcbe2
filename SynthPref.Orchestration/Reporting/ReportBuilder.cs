using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Batch;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Trust;

namespace SynthPref.Orchestration.Reporting;

/// <summary>What the report takes from the run besides storage: its name, audit, why review ended, how items fared,
/// what the LLM calls cost, what the run was asked to do (its options, with the judges that fell back from structured
/// output as its text-only judges), how many items were never started for the budget, and how its batch phase went
/// (null: it did not batch), and its failures as judging counted them (items failed, steps failed, items not started).</summary>
public sealed record ReportInputs(string RunId, string? Name, BiasReport Bias, ReviewEnd ReviewEndedBy, int FailedItems, string? FirstFailure,
    IReadOnlyDictionary<string, LlmUsage> Usage, RunSettings Settings, int SkippedForBudget = 0, BatchSummary? Batch = null,
    FailureCounts? Failures = null);

/// <summary>
/// Joins pairs and human labels into the agreement figures and writes report + dataset blobs. Labels are read from
/// storage once the review phase has ended, so they are exactly the labels that were accepted.
/// </summary>
public sealed class ReportBuilder(PairStore pairs, ReviewStage reviews, OutputStore output, LlmSections sections, LlmPricing pricing,
    FailureStore failures, BatchStore batches)
{
    /// <summary>How many unparseable judge answers the report quotes, and how much of each.</summary>
    public const int UnparseableExamples = 5;
    public const int ExampleChars = 2_000;

    /// <summary>Disagreement examples: how many categories, how many per category, and how much of each text.</summary>
    public const int ExampleCategories = 3;
    public const int ExamplesPerCategory = 3;
    public const int PromptExcerptChars = 400;
    public const int ResponseExcerptChars = 600;
    public const int ReasoningExcerptChars = 800;

    public async Task<ReportOutputs> BuildAsync(ReportInputs run, CancellationToken ct)
    {
        var settings = run.Settings;
        var stored = await pairs.ListAsync(run.RunId, ct);
        var review = await reviews.ReadAsync(run.RunId, stored, ct);
        var labelled = review.Reviewed.Labels;
        var votes = AgreementCalculator.VotesOf(labelled);
        var reviewed = review.Reviewed.Pairs;
        // Revision pairs are "revised wins" by construction, so agreement on them measures the reviser, not the judge.
        var bySource = new SortedDictionary<string, AgreementStats>(StringComparer.Ordinal)
        {
            ["judge"] = AgreementCalculator.Stats(AgreementCalculator.VotesOf(labelled.Where(l => l.Pair.Source == PairSource.Judge))),
            ["revision"] = AgreementCalculator.Stats(AgreementCalculator.VotesOf(labelled.Where(l => l.Pair.Source == PairSource.Revision))),
        };
        var judges = settings.Judges is { Count: > 0 } named ? named : [JudgeVerdict.DefaultName];
        var humanVotes = labelled.Select(l => (l.Pair, Human: l.Label)).ToList();
        var bias = run.Bias with { Length = run.Bias.Length with { Human = BiasAuditor.HumanBaseline(humanVotes) } };

        var agreement = AgreementCalculator.Compute(votes, settings.MinCategoryVotes) with
        {
            ByJudge = JudgeAgreement.ByJudge(judges, humanVotes),
            Humans = HumanAgreementCalculator.Compute(reviewed.Select(r => new ItemLabels(r.Pair.Category, r.Pair.Verdict,
                r.Labels.Select(l => l.Label).ToList()))),
        };

        var trust = TrustOptions.Of(settings) is { } trustOptions
            ? TrustAssessment.Assess(stored, reviewed, trustOptions, judges, review.Rounds, run.ReviewEndedBy)
            : null;
        var failureReport = await FailuresAsync(run.RunId, ct);
        var datasetLines = (trust is null ? TrlDataset.ToJsonLines(stored) : TrlDataset.ToJsonLines(trust.Dataset)).ToList();
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
                run.FirstFailure,
                run.SkippedForBudget),
            bias,
            new ReviewCounts(review.Items.Count, review.Reviewers, votes.Count, run.ReviewEndedBy, review.Rounds, review.Phase?.Adaptive),
            agreement,
            bySource,
            datasetLines.Count,
            new CostReport(run.Usage.ToDictionary(kv => kv.Key, kv => TokenUsage.From(kv.Value)), Estimate(run.Usage)),
            Judges(judges, settings, stored),
            Revisions(settings, stored),
            new BudgetReport(settings.BudgetTokens, run.Usage.Values.Sum(u => u.InputTokens + u.OutputTokens), run.SkippedForBudget > 0,
                run.SkippedForBudget),
            failureReport,
            Examples(agreement, reviewed),
            trust?.Report,
            run.Batch is { } batch ? await BatchAsync(run.RunId, batch, run.Usage, ct) : null,
            Exclusions(stored),
            Merges(settings.CategoryKey, stored),
            Failures(run, failureReport));

        var json = await output.WriteAsync(run.RunId, OutputStore.ReportJsonName, ReportJson.Serialize(report), "application/json", ct);
        var html = await output.WriteAsync(run.RunId, OutputStore.ReportHtmlName, await HtmlReport.RenderAsync(report), "text/html; charset=utf-8", ct);
        var dataset = await output.WriteAsync(run.RunId, OutputStore.DatasetName,
            string.Concat(datasetLines.Select(l => l + "\n")), "application/x-ndjson", ct);
        if (trust is null) return new ReportOutputs(stored.Count, datasetLines.Count, json, html, dataset);
        var escalated = await output.WriteAsync(run.RunId, OutputStore.EscalatedName,
            string.Concat(TrlDataset.EscalatedJsonLines(trust.Escalated).Select(l => l + "\n")), "application/x-ndjson", ct);
        return new ReportOutputs(stored.Count, datasetLines.Count, json, html, dataset, escalated, trust.Escalated.Count);
    }

    /// <summary>Up to <see cref="ExamplesPerCategory"/> disagreements from each of the <see cref="ExampleCategories"/> most
    /// divergent ranked categories; with nothing ranked, the first few disagreements of any category, and the report says
    /// they are not a ranking.</summary>
    static DisagreementExamples Examples(AgreementReport agreement, IReadOnlyList<ReviewedPair> reviewed)
    {
        var disagreements = reviewed.Where(r => r.Labels.Any(l => l.Label != r.Pair.Verdict)).ToList();
        var ranked = agreement.MostDivergent.Count > 0;
        var chosen = ranked
            ? agreement.MostDivergent.Take(ExampleCategories)
                .SelectMany(c => disagreements.Where(d => d.Pair.Category == c.Category).Take(ExamplesPerCategory))
            : disagreements.Take(ExamplesPerCategory);
        return new DisagreementExamples(ranked, chosen.Select(d => new DisagreementExample(
            d.Pair.Category, d.Pair.InputId, d.Pair.Source, Shorten(d.Pair.Prompt, PromptExcerptChars), Shorten(d.Pair.ResponseA, ResponseExcerptChars),
            Shorten(d.Pair.ResponseB, ResponseExcerptChars), d.Pair.Verdict, d.Pair.Reasoning is { } r ? Shorten(r, ReasoningExcerptChars) : null,
            d.Labels)).ToList());
    }

    /// <summary>The text cut to at most <paramref name="max"/> characters with an ellipsis, never between the halves of a
    /// surrogate pair.</summary>
    public static string Shorten(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.Length <= max) return text;
        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, cut).TrimEnd(), "…");
    }

    JudgesReport Judges(IReadOnlyList<string> names, RunSettings settings, IReadOnlyList<PreferencePair> stored)
    {
        var judgePairs = stored.Where(p => p.Source == PairSource.Judge).OrderBy(p => p.ItemIndex).ToList();
        var textOnly = settings.TextOnlyJudges ?? [];
        var verdictLines = VerdictLineTally.Of(judgePairs);
        var panel = names.Select(name =>
        {
            var role = JudgePanel.RoleOf(name);
            var own = judgePairs.SelectMany(p => p.JudgeVerdicts.Where(j => j.Name == name)).ToList();
            return new JudgeSummary(name, role, sections.ModelOf(role), own.Count, own.Count(j => j.Verdict == Preference.Unparseable),
                own.Sum(j => j.UnparseableOutputs?.Count ?? 0), settings.StructuredOutput, textOnly.Contains(name, StringComparer.Ordinal),
                verdictLines.GetValueOrDefault(name)?.WithoutVerdictLine ?? 0);
        }).ToList();
        return new JudgesReport(panel, JudgeAgreement.Pairwise(names, judgePairs), UnparseableExamplesOf(judgePairs));
    }

    /// <summary>
    /// What the judges said on the pairs that are unparseable (their verdict, after every judge and order): each of
    /// those judges' unparseable answers, the same text (trimmed) from the same judge counted once with how many times it
    /// was given, most frequent first, then in item order; an empty answer is one entry (Output "", shown "(empty
    /// answer)"). InputId: the first pair that gave it.
    /// </summary>
    public static IReadOnlyList<UnparseableOutput> UnparseableExamplesOf(IEnumerable<PreferencePair> judgePairs) =>
        judgePairs.Where(p => p.Verdict == Preference.Unparseable).OrderBy(p => p.ItemIndex)
            .SelectMany(p => p.JudgeVerdicts.SelectMany(j => (j.UnparseableOutputs ?? []).Select(o => (p.InputId, j.Name, Output: o.Trim()))))
            .Select((answer, order) => (answer.InputId, answer.Name, answer.Output, Order: order))
            .GroupBy(a => (a.Name, a.Output))
            .OrderByDescending(g => g.Count()).ThenBy(g => g.First().Order)
            .Take(UnparseableExamples)
            .Select(g => new UnparseableOutput(g.First().InputId, g.Key.Name,
                g.Key.Output.Length <= ExampleChars ? g.Key.Output : string.Concat(g.Key.Output.AsSpan(0, ExampleChars), "…"), g.Count()))
            .ToList();

    /// <summary>The stored pairs never written to the dataset for their responses, by reason; null when there are none.</summary>
    public static DatasetExclusions? Exclusions(IReadOnlyList<PreferencePair> stored)
    {
        var empty = stored.Count(p => p.DatasetExclusion == DatasetExclusion.EmptyResponse);
        var identical = stored.Count(p => p.DatasetExclusion == DatasetExclusion.IdenticalResponses);
        return empty + identical == 0 ? null : new DatasetExclusions(empty, identical);
    }

    /// <summary>With categoryKey folded: every key that more than one spelling of the input became, its spellings in
    /// ordinal order and its pairs, keys in ordinal order. Null with categoryKey exact.</summary>
    public static CategoryMerges? Merges(CategoryKey mode, IReadOnlyList<PreferencePair> stored)
    {
        if (mode == CategoryKey.Exact) return null;
        var merges = stored.GroupBy(p => p.Category, StringComparer.Ordinal)
            .Select(g => new CategoryMerge(g.Key,
                g.Select(p => p.CategorySpelling ?? p.Category).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(), g.Count()))
            .Where(m => m.Spellings.Count > 1)
            .OrderBy(m => m.Key, StringComparer.Ordinal)
            .ToList();
        return new CategoryMerges(CategoryKeys.FoldedName, merges);
    }

    /// <summary>Items failed, steps failed (the failures the report lists) and items not started; null when all are zero.</summary>
    static FailureCounts? Failures(ReportInputs run, FailureReport failures)
    {
        var counts = new FailureCounts(run.FailedItems, failures.Total, run.Failures?.ItemsNotStarted ?? run.SkippedForBudget);
        return counts.Any ? counts : null;
    }

    static RevisionReport Revisions(RunSettings settings, IReadOnlyList<PreferencePair> stored)
    {
        var revisions = stored.Where(p => p.Source == PairSource.Revision).ToList();
        return new RevisionReport(
            revisions.Count,
            settings.CritiqueRevise ? settings.RevisionRounds : 0,
            settings.ConstitutionSource ?? Constitution.DefaultSource,
            settings.VerifyRevisions,
            revisions.Count(p => p.Verification is { Verdict: not Preference.Unparseable }),
            revisions.Count(p => p.RevisionRegression),
            revisions.Count(p => p.Verification is { Verdict: Preference.Unparseable }));
    }

    EstimatedCost? Estimate(IReadOnlyDictionary<string, LlmUsage> usage)
    {
        if (!pricing.Any) return null;
        var byRole = new SortedDictionary<string, RoleCost>(StringComparer.Ordinal);
        var unpriced = new List<string>();
        foreach (var (role, use) in usage.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var model = sections.ModelOf(role);
            if (pricing.For(model) is not { } price)
            {
                if (use.InputTokens + use.OutputTokens > 0) unpriced.Add(role);
                continue;
            }
            byRole[role] = new RoleCost(model, price.InputPerMillion, price.OutputPerMillion, price.Cost(use),
                price.BatchInputPerMillion, price.BatchOutputPerMillion, price.Cost(use.InputTokens, use.OutputTokens));
        }
        var total = byRole.Values.Sum(r => r.Cost);
        var live = byRole.Values.Sum(r => r.AtLivePrices);
        return new EstimatedCost(total, byRole, unpriced, live, live - total);
    }

    async Task<BatchReport> BatchAsync(string runId, BatchSummary batch, IReadOnlyDictionary<string, LlmUsage> usage, CancellationToken ct)
    {
        var batched = usage.Where(kv => batch.Roles.Contains(kv.Key, StringComparer.Ordinal)).Select(kv => kv.Value)
            .Aggregate(new LlmUsage(), (a, b) => a.Add(b));
        var rows = await batches.ListAsync(runId, cycle: null, ct);
        return new BatchReport(batch.Roles, batch.EndedBy, batch.Cycles, batch.Requests, batched.BatchAnswers, batched.Calls - batched.FailedCalls,
            batched.CacheHits, batched.FailedCalls + batched.Unanswered, batch.Exhausted,
            rows.Select(r => new BatchReportRow(r.Cycle, r.BatchId ?? "", r.Role, r.State, r.Requests, r.Answered, r.Unanswered)).ToList());
    }

    async Task<FailureReport> FailuresAsync(string runId, CancellationToken ct)
    {
        var all = await failures.ListAsync(runId, ct);
        return new FailureReport(all.Count, all);
    }
}
