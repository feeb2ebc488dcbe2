using Azure.Data.Tables;
using Azure.Storage.Blobs;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// Real Azurite, a real fake-judge HTTP server and the real local host, shared by the end-to-end tests.
/// The fake judge decides from request content only, so tests sharing it cannot disturb each other.
/// </summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    /// <summary>Small, so ordinary test runs continue as new too.</summary>
    public const int ItemsPerExecution = 25;

    readonly AzuriteFixture azurite = new();

    public FakeOpenAiServer Llm { get; private set; } = null!;
    public JudgeGate Gate { get; } = new();
    public LocalHostProcess Host { get; private set; } = null!;
    public SynthPrefApi Api { get; private set; } = null!;
    public string StorageConnectionString => azurite.ConnectionString;

    public async Task InitializeAsync()
    {
        await azurite.InitializeAsync();
        Llm = await FakeOpenAiServer.StartAsync(async (request, ct) =>
        {
            await Gate.WaitAsync(request, ct);
            return FakeJudgeResponder.Respond(request, JudgePrompt.TryExtract);
        });
        Host = new LocalHostProcess(azurite.ConnectionString, Llm.BaseUrl, "e2e", new Dictionary<string, string>(JudgeSections(Llm.BaseUrl))
        {
            ["Judging__ItemsPerGeneration"] = ItemsPerExecution.ToString(),
            // Prices for the default judge's model only: the other judges' tokens are reported unpriced.
            ["Pricing__fake-judge__InputPerMillion"] = "2.5",
            ["Pricing__fake-judge__OutputPerMillion"] = "10",
        });
        await Host.StartAsync();
        Api = new SynthPrefApi(Host.CreateClient());
    }

    /// <summary>
    /// Judges a run may name, all on the one fake server; the fake reads each one's character from its model name
    /// (<see cref="FakeJudgeResponder"/>): "alpha" judges as the default judge does, "contrarian" prefers the other
    /// response, "noschema" refuses structured output.
    /// </summary>
    public static IReadOnlyDictionary<string, string> JudgeSections(Uri llm)
    {
        var sections = new Dictionary<string, string>();
        foreach (var (name, model) in new[] { ("alpha", "fake-alpha"), ("contrarian", "fake-contrarian"), ("noschema", "fake-noschema") })
        {
            sections[$"Judges__{name}__Provider"] = "OpenAICompatible";
            sections[$"Judges__{name}__Endpoint"] = llm.ToString().TrimEnd('/');
            sections[$"Judges__{name}__Model"] = model;
            sections[$"Judges__{name}__MaxConcurrency"] = "4";
        }
        return sections;
    }

    public LocalHostProcess CreateHost(string hubName, Uri llm, IDictionary<string, string>? extra = null) =>
        new(azurite.ConnectionString, llm, hubName, extra);

    public TableClient Table(string name) => new TableServiceClient(azurite.ConnectionString).GetTableClient(name);
    public BlobContainerClient Container(string name) => new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient(name);

    public async Task<List<TableEntity>> PairRowsAsync(string runId)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in Table(StorageNames.PairsTable).QueryAsync<TableEntity>(e => e.PartitionKey == runId))
            rows.Add(row);
        return rows;
    }

    /// <summary>Judge calls the fake received whose query contains the marker.</summary>
    public int JudgeCallsFor(string marker) => Llm.Requests.Count(r =>
        r.Messages.LastOrDefault(m => m.Role == "user") is { } user
        && JudgePrompt.TryExtract(user.Text, out var query, out _, out _)
        && query.Contains(marker, StringComparison.Ordinal));

    public async Task DisposeAsync()
    {
        Api?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        if (Llm is not null) await Llm.DisposeAsync();
        await azurite.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
