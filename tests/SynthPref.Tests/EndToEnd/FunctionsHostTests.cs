using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.DurableTask;
using SynthPref.Local.Durable;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Functions;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// What only the Functions runtime does with SynthPref.Functions, read from the host itself: host.json as the host and
/// the Durable extension took it, the functions and routes it indexed, its keys, the Event Grid subscription handshake,
/// and a log free of warnings about the app.
/// </summary>
[Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
public sealed class FunctionsHostTests
{
    readonly FunctionsPipelineFixture fixture;

    public FunctionsHostTests(FunctionsPipelineFixture fixture)
    {
        FunctionsPipelineFixture.SkipUnlessAvailable();
        this.fixture = fixture;
    }

    FunctionsHostProcess Host => fixture.Host;

    [SkippableFact]
    public async Task The_host_runs_host_json_with_the_current_default_version_and_the_durable_settings_the_app_relies_on()
    {
        using var admin = ((ISynthPrefHost)Host).CreateClient();
        admin.DefaultRequestHeaders.Add(ISynthPrefHost.ManagementKeyHeader, Host.MasterKey);
        var status = await admin.GetFromJsonAsync<JsonElement>("/admin/host/status");
        Assert.Equal("Running", status.GetProperty("state").GetString());
        Assert.False(status.TryGetProperty("errors", out var errors) && errors.GetArrayLength() > 0, status.ToString());
        // Admin routes are the master key's: a function key is known but not enough.
        using var withFunctionKey = ((ISynthPrefHost)Host).CreateManagementClient();
        Assert.Equal(HttpStatusCode.Forbidden, (await withFunctionKey.GetAsync("/admin/host/status")).StatusCode);

        // The Durable extension's options as it resolved them from host.json and the environment.
        var durable = HostLog.DurableOptions(Host.Log);
        Assert.Equal(OrchestrationVersions.Current, durable.GetProperty("defaultVersion").GetString());
        // Runs parked on an older version must stay runnable after an upgrade: newer workers take older runs.
        Assert.Equal("CurrentOrOlder", durable.GetProperty("versionMatchStrategy").GetString());
        Assert.Equal("Reject", durable.GetProperty("versionFailureStrategy").GetString());
        Assert.Equal("SynthPref", durable.GetProperty("hubName").GetString());
        Assert.Equal(4, durable.GetProperty("storageProvider").GetProperty("partitionCount").GetInt32());
        // The local host's default for the same LLM concurrency (Llm:MaxConcurrency 8): one slot per lane of the widest window.
        Assert.Equal(DurableBackendOptions.ActivitiesFor(new LlmOptions().MaxConcurrency, 0), durable.GetProperty("maxConcurrentActivityFunctions").GetInt32());
        Assert.Equal(8, durable.GetProperty("maxConcurrentOrchestratorFunctions").GetInt32());
        // Tracing settled (the host warns at every start while it is V1, the default, and under V2 without Application
        // Insights); the Bicep template turns V2 on beside Application Insights.
        Assert.True(durable.GetProperty("tracing").GetProperty("distributedTracingEnabled").GetBoolean());
        Assert.Equal("None", durable.GetProperty("tracing").GetProperty("version").GetString());
        // The test settings reached the extension as a deployment's app settings would.
        Assert.Equal(TimeSpan.FromSeconds(0.5), TimeSpan.Parse(durable.GetProperty("storageProvider").GetProperty("maxQueuePollingInterval").GetString()!));
        Assert.Equal(TimeSpan.FromSeconds(10), TimeSpan.Parse(durable.GetProperty("storageProvider").GetProperty("partitionTableOperationTimeout").GetString()!));

        // host.json as the host read it, and what it made of the HTTP settings.
        var hostJson = HostLog.HostConfiguration(Host.Log);
        Assert.Equal("00:30:00", hostJson.GetProperty("functionTimeout").GetString());
        Assert.Equal("api", hostJson.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());

        // Every function the app declares and every orchestration task it registers, as the host indexed them, and
        // exactly the local host's routes.
        var functions = HostLog.IndexedFunctions(Host.Log);
        var tasks = typeof(RunOrchestrator).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && (IsTask(t, typeof(TaskOrchestrator<,>)) || IsTask(t, typeof(TaskActivity<,>))))
            .Select(t => t.Name);
        var declared = FunctionsRouteParityTests.FunctionMethods().Select(m => m.GetCustomAttribute<Microsoft.Azure.Functions.Worker.FunctionAttribute>()!.Name);
        Assert.Equal(declared.Concat(tasks).Select(n => "Host.Functions." + n).Order(StringComparer.Ordinal), functions.Order(StringComparer.Ordinal));
        Assert.Equal(FunctionsRouteParityTests.LocalHostRoutes().Select(r => r.ToString()).Order(StringComparer.Ordinal),
            HostLog.MappedRoutes(Host.Log).Select(r => r.ToString()).Order(StringComparer.Ordinal));
    }

    static bool IsTask(Type type, Type generic)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == generic) return true;
        return false;
    }

    [SkippableFact]
    public async Task The_blob_webhook_answers_the_Event_Grid_subscription_handshake_and_wants_its_key()
    {
        var code = Guid.NewGuid().ToString();
        object[] validation =
        [
            new
            {
                id = Guid.NewGuid().ToString(),
                topic = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tests/providers/Microsoft.Storage/storageAccounts/devstoreaccount1",
                subject = "",
                eventType = "Microsoft.EventGrid.SubscriptionValidationEvent",
                eventTime = DateTimeOffset.UtcNow,
                dataVersion = "2",
                metadataVersion = "1",
                data = new { validationCode = code, validationUrl = "https://rp-eastus.eventgrid.azure.net/validate?code=x" },
            },
        ];
        using var http = ((ISynthPrefHost)Host).CreateClient();
        async Task<HttpResponseMessage> SendAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(validation) };
            request.Headers.Add("aeg-event-type", "SubscriptionValidation");
            return await http.SendAsync(request);
        }

        var answer = await SendAsync(Host.WebhookPath);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal(code, (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("validationResponse").GetString());

        // Without the blobs_extension key Event Grid's endpoint is closed, and a function key is not enough.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync($"/runtime/webhooks/blobs?functionName={FunctionsHostProcess.BlobFunction}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await SendAsync($"/runtime/webhooks/blobs?functionName={FunctionsHostProcess.BlobFunction}&code={Uri.EscapeDataString(Host.FunctionKey)}")).StatusCode);
    }

    /// <summary>
    /// A run with a label per item, under the host's own log: no "Setting HTTP status code" line (ASP.NET Core's
    /// typed results used to log one per response, so one per label), and no warning or error beyond the two the host
    /// itself logs for storage it has not created yet (see <see cref="HostLog.HostInfrastructureWarning"/>).
    /// </summary>
    [SkippableFact]
    public async Task A_reviewed_run_logs_nothing_per_label_and_no_warning_about_the_app()
    {
        var from = Host.Log.Length;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Enumerable.Range(0, 12).Select(i => new { id = $"l{i}", prompt = $"{tag} {i}", response_a = "[[good]] a", response_b = $"b {i}" }).ToArray(),
            options = new { critiqueRevise = false, reviewSampleSize = 12, minReviewsPerItem = 2 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        using var reviewer = new SynthPrefApi(((ISynthPrefHost)Host).CreateClient());
        foreach (var name in new[] { "ann", "bob" })
            foreach (var item in await reviewer.ReviewItemsAsync(run))
                Assert.Equal(HttpStatusCode.Accepted, (await reviewer.ReviewAsync(run.RunId, run.ReviewToken,
                    new { itemId = item.ItemId, reviewer = name, preference = "first" })).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(24, (await fixture.Api.ReportAsync(run.RunId)).GetProperty("review").GetProperty("votes").GetInt32());

        var log = Host.Log[from..];
        // The run's own work is in this slice of the log, so it is the right one to look at.
        Assert.Contains(run.RunId, log);
        Assert.Equal(24, Regex.Matches(log, @"Executed 'Functions\.SubmitReview' \(Succeeded").Count);
        Assert.DoesNotContain("Setting HTTP status code", log);
        var unexpected = HostLog.Entries(log).Where(e => e.Level is "warn" or "fail" or "crit" && !HostLog.HostInfrastructureWarning(e)).ToList();
        Assert.True(unexpected.Count == 0, "the host logged:\n" + string.Join("\n", unexpected.Select(e => e.Text)));
        // Nor at start-up, the host's or the worker's.
        var atStart = HostLog.Entries(fixture.StartupLog).Where(e => e.Level is "warn" or "fail" or "crit" && !HostLog.HostInfrastructureWarning(e)).ToList();
        Assert.True(atStart.Count == 0, "the host logged at start:\n" + string.Join("\n", atStart.Select(e => e.Text)));
    }
}

/// <summary>Reading the Functions host's console log (the format of its console logger: "level: Category[id]" and the
/// message indented below).</summary>
static class HostLog
{
    public sealed record Entry(string Level, string Category, string Text);

    public static IEnumerable<Entry> Entries(string log) =>
        Regex.Matches(log, @"(?m)^(trce|dbug|info|warn|fail|crit): ([^\[\r\n]+)\[\d+\]\r?\n((?:(?!(?:trce|dbug|info|warn|fail|crit): )[^\n]*\n?)*)")
            .Select(m => new Entry(m.Groups[1].Value, m.Groups[2].Value, m.Value));

    /// <summary>
    /// The warnings the host itself logs against fresh storage, whatever app it serves: Azure.Core logs each 404 at
    /// Warning, and the blob extension polls the Event Grid trigger's queue (azure-webjobs-blobtrigger-*) before the first
    /// delivery creates it, while the host's lock container (azure-webjobs-hosts) is made on its first 404.
    /// </summary>
    public static bool HostInfrastructureWarning(Entry entry) =>
        entry.Level == "warn" && entry.Category.StartsWith("Azure.Core", StringComparison.Ordinal)
        && Regex.IsMatch(entry.Text, @"Error response \[[^\]]+\] 404 The specified (queue|container) does not exist\.");

    /// <summary>The Durable extension's resolved options, as it logs them at start: the first start in the log.</summary>
    public static JsonElement DurableOptions(string log)
    {
        const string marker = "Durable extension configuration loaded: ";
        var start = log.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(start >= 0, "the host log has no durable configuration");
        using var reader = JsonDocument.Parse(log.AsMemory(start + marker.Length, log.IndexOf(". HubName:", start, StringComparison.Ordinal) - start - marker.Length));
        return reader.RootElement.Clone();
    }

    /// <summary>host.json as the host read it ("Host configuration file read:" and the file below, indented).</summary>
    public static JsonElement HostConfiguration(string log)
    {
        var match = Regex.Match(log, @"Host configuration file read:\r?\n((?:      [^\n]*\n)+)");
        Assert.True(match.Success, "the host log has no host configuration");
        using var document = JsonDocument.Parse(match.Groups[1].Value);
        return document.RootElement.Clone();
    }

    /// <summary>"Found the following functions:" of the last start, one name a line.</summary>
    public static IReadOnlyList<string> IndexedFunctions(string log)
    {
        var match = Regex.Matches(log, @"Found the following functions:\r?\n((?:      \S[^\n]*\n)+)").Last();
        return match.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The HTTP routes the host mapped at its last start ("Mapped function route 'api/…' [post] to '…'").</summary>
    public static IReadOnlyList<FunctionsRouteParityTests.Route> MappedRoutes(string log)
    {
        var last = log.LastIndexOf("Initializing function HTTP routes", StringComparison.Ordinal);
        return Regex.Matches(log[last..], @"Mapped function route '([^']+)' \[([a-z,]+)\] to '[^']+'")
            .SelectMany(m => m.Groups[2].Value.Split(',').Select(method =>
                new FunctionsRouteParityTests.Route(method.ToUpperInvariant(), FunctionsRouteParityTests.Normalize(m.Groups[1].Value))))
            .ToList();
    }
}
