using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Revision;
using SynthPref.Orchestration.Settings;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Trust;
using SynthPref.Orchestration.Workflow;
using SynthPref.Orchestration.Workflow.Activities;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Storage;

/// <summary>
/// The stages that read every pair of a run (audit, first sample, adaptive rounds, escalation round, report, dataset and
/// escalated.jsonl) over seeded random runs in real storage, against what they wrote before they streamed: the files
/// under Fixtures/Streaming were captured from the in-memory implementation (each pair list held whole) with
/// SYNTHPREF_RECORD_FIXTURES=1, and must still come out byte for byte.
/// </summary>
public sealed class StreamingFiguresTests : IClassFixture<AzuriteStorage>
{
    static readonly string FixtureRoot = Path.Combine(RepoPaths.Root, "tests", "SynthPref.Tests", "Storage", "Fixtures", "Streaming");
    static readonly DateTimeOffset LabelTime = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    static readonly string[] Vocabulary = ["the", "answer", "is", "clear", "because", "water", "boils", "at", "sea", "level", "and", "so",
        "we", "may", "conclude", "that", "it", "depends", "on", "pressure", "café", "naïve", "😀", "data", "model", "judge"];

    // As the review partition keys them (Reviews/ReviewPartition, internal to the stage).
    const string ItemPrefix = "item-";
    const string LabelPrefix = "label-";

    readonly ServiceProvider services;

