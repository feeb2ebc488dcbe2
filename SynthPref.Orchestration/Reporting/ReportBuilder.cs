using SynthPref.Orchestration.Agreement;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Batch;
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
/// (null: it did not batch).</summary>
public sealed record ReportInputs(string RunId, string? Name, BiasReport Bias, ReviewEnd ReviewEndedBy, int FailedItems, string? FirstFailure,
    IReadOnlyDictionary<string, LlmUsage> Usage, RunSettings Settings, int SkippedForBudget = 0, BatchSummary? Batch = null);

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
            await FailuresAsync(run.RunId, ct),
            Examples(agreement, reviewed),
            trust?.Report,
            run.Batch is { } batch ? await BatchAsync(run.RunId, batch, run.Usage, ct) : null,
            References(stored, labelled));

        var json = await output.WriteAsync(run.RunId, OutputStore.ReportJsonName, ReportJson.Serialize(report), "application/json", ct);
        var html = await output.WriteAsync(run.RunId, OutputStore.ReportHtmlName, await HtmlReport.RenderAsync(report), "text/html; charset=utf-8", ct);
        var dataset = await output.WriteAsync(run.RunId, OutputStore.DatasetName,
            string.Concat(datasetLines.Select(l => l + "\n")), "application/x-ndjson", ct);
        if (trust is null) return new ReportOutputs(stored.Count, datasetLines.Count, json, html, dataset);
        var escalated = await output.WriteAsync(run.RunId, OutputStore.EscalatedName,
            string.Concat(TrlDataset.EscalatedJsonLines(trust.Escalated).Select(l => l + "\n")), "application/x-ndjson", ct);
        return new ReportOutputs(stored.Count, datasetLines.Count, json, html, dataset, escalated, trust.Escalated.Count);
    }

    /// <summary>The reference block; null when no pair had a reference or wanted one.</summary>
    static ReferenceReport? References(IReadOnlyList<PreferencePair> stored, IReadOnlyList<PairLabel> labelled)
    {
        if (!stored.Any(p => p.ReferenceSource is not null)) return null;
        var judgeLabels = labelled.Where(l => l.Pair.Source == PairSource.Judge).ToList();
        return new ReferenceReport(
            stored.Count(p => p.ReferenceGuided),
            new SortedDictionary<string, int>(StringComparer.Ordinal)
            {
                ["generated"] = stored.Count(p => p.ReferenceGuided && p.ReferenceSource == ReferenceSource.Generated),
                ["input"] = stored.Count(p => p.ReferenceGuided && p.ReferenceSource == ReferenceSource.Input),
            },
            stored.Count(p => p.ReferenceSource == ReferenceSource.Unavailable),
            AgreementCalculator.Stats(AgreementCalculator.VotesOf(judgeLabels.Where(l => l.Pair.ReferenceGuided))),
            AgreementCalculator.Stats(AgreementCalculator.VotesOf(judgeLabels.Where(l => !l.Pair.ReferenceGuided))));
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
        var panel = names.Select(name =>
        {
            var role = JudgePanel.RoleOf(name);
            var own = judgePairs.SelectMany(p => p.JudgeVerdicts.Where(j => j.Name == name)).ToList();
            return new JudgeSummary(name, role, sections.ModelOf(role), own.Count, own.Count(j => j.Verdict == Preference.Unparseable),
                own.Sum(j => j.UnparseableOutputs?.Count ?? 0), settings.StructuredOutput, textOnly.Contains(name, StringComparer.Ordinal));
        }).ToList();
        var examples = judgePairs
            .SelectMany(p => p.JudgeVerdicts.SelectMany(j => (j.UnparseableOutputs ?? []).Select(o => new UnparseableOutput(p.InputId, j.Name,
                o.Length <= ExampleChars ? o : string.Concat(o.AsSpan(0, ExampleChars), "…")))))
            .Take(UnparseableExamples)
            .ToList();
        return new JudgesReport(panel, JudgeAgreement.Pairwise(names, judgePairs), examples);
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
        // The reference role is planned for every run with reference categories, but listed once it asked for
        // something: a run whose items needed no reference reports the roles it always did.
        var roles = batch.Roles.Where(r => r != LlmRoles.Reference || usage.ContainsKey(r)).ToList();
        return new BatchReport(roles, batch.EndedBy, batch.Cycles, batch.Requests, batched.BatchAnswers, batched.Calls - batched.FailedCalls,
            batched.CacheHits, batched.FailedCalls + batched.Unanswered, batch.Exhausted,
            rows.Select(r => new BatchReportRow(r.Cycle, r.BatchId ?? "", r.Role, r.State, r.Requests, r.Answered, r.Unanswered)).ToList());
    }

    async Task<FailureReport> FailuresAsync(string runId, CancellationToken ct)
    {
        var all = await failures.ListAsync(runId, ct);
        return new FailureReport(all.Count, all);
    }
}
