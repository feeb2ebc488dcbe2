namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// The end-to-end pipeline around SynthPref.Functions under the real Azure Functions host: Azurite and the fake judge
/// of its own (a local host's blob watcher on the same storage would start runs from the uploads meant for it), and one
/// shared host on host.json's own task hub. Without <c>../shared/tools/functions-host</c> it starts nothing, and its
/// tests skip saying why (<see cref="SkipUnlessAvailable"/>).
/// </summary>
public sealed class FunctionsPipelineFixture : TestPipeline
{
    public override string Kind => HostKinds.Functions;

    public new FunctionsHostProcess Host => (FunctionsHostProcess)base.Host;

    /// <summary>Throws xUnit's skip for the calling test when the Functions host is not available here.</summary>
    public static void SkipUnlessAvailable() => Skip.If(FunctionsRuntime.Unavailable is not null, FunctionsRuntime.Unavailable);

    protected override Task<bool> CanRunAsync() => Task.FromResult(FunctionsRuntime.Unavailable is null);

    protected override async Task<ISynthPrefHost> StartSharedHostAsync(HostSettings settings)
    {
        var host = await CreateAsync(settings, hubName: null);
        try
        {
            await host.StartAsync();
        }
        catch
        {
            // The exception has the host's log; its state folder goes (SYNTHPREF_FUNCTIONS_HOST_LOGS keeps the log).
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    public override ISynthPrefHost NewHost(string hubName, HostSettings settings) =>
        CreateAsync(settings, hubName).GetAwaiter().GetResult();

    /// <summary>
    /// The settings every test host gets on top of host.json, as a deployment would set them, and nothing else from
    /// host.json is changed: the queues are polled at most every half second (not 30 s) so a test waits for work, not
    /// for back-off; a crashed host's messages reappear after a minute (not 5; the extension allows no less) so a
    /// restart resumes soon; and the partition table's operations may take 10 s (not 2) before the extension warns,
    /// since Azurite on two busy cores sometimes takes longer than Azure Storage ever should.
    /// </summary>
    async Task<FunctionsHostProcess> CreateAsync(HostSettings settings, string? hubName)
    {
        const string durable = "AzureFunctionsJobHost__extensions__durableTask__";
        var environment = new Dictionary<string, string>
        {
            ["Llm__Provider"] = "OpenAICompatible",
            ["Llm__Endpoint"] = settings.Llm.ToString().TrimEnd('/'),
            ["Llm__Model"] = "fake-judge",
            ["Llm__MaxConcurrency"] = "8",
            [durable + "storageProvider__maxQueuePollingInterval"] = "00:00:00.5",
            [durable + "storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
            [durable + "storageProvider__workItemQueueVisibilityTimeout"] = "00:01:00",
            [durable + "storageProvider__partitionTableOperationTimeout"] = "00:00:10",
        };
        if (hubName is not null) environment[durable + "hubName"] = hubName;
        if (settings.OrchestrationVersion is { } version) environment[durable + "defaultVersion"] = version;
        foreach (var (key, value) in settings.AppSettings ?? new Dictionary<string, string>())
            environment[key] = value;
        return new FunctionsHostProcess(await FunctionsRuntime.AppDirectoryAsync(), await FunctionsRuntime.HostDirectoryAsync(),
            StorageConnectionString, environment);
    }
}

/// <summary>
/// The Functions-host tests: one collection, run after the parallel ones and alone (two Functions hosts and the local
/// pipeline on two cores at once would only make each slower), sharing one fixture.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FunctionsHostCollection : ICollectionFixture<FunctionsPipelineFixture>
{
    public const string Name = "functions-host";
}
