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

    /// <summary>
    /// The report in bounded memory: one streaming pass over the pairs (in item order) feeds the counters, keeps the
    /// sampled pairs (bounded by the review sample) and, without trustTarget, writes dataset.jsonl as it goes. With
    /// trustTarget the rows depend on the threshold the labels give, so a second pass writes dataset.jsonl and
    /// escalated.jsonl once the calibration is known. report.json and report.html are written last.
    /// </summary>
    public async Task<ReportOutputs> BuildAsync(ReportInputs run, CancellationToken ct)
    {
        var settings = run.Settings;
        var trustOptions = TrustOptions.Of(settings);
        var judges = settings.Judges is { Count: > 0 } named ? named : [JudgeVerdict.DefaultName];
        var sampledIds = await reviews.SampledPairIdsAsync(run.RunId, ct);
        var tally = new PairTally(judges);
        var sampledPairs = new List<PreferencePair>();
        void Observe(PreferencePair pair)
        {
            tally.Add(pair);
            if (sampledIds.Contains(pair.PairId)) sampledPairs.Add(pair);
        }

        // Assigned by whichever pass writes the dataset.
        (int Rows, string Path) dataset = (0, OutputStore.PathOf(run.RunId, OutputStore.DatasetName));
        if (trustOptions is null)
            dataset = await WriteLinesAsync(run.RunId, OutputStore.DatasetName, async rows =>
            {
                await foreach (var pair in pairs.ReadInItemOrderAsync(run.RunId, ct))
                {
                    Observe(pair);
                    if (TrlDataset.IsRow(pair)) await rows.WriteAsync(pair, ct);
                }
            }, ct);
        else
            await foreach (var pair in pairs.ReadInItemOrderAsync(run.RunId, ct))
                Observe(pair);

        var review = await reviews.ReadAsync(run.RunId, sampledPairs, ct);
        var labelled = review.Reviewed.Labels;
        var votes = AgreementCalculator.VotesOf(labelled);
        var reviewed = review.Reviewed.Pairs;
        // Revision pairs are "revised wins" by construction, so agreement on them measures the reviser, not the judge.
        var bySource = new SortedDictionary<string, AgreementStats>(StringComparer.Ordinal)
        {
            ["judge"] = AgreementCalculator.Stats(AgreementCalculator.VotesOf(labelled.Where(l => l.Pair.Source == PairSource.Judge))),
            ["revision"] = AgreementCalculator.Stats(AgreementCalculator.VotesOf(labelled.Where(l => l.Pair.Source == PairSource.Revision))),
        };
        var humanVotes = labelled.Select(l => (l.Pair, Human: l.Label)).ToList();
        var bias = run.Bias with { Length = run.Bias.Length with { Human = BiasAuditor.HumanBaseline(humanVotes) } };

        var agreement = AgreementCalculator.Compute(votes, settings.MinCategoryVotes) with
        {
            ByJudge = JudgeAgreement.ByJudge(judges, humanVotes),
            Humans = HumanAgreementCalculator.Compute(reviewed.Select(r => new ItemLabels(r.Pair.Category, r.Pair.Verdict,
                r.Labels.Select(l => l.Label).ToList()))),
        };

        TrustReport? trust = null;
        (int Rows, string Path)? escalated = null;
        if (trustOptions is not null)
        {
            var calibrated = TrustAssessment.Calibrate(reviewed, tally.DecisivePoints, trustOptions);
            var split = new TrustSplit(reviewed, calibrated.Threshold);
            escalated = await WriteLinesAsync(run.RunId, OutputStore.EscalatedName, async escalatedRows =>
            {
                dataset = await WriteLinesAsync(run.RunId, OutputStore.DatasetName, async rows =>
                {
                    await foreach (var pair in pairs.ReadInItemOrderAsync(run.RunId, ct))
                    {
                        switch (split.Add(pair))
                        {
                            case { Row: { } row }:
                                await rows.WriteAsync(row, ct);
                                break;
                            case { Escalated: true }:
                                await escalatedRows.WriteEscalatedAsync(pair, ct);
                                break;
                        }
                    }
                }, ct);
            }, ct);
            trust = TrustAssessment.Report(calibrated, split, reviewed, trustOptions, judges, review.Rounds, run.ReviewEndedBy);
        }

        var failureReport = await FailuresAsync(run.RunId, ct);
        var report = new RunReport(
            run.RunId,
            run.Name,
            new PairCounts(
                tally.Total,
                new Dictionary<string, int>
                {
                    ["judge"] = tally.Judge,
                    ["revision"] = tally.Revision,
                },
                tally.Unparseable,
                tally.Ties,
                tally.PositionInconsistent,
                run.FailedItems,
                run.FirstFailure,
                run.SkippedForBudget),
            bias,
            new ReviewCounts(review.Items.Count, review.Reviewers, votes.Count, run.ReviewEndedBy, review.Rounds, review.Phase?.Adaptive),
            agreement,
            bySource,
            dataset.Rows,
            new CostReport(run.Usage.ToDictionary(kv => kv.Key, kv => TokenUsage.From(kv.Value)), Estimate(run.Usage)),
            Judges(judges, settings, tally),
            Revisions(settings, tally),
            new BudgetReport(settings.BudgetTokens, run.Usage.Values.Sum(u => u.InputTokens + u.OutputTokens), run.SkippedForBudget > 0,
                run.SkippedForBudget),
            failureReport,
            Examples(agreement, reviewed),
            trust,
            run.Batch is { } batch ? await BatchAsync(run.RunId, batch, run.Usage, ct) : null,
            tally.Exclusions(),
            tally.Merges(settings.CategoryKey),
            Failures(run, failureReport),
            tally.References(labelled));

        var json = await output.WriteAsync(run.RunId, OutputStore.ReportJsonName, ReportJson.Serialize(report), "application/json", ct);
        var html = await output.WriteAsync(run.RunId, OutputStore.ReportHtmlName, await HtmlReport.RenderAsync(report), "text/html; charset=utf-8", ct);
        return escalated is { } e
            ? new ReportOutputs(tally.Total, dataset.Rows, json, html, dataset.Path, e.Path, e.Rows)
            : new ReportOutputs(tally.Total, dataset.Rows, json, html, dataset.Path);
    }

    /// <summary>A JSONL deliverable written by <paramref name="write"/> as a stream, committed once it is done (a failure
    /// before that leaves the file as it was).</summary>
    async Task<(int Rows, string Path)> WriteLinesAsync(string runId, string name, Func<TrlDataset.LineWriter, Task> write, CancellationToken ct)
    {
        await using var stream = output.OpenWrite(runId, name, "application/x-ndjson");
        var lines = new TrlDataset.LineWriter(stream);
        await write(lines);
        await stream.CommitAsync(ct);
        return (lines.Lines, stream.Path);
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

    JudgesReport Judges(IReadOnlyList<string> names, RunSettings settings, PairTally tally)
    {
        var textOnly = settings.TextOnlyJudges ?? [];
        var panel = names.Select((name, i) =>
        {
            var role = JudgePanel.RoleOf(name);
            var own = tally.ByJudge[i];
            return new JudgeSummary(name, role, sections.ModelOf(role), own.Verdicts, own.Unparseable, own.UnparseableOutputs, settings.StructuredOutput,
                textOnly.Contains(name, StringComparer.Ordinal), tally.VerdictLines.GetValueOrDefault(name)?.WithoutVerdictLine ?? 0);
        }).ToList();
        return new JudgesReport(panel, tally.JudgePairs.Result(), tally.UnparseableExamples());
    }

    /// <summary>The report's counters over pairs given in memory, taken in item order as the streaming pass takes them.</summary>
    static PairTally TallyOf(IEnumerable<PreferencePair> pairs)
    {
        var ordered = pairs.OrderBy(p => p.ItemIndex).ToList();
        var tally = new PairTally(ordered.SelectMany(p => p.JudgeVerdicts.Select(j => j.Name)).Distinct(StringComparer.Ordinal).ToList());
        foreach (var pair in ordered) tally.Add(pair);
        return tally;
    }

    /// <inheritdoc cref="PairTally.Exclusions"/>
    public static DatasetExclusions? Exclusions(IEnumerable<PreferencePair> pairs) => TallyOf(pairs).Exclusions();

    /// <inheritdoc cref="PairTally.Merges"/>
    public static CategoryMerges? Merges(CategoryKey mode, IEnumerable<PreferencePair> pairs) => TallyOf(pairs).Merges(mode);

    /// <inheritdoc cref="PairTally.UnparseableExamples"/>
    public static IReadOnlyList<UnparseableOutput> UnparseableExamplesOf(IEnumerable<PreferencePair> pairs) => TallyOf(pairs).UnparseableExamples();

    /// <summary>Items failed, steps failed (the failures the report lists) and items not started; null when all are zero.</summary>
    static FailureCounts? Failures(ReportInputs run, FailureReport failures)
    {
        var counts = new FailureCounts(run.FailedItems, failures.Total, run.Failures?.ItemsNotStarted ?? run.SkippedForBudget);
        return counts.Any ? counts : null;
    }

    static RevisionReport Revisions(RunSettings settings, PairTally tally) =>
        new(tally.Revision, settings.CritiqueRevise ? settings.RevisionRounds : 0, settings.ConstitutionSource ?? Constitution.DefaultSource,
            settings.VerifyRevisions, tally.RevisionsVerified, tally.RevisionRegressions, tally.RevisionsUnverifiable);

    /// <summary>What the report counts over every pair, one pair at a time: pairs by source and verdict, each judge's
    /// verdicts and unparseable answers (with the first few quoted, in item order), judge–judge agreement, revisions and
    /// how many decisive judge pairs have each trust points.</summary>
    sealed class PairTally(IReadOnlyList<string> judges)
    {
        public sealed class JudgeCounts
        {
            public int Verdicts;
            public int Unparseable;
            public int UnparseableOutputs;
        }

        readonly SortedDictionary<int, int> decisivePoints = new();

        public int Total, Judge, Revision, Unparseable, Ties, PositionInconsistent;
        public int RevisionsVerified, RevisionRegressions, RevisionsUnverifiable;
        public IReadOnlyList<JudgeCounts> ByJudge { get; } = judges.Select(_ => new JudgeCounts()).ToList();
        public JudgePairTally JudgePairs { get; } = new(judges);
        public IReadOnlyDictionary<int, int> DecisivePoints => decisivePoints;
        public int EmptyResponses, IdenticalResponses;
        /// <summary>One category key: the input's spellings that became it, and its pairs.</summary>
        sealed class CategorySeen
        {
            public SortedSet<string> Spellings { get; } = new(StringComparer.Ordinal);
            public int Pairs;
        }

        readonly Dictionary<string, CategorySeen> spellings = new(StringComparer.Ordinal);
        readonly SortedDictionary<string, VerdictLineTally> verdictLines = new(StringComparer.Ordinal);
        readonly Dictionary<(string Judge, string Output), UnparseableSeen> unparseable = [];
        /// <summary>Each judge's text answers and those without the PREFERENCE line, judges in ordinal order.</summary>
        public IReadOnlyDictionary<string, VerdictLineTally> VerdictLines => verdictLines;

        public void Add(PreferencePair pair)
        {
            Total++;
            if (pair.ReferenceSource == ReferenceSource.Unavailable) ReferenceUnavailable++;
            else if (pair.ReferenceGuided && pair.ReferenceSource == ReferenceSource.Generated) ReferenceGenerated++;
            else if (pair.ReferenceGuided && pair.ReferenceSource == ReferenceSource.Input) ReferenceInput++;
            if (pair.DatasetExclusion == DatasetExclusion.EmptyResponse) EmptyResponses++;
            if (pair.DatasetExclusion == DatasetExclusion.IdenticalResponses) IdenticalResponses++;
            if (!spellings.TryGetValue(pair.Category, out var category)) spellings[pair.Category] = category = new CategorySeen();
            category.Spellings.Add(pair.CategorySpelling ?? pair.Category);
            category.Pairs++;
            if (pair.Verdict == Preference.Unparseable) Unparseable++;
            if (pair.Verdict == Preference.Tie) Ties++;
            if (pair.PositionInconsistent) PositionInconsistent++;
            if (pair.Source == PairSource.Revision)
            {
                Revision++;
                if (pair.Verification is { Verdict: not Preference.Unparseable }) RevisionsVerified++;
                if (pair.RevisionRegression) RevisionRegressions++;
                if (pair.Verification is { Verdict: Preference.Unparseable }) RevisionsUnverifiable++;
                return;
            }
            Judge++;
            if (TrustCalibration.IsDecisiveJudgePair(pair))
                decisivePoints[pair.TrustPoints!.Value] = decisivePoints.GetValueOrDefault(pair.TrustPoints!.Value) + 1;
            JudgePairs.Add(pair);
            var verdicts = pair.JudgeVerdicts;
            for (var i = 0; i < judges.Count; i++)
            {
                foreach (var verdict in verdicts)
                {
                    if (verdict.Name != judges[i]) continue;
                    var counts = ByJudge[i];
                    counts.Verdicts++;
                    if (verdict.Verdict == Preference.Unparseable) counts.Unparseable++;
                    counts.UnparseableOutputs += verdict.UnparseableOutputs?.Count ?? 0;
                }
            }
            foreach (var verdict in verdicts)
            {
                if (verdict.Structured) continue;
                var line = VerdictLineTally.Of(verdict);
                verdictLines[verdict.Name] = verdictLines.TryGetValue(verdict.Name, out var sum) ? sum.Add(line) : line;
            }
            if (pair.Verdict != Preference.Unparseable) return;
            foreach (var verdict in verdicts)
                foreach (var text in verdict.UnparseableOutputs ?? [])
                {
                    var key = (verdict.Name, text.Trim());
                    unparseable[key] = unparseable.TryGetValue(key, out var seen)
                        ? seen with { Count = seen.Count + 1 }
                        : new UnparseableSeen(pair.InputId, unparseable.Count, 1);
                }
        }

        /// <summary>
        /// What the judges said on the pairs that are unparseable (their verdict, after every judge and order): each of
        /// those judges' unparseable answers, the same text (trimmed) from the same judge counted once with how many times
        /// it was given, most frequent first, then in item order; an empty answer is one entry (Output "", shown "(empty
        /// answer)"). InputId: the first pair that gave it. Distinct answers are kept until the end, so this grows with
        /// the unparseable answers only.
        /// </summary>
        public IReadOnlyList<UnparseableOutput> UnparseableExamples() =>
            unparseable.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Value.Order)
                .Take(ReportBuilder.UnparseableExamples)
                .Select(kv => new UnparseableOutput(kv.Value.InputId, kv.Key.Judge,
                    kv.Key.Output.Length <= ExampleChars ? kv.Key.Output : string.Concat(kv.Key.Output.AsSpan(0, ExampleChars), "…"), kv.Value.Count))
                .ToList();

        /// <summary>The stored pairs never written to the dataset for their responses, by reason; null when there are none.</summary>
        public DatasetExclusions? Exclusions() =>
            EmptyResponses + IdenticalResponses == 0 ? null : new DatasetExclusions(EmptyResponses, IdenticalResponses);

        /// <summary>With categoryKey folded: every key that more than one spelling of the input became, its spellings in
        /// ordinal order and its pairs, keys in ordinal order. Null with categoryKey exact.</summary>
        public CategoryMerges? Merges(CategoryKey mode) => mode == CategoryKey.Exact ? null
            : new CategoryMerges(CategoryKeys.FoldedName, spellings
                .Where(kv => kv.Value.Spellings.Count > 1)
                .OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new CategoryMerge(kv.Key, kv.Value.Spellings.ToList(), kv.Value.Pairs))
                .ToList());

        public int ReferenceGenerated, ReferenceInput, ReferenceUnavailable;

        /// <summary>The reference block; null when no pair had a reference or wanted one. Agreement over the reviewed judge
        /// pairs graded with a reference and over those graded without one.</summary>
        public ReferenceReport? References(IReadOnlyList<PairLabel> labelled)
        {
            if (ReferenceGenerated + ReferenceInput + ReferenceUnavailable == 0) return null;
            var judgeLabels = labelled.Where(l => l.Pair.Source == PairSource.Judge).ToList();
            return new ReferenceReport(
                ReferenceGenerated + ReferenceInput,
                new SortedDictionary<string, int>(StringComparer.Ordinal) { ["generated"] = ReferenceGenerated, ["input"] = ReferenceInput },
                ReferenceUnavailable,
                AgreementCalculator.Stats(AgreementCalculator.VotesOf(judgeLabels.Where(l => l.Pair.ReferenceGuided))),
                AgreementCalculator.Stats(AgreementCalculator.VotesOf(judgeLabels.Where(l => !l.Pair.ReferenceGuided))));
        }

        readonly record struct UnparseableSeen(string InputId, int Order, int Count);
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
