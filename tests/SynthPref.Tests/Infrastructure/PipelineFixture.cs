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
    public const int ItemsPerGeneration = 25;

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
        Host = new LocalHostProcess(azurite.ConnectionString, Llm.BaseUrl, "e2e", new Dictionary<string, string>
        {
            ["Judging__ItemsPerGeneration"] = ItemsPerGeneration.ToString(),
        });
        await Host.StartAsync();
        Api = new SynthPrefApi(Host.CreateClient());
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
