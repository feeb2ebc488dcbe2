using Azure.Data.Tables;
using Azure.Storage.Blobs;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Tests.Infrastructure;

/// <summary>What a test asks of a host it starts for itself, whichever kind the host is: its judge, app settings (the
/// same names on both hosts, e.g. <c>Llm__MaxConcurrency</c>), and the orchestration version it stamps new runs with
/// (null: the app's own).</summary>
public sealed record HostSettings(Uri Llm, IReadOnlyDictionary<string, string>? AppSettings = null, string? OrchestrationVersion = null);

/// <summary>
/// Real Azurite, a real fake-judge HTTP server and one shared SynthPref host over them, for the end-to-end tests. The
/// fake judge decides from request content only, so tests sharing it cannot disturb each other. Scenarios written
/// against this run on either host: <see cref="PipelineFixture"/> (the local host) or
/// <see cref="FunctionsPipelineFixture"/> (the Functions app under the Azure Functions host).
/// </summary>
public abstract class TestPipeline : IAsyncLifetime
{
    /// <summary>Small, so ordinary test runs continue as new too.</summary>
    public const int ItemsPerExecution = 25;

    readonly AzuriteFixture azurite = new();

    public FakeOpenAiServer Llm { get; private set; } = null!;
    public JudgeGate Gate { get; } = new();
    public ISynthPrefHost Host { get; private set; } = null!;
    public SynthPrefApi Api { get; private set; } = null!;
    public string StorageConnectionString => azurite.ConnectionString;

    /// <summary>What the shared host had logged once it was up, before any test used it.</summary>
    public string StartupLog { get; private set; } = "";

    /// <summary><see cref="HostKinds.Local"/> or <see cref="HostKinds.Functions"/>.</summary>
    public abstract string Kind { get; }

    public async Task InitializeAsync()
    {
        if (!await CanRunAsync()) return;
        await azurite.InitializeAsync();
        Llm = await FakeOpenAiServer.StartAsync(async (request, ct) =>
        {
            await Gate.WaitAsync(request, ct);
            return FakeJudgeResponder.Respond(request, JudgePrompt.TryExtract);
        });
        var settings = new Dictionary<string, string>(JudgeSections(Llm.BaseUrl))
        {
            ["Judging__ItemsPerGeneration"] = ItemsPerExecution.ToString(),
            // Prices for the default judge's model only: the other judges' tokens are reported unpriced.
            ["Pricing__fake-judge__InputPerMillion"] = "2.5",
            ["Pricing__fake-judge__OutputPerMillion"] = "10",
        };
        Host = await StartSharedHostAsync(new HostSettings(Llm.BaseUrl, settings));
        StartupLog = Host.Log;
        Api = new SynthPrefApi(Host.CreateManagementClient());
    }

    /// <summary>False when this kind of host cannot run here (the fixture then starts nothing; its tests skip).</summary>
    protected virtual Task<bool> CanRunAsync() => Task.FromResult(true);

    /// <summary>The host the tests share: it also acts on uploads to the input container.</summary>
    protected abstract Task<ISynthPrefHost> StartSharedHostAsync(HostSettings settings);

    /// <summary>
    /// A host of this fixture's kind on a task hub of its own, over the same storage, not yet started. It does not act
    /// on uploads (the shared host owns them); its settings come on top of what every test host has.
    /// </summary>
    public abstract ISynthPrefHost NewHost(string hubName, HostSettings settings);

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

    public virtual async Task DisposeAsync()
    {
        Api?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        if (Llm is not null) await Llm.DisposeAsync();
        await azurite.DisposeAsync();
    }
}

/// <summary>The end-to-end tests' pipeline around the real local host (SynthPref.Local as a child process).</summary>
public sealed class PipelineFixture : TestPipeline
{
    public override string Kind => HostKinds.Local;

    public new LocalHostProcess Host => (LocalHostProcess)base.Host;

    protected override async Task<ISynthPrefHost> StartSharedHostAsync(HostSettings settings)
    {
        var host = new LocalHostProcess(StorageConnectionString, settings.Llm, "e2e", new Dictionary<string, string>(settings.AppSettings!));
        await host.StartAsync();
        return host;
    }

    public override ISynthPrefHost NewHost(string hubName, HostSettings settings)
    {
        var extra = new Dictionary<string, string>(settings.AppSettings ?? new Dictionary<string, string>())
        {
            ["BlobTrigger__Enabled"] = "false",
        };
        if (settings.OrchestrationVersion is { } version) extra["DurableTask__OrchestrationVersion"] = version;
        return CreateHost(hubName, settings.Llm, extra);
    }

    public LocalHostProcess CreateHost(string hubName, Uri llm, IDictionary<string, string>? extra = null) =>
        new(StorageConnectionString, llm, hubName, extra);
}

[CollectionDefinition(Name)]
public sealed class PipelineCollection : ICollectionFixture<PipelineFixture>
{
    public const string Name = "pipeline";
}