    public StreamingFiguresTests(AzuriteStorage fixture)
    {
        var azurite = fixture.Azurite;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Llm:Provider"] = "OpenAICompatible",
            ["Llm:Endpoint"] = "http://127.0.0.1:9",
            ["Llm:Model"] = "judge-one",
            ["Judges:second:Provider"] = "OpenAICompatible",
            ["Judges:second:Endpoint"] = "http://127.0.0.1:9",
            ["Judges:second:Model"] = "judge-two",
            ["Pricing:judge-one:InputPerMillion"] = "1",
            ["Pricing:judge-one:OutputPerMillion"] = "2",
        }).Build();
        services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration)
            .AddSynthPrefCore(configuration).BuildServiceProvider();
    }

    public static TheoryData<string> Scenarios => ["jury-trust-adaptive", "single-judge", "revisions-no-review", "trusted-jury", "trusted-single"];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Every_figure_and_file_is_what_the_in_memory_stages_wrote(string scenario)
    {
        var files = await RunAsync(scenario);
        var folder = Path.Combine(FixtureRoot, scenario);
        if (Environment.GetEnvironmentVariable("SYNTHPREF_RECORD_FIXTURES") == "1")
        {
            Directory.CreateDirectory(folder);
            foreach (var (name, text) in files)
                await File.WriteAllTextAsync(Path.Combine(folder, name), text);
        }
        Assert.True(Directory.Exists(folder), $"No captured fixtures in {folder}.");
        Assert.Equal(Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            files.Keys.Order(StringComparer.Ordinal));
        var differing = new List<string>();
        foreach (var (name, text) in files)
            if (await File.ReadAllTextAsync(Path.Combine(folder, name)) != text)
                differing.Add(name);
        Assert.True(differing.Count == 0, $"{scenario}: {string.Join(", ", differing)} differ from the captured files.");
    }

    /// <param name="Agreement">How often a reviewer's label is the verdict of a pair with at least
    /// <paramref name="AgreeingPoints"/> trust points (otherwise the label is any of the three), so trust can be earned.</param>
    sealed record Scenario(int Pairs, int Seed, IReadOnlyList<string>? Judges, double RevisionShare, int FirstSample, int Reviewers,
        double? TargetCiWidth, int? MaxSample, TrustOptions? Trust, double Agreement = 0, int AgreeingPoints = 0);

    static Scenario Describe(string name) => name switch
    {
        "jury-trust-adaptive" => new(700, 11, ["default", "second"], 0.1, 60, 2, 0.3, 220,
            new TrustOptions(0.7, 0.1, Escalation.Review, 25)),
        "single-judge" => new(450, 23, null, 0, 40, 1, null, null, new TrustOptions(0.6)),
        "revisions-no-review" => new(300, 37, null, 0.3, 0, 1, null, null, null),
        "trusted-jury" => new(650, 41, ["default", "second"], 0.05, 180, 1, null, null, new TrustOptions(0.3, 0.1, Escalation.Review, 30), 0.9),
        "trusted-single" => new(600, 53, null, 0, 200, 1, null, null, new TrustOptions(0.7, 0.1, Escalation.Review, 40), 0.95, 3),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    async Task<SortedDictionary<string, string>> RunAsync(string name)
    {
        var scenario = Describe(name);
        var storage = services.GetRequiredService<StorageClients>();
        await storage.EnsureCreatedAsync();
        // Fixed: review item ids, and so each item's display order, are hashed from the run id. Each class run has a
        // fresh Azurite.
        var runId = $"stream-{name}";
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pairs = Generate(runId, scenario);
        await services.GetRequiredService<PairStore>().SaveAllAsync(runId, pairs, default);
        var verdicts = pairs.ToDictionary(p => p.PairId, StringComparer.Ordinal);

        var reviews = services.GetRequiredService<ReviewStage>();
        var steps = new StringBuilder();
        var ended = ReviewEnd.NothingToReview;
        if (scenario.FirstSample > 0)
        {
            var adaptive = scenario.TargetCiWidth is { } target ? new AdaptiveReview(target, scenario.MaxSample, null) : null;
            var opened = await reviews.OpenAsync(runId, scenario.FirstSample, scenario.Seed,
                new ReviewOpening(scenario.Reviewers, DateTimeOffset.UtcNow.AddDays(1), 50, Rounds: true, adaptive), default);
            steps.AppendLine(JsonSerializer.Serialize(opened, Json));
            await LabelAsync(storage, runId, verdicts, scenario, scenario.Seed);
            var round = 1;
            if (scenario.TargetCiWidth is { } width)
            {
                var next = new NextReviewRoundActivity(reviews);
                while (true)
                {
                    var result = await next.RunAsync(null!, new NextReviewRoundRequest(runId, round, scenario.Seed, scenario.Reviewers, width,
                        scenario.MaxSample));
                    steps.AppendLine(JsonSerializer.Serialize(result, Json));
                    if (result.Added == 0) break;
                    round = result.Round;
                    await LabelAsync(storage, runId, verdicts, scenario, scenario.Seed + round);
                }
            }
            if (scenario.Trust is { Escalate: Escalation.Review } trust)
            {
                var escalated = await new EscalateReviewActivity(reviews).RunAsync(null!, new EscalationRequest(runId, round, scenario.Seed,
                    scenario.Reviewers, trust.Target, trust.Alpha, trust.MaxEscalatedReviews));
                steps.AppendLine(JsonSerializer.Serialize(escalated, Json));
                // Half the escalation round labelled: the report tells reviewed from unreviewed escalated pairs.
                await LabelAsync(storage, runId, verdicts, scenario, scenario.Seed + 100, share: 0.5);
            }
            ended = await reviews.CloseAsync(runId, ReviewEnd.Complete, default);
        }
        files["steps.json"] = steps.ToString();
        files["items.txt"] = string.Join("\n", (await ItemRowsAsync(storage, runId)).Select(i => $"{i.RowKey} {i.GetString("PairId")} " +
            $"{i.GetInt32("Round")} {i.GetBoolean("Flipped")} {i.GetInt32("Reviewers")}")) + "\n";

        var bias = await new AuditPairsActivity(services.GetRequiredService<PairStore>()).RunAsync(null!, runId);
        files["bias.json"] = JsonSerializer.Serialize(bias, Json);

        var usage = new Dictionary<string, LlmUsage> { [JudgePanel.RoleOf(JudgeVerdict.DefaultName)] = new(Requests: 10, Calls: 10, InputTokens: 1000, OutputTokens: 200) };
        var settings = RunSettings.Unrecorded with
        {
            Judges = scenario.Judges,
            CritiqueRevise = scenario.RevisionShare > 0,
            VerifyRevisions = scenario.RevisionShare > 0,
            MinCategoryVotes = 5,
            TrustTarget = scenario.Trust?.Target,
            TrustAlpha = scenario.Trust?.Alpha ?? RunSettings.DefaultTrustAlpha,
            Escalate = scenario.Trust?.Escalate ?? Escalation.None,
            MaxEscalatedReviews = scenario.Trust?.MaxEscalatedReviews ?? RunSettings.DefaultMaxEscalatedReviews,
        };
        var outputs = await services.GetRequiredService<ReportBuilder>().BuildAsync(
            new ReportInputs(runId, $"streaming {name}", bias, ended, 0, null, usage, settings), default);
        files["outputs.json"] = JsonSerializer.Serialize(outputs, Json).Replace(runId, "RUN");
        var output = services.GetRequiredService<OutputStore>();
        foreach (var file in new[] { OutputStore.ReportJsonName, OutputStore.DatasetName, OutputStore.EscalatedName })
        {
            await using var stream = await output.OpenAsync(runId, file, default);
            if (stream is null) continue;
            files[file] = (await new StreamReader(stream).ReadToEndAsync()).Replace(runId, "RUN");
        }
        return files;
    }

    static List<PreferencePair> Generate(string runId, Scenario scenario)
    {
        var random = new Random(scenario.Seed);
        var categories = new[] { "coding", "math", "writing", "advice", "trivia", "a category with spaces" };
        var judges = scenario.Judges ?? [JudgeVerdict.DefaultName];
        var models = new[] { "judge-one", "judge-two", "other-model", null };
        var pairs = new List<PreferencePair>();
        for (var index = 0; index < scenario.Pairs; index++)
        {
            // Skewed categories, so allocation and ranking see big and small ones.
            var category = categories[Math.Min(categories.Length - 1, (int)Math.Floor(-Math.Log(1 - random.NextDouble()) * 1.6))];
            var prompt = Text(random, 3, 30);
            var (a, b) = (Text(random, 0, 90), Text(random, 0, 90));
            var revision = random.NextDouble() < scenario.RevisionShare;
            if (revision)
            {
                var regression = random.NextDouble() < 0.3;
                pairs.Add(new PreferencePair(runId, PreferencePair.KeyFor(index, PairSource.Revision), index, $"in-{index}", category, PairSource.Revision,
                    prompt, a, b, "reviser", "policy", Preference.A, null, null, false, false, null, null, 0,
                    Rounds: [new RevisionRound(1, "Be kind", Text(random, 1, 10), a)],
                    Verification: random.NextDouble() < 0.1
                        ? new RevisionCheck(Preference.Unparseable, true, 2)
                        : new RevisionCheck(regression ? Preference.B : Preference.A, regression, 2)));
                continue;
            }
            var verdicts = judges.Select((judge, j) =>
            {
                var forward = Pick(random, 0.45, 0.40, 0.1);
                var swapped = Pick(random, 0.45, 0.40, 0.1);
                var final = forward == swapped ? forward : forward is Preference.Unparseable ? swapped : swapped is Preference.Unparseable ? forward : Preference.Tie;
                Confidence? confidence = random.Next(4) switch { 0 => null, 1 => Confidence.Low, 2 => Confidence.Medium, _ => Confidence.High };
                var unparseable = final == Preference.Unparseable || random.NextDouble() < 0.05
                    ? new[] { "I cannot decide " + Text(random, 0, 400) }
                    : null;
                return new JudgeVerdict(judge, j == 0 ? "judge-one" : "judge-two", final, confidence, "Because " + Text(random, 1, 40), forward, swapped,
                    true, forward != swapped, 2, Structured: random.Next(2) == 0, UnparseableOutputs: unparseable);
            }).ToList();
            var verdict = judges.Count == 1 ? verdicts[0].Verdict : Jury(verdicts);
            var first = verdicts[0];
            pairs.Add(new PreferencePair(runId, PreferencePair.KeyFor(index, PairSource.Judge), index, $"in-{index}", category, PairSource.Judge,
                prompt, a, b, models[random.Next(models.Length)], models[random.Next(models.Length)], verdict, first.Confidence, first.Reasoning,
                true, verdicts.Any(v => v.PositionInconsistent), first.Forward, first.Swapped, verdicts.Sum(v => v.Calls),
                string.Join(", ", verdicts.Select(v => v.Model)), scenario.Judges is null ? null : verdicts,
                TrustPoints: verdict is Preference.A or Preference.B ? TrustPoints.Of(verdict, verdicts) : null));
        }
        return pairs;
    }

    static Preference Jury(IReadOnlyList<JudgeVerdict> verdicts)
    {
        var decisive = verdicts.Where(v => v.Verdict is Preference.A or Preference.B).GroupBy(v => v.Verdict).OrderByDescending(g => g.Count()).ToList();
        if (decisive.Count == 0) return verdicts.All(v => v.Verdict == Preference.Unparseable) ? Preference.Unparseable : Preference.Tie;
        return decisive.Count > 1 && decisive[0].Count() == decisive[1].Count() ? Preference.Tie : decisive[0].Key;
    }

    static Preference Pick(Random random, double a, double b, double tie)
    {
        var x = random.NextDouble();
        return x < a ? Preference.A : x < a + b ? Preference.B : x < a + b + tie ? Preference.Tie : Preference.Unparseable;
    }

    static string Text(Random random, int min, int max)
    {
        var words = random.Next(min, max + 1);
        var text = new StringBuilder();
        if (random.Next(5) == 0) text.Append("# Heading\n");
        for (var w = 0; w < words; w++)
        {
            if (w > 0) text.Append(random.Next(12) == 0 ? "\n- " : " ");
            text.Append(Vocabulary[random.Next(Vocabulary.Length)]);
        }
        return text.ToString();
    }

    static async Task<List<TableEntity>> ItemRowsAsync(StorageClients storage, string runId)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in storage.Table(StorageNames.ReviewsTable).QueryAsync<TableEntity>(
                           e => e.PartitionKey == runId && e.RowKey.CompareTo(ItemPrefix) >= 0 && e.RowKey.CompareTo("item.") < 0))
            rows.Add(row);
        return rows;
    }

    /// <summary>Labels every item still short of its reviewers (or <paramref name="share"/> of them), written as the review
    /// API's label transaction leaves them: one label row per reviewer and the item's reviewer count.</summary>
    static async Task LabelAsync(StorageClients storage, string runId, IReadOnlyDictionary<string, PreferencePair> verdicts, Scenario scenario, int seed,
        double share = 1)
    {
        var reviewers = scenario.Reviewers;
        var table = storage.Table(StorageNames.ReviewsTable);
        var random = new Random(seed);
        foreach (var item in await ItemRowsAsync(storage, runId))
        {
            if ((item.GetInt32("Reviewers") ?? 0) >= reviewers) continue;
            if (random.NextDouble() >= share) continue;
            var count = share < 1 ? 1 + random.Next(reviewers) : reviewers;
            for (var r = 0; r < count; r++)
            {
                var reviewer = $"reviewer {r}";
                var label = (ReviewLabel)random.Next(3);
                var pair = verdicts[item.GetString("PairId")!];
                if (pair.IsDecisive && (pair.TrustPoints ?? 0) >= scenario.AgreeingPoints && random.NextDouble() < scenario.Agreement)
                    label = (pair.Verdict == Preference.A) != (item.GetBoolean("Flipped") == true) ? ReviewLabel.First : ReviewLabel.Second;
                await table.UpsertEntityAsync(new TableEntity(runId, $"{LabelPrefix}{item.RowKey}_{StorageKeys.Hash(reviewer, 24)}")
                {
                    ["ItemId"] = item.RowKey,
                    ["Reviewer"] = reviewer,
                    ["Label"] = label.ToString(),
                    ["SubmittedAt"] = LabelTime,
                });
            }
            await table.UpdateEntityAsync(new TableEntity(runId, item.RowKey) { ["Reviewers"] = count }, Azure.ETag.All, TableUpdateMode.Merge);
        }
    }
}
