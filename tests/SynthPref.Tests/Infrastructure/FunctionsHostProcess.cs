using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// SynthPref.Functions, published, under the real Azure Functions host (<see cref="FunctionsRuntime"/>), started with the
/// shared <c>start.sh</c> on a free port against the tests' Azurite. Keys live in files under the host's own state
/// folder, so a restart keeps them; management routes are called with the host's default function key, as an operator
/// with a function key would. This host build does not stop on SIGTERM: <see cref="Kill"/> sends SIGKILL to the host
/// and to its worker.
/// </summary>
public sealed class FunctionsHostProcess : ISynthPrefHost
{
    /// <summary>The blob function's name as the host knows it (functions.metadata), for the Event Grid webhook.</summary>
    public const string BlobFunction = "Host.Functions." + BlobInputFunction.FunctionName;

    readonly string appDirectory;
    readonly string hostDirectory;
    readonly string connectionString;
    readonly Dictionary<string, string> environment;
    readonly List<string> logFiles = [];
    int? hostPid;

    /// <param name="environment">What the host and through it the worker see besides what start.sh sets: app settings
    /// (<c>Llm__*</c>, …) and host.json overrides (<c>AzureFunctionsJobHost__…</c>).</param>
    public FunctionsHostProcess(string appDirectory, string hostDirectory, string connectionString, IReadOnlyDictionary<string, string> environment)
    {
        this.appDirectory = appDirectory;
        this.hostDirectory = hostDirectory;
        this.connectionString = connectionString;
        this.environment = new Dictionary<string, string>(environment);
        Port = FreePort.Next();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
        StateDirectory = Path.Combine(Path.GetTempPath(), $"synthpref-functions-state-{Guid.NewGuid():N}");
        // start.sh leaves the host running on its own: a test run that ends without disposing it must not leave it behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    public string Kind => HostKinds.Functions;
    public int Port { get; }
    public Uri BaseAddress { get; }

    /// <summary>Keys, logs and the host's temp files.</summary>
    public string StateDirectory { get; }

    /// <summary>The host's master key: admin routes (<c>/admin/…</c>) take it.</summary>
    public string MasterKey { get; private set; } = "";

    /// <summary>The host-level default function key: every function with <c>AuthorizationLevel.Function</c> takes it.</summary>
    public string FunctionKey { get; private set; } = "";

    /// <summary>The blob extension's system key, which authorises Event Grid deliveries to its webhook.</summary>
    public string BlobsExtensionKey { get; private set; } = "";

    public string? ManagementKey => FunctionKey;

    /// <summary>The host processes' ids of the current start: the host, then its worker.</summary>
    public IReadOnlyList<int> ProcessIds => hostPid is { } pid ? [pid, .. ChildrenOf(pid)] : [];

    /// <summary>The console log of every start, in order (start.sh writes a fresh file each time).</summary>
    public string Log => string.Join("\n", logFiles.Select(ReadShared));

    /// <summary>The log of the current start only.</summary>
    public string CurrentLog => logFiles.Count == 0 ? "" : ReadShared(logFiles[^1]);

    public async Task StartAsync()
    {
        if (hostPid is not null) throw new InvalidOperationException("The Functions host is already running.");
        var log = Path.Combine(StateDirectory, $"host-{logFiles.Count + 1}.log");
        logFiles.Add(log);
        var env = new Dictionary<string, string>(environment)
        {
            ["FUNCTIONS_HOST_DIR"] = hostDirectory,
            ["FUNCTIONS_HOST_LOG"] = log,
        };
        var (code, stdout, stderr) = await FunctionsRuntime.RunAsync("bash",
            [FunctionsRuntime.StartScript, appDirectory, Port.ToString(), connectionString, StateDirectory],
            RepoPaths.Root, TimeSpan.FromMinutes(4), env);
        var pid = Regex.Match(stdout, @"^HOST_PID=(\d+)", RegexOptions.Multiline);
        if (code != 0 || !pid.Success)
            throw new InvalidOperationException($"start.sh exited with {code}:\n{stdout}\n{stderr}");
        hostPid = int.Parse(pid.Groups[1].Value);
        MasterKey = Regex.Match(stdout, @"^MASTER_KEY=(\S+)", RegexOptions.Multiline).Groups[1].Value;
        ReadKeys();
        await WaitHealthyAsync();
    }

    /// <summary>The keys the host keeps in its file secrets store (written with a BOM, which the reader skips).</summary>
    void ReadKeys()
    {
        using var secrets = JsonDocument.Parse(File.ReadAllText(Path.Combine(StateDirectory, "secrets", "host.json")));
        string Key(string array, string name) => secrets.RootElement.GetProperty(array).EnumerateArray()
            .Single(k => k.GetProperty("name").GetString() == name).GetProperty("value").GetString()!;
        FunctionKey = Key("functionKeys", "default");
        BlobsExtensionKey = Key("systemKeys", "blobs_extension");
    }

    /// <summary>The host says Running once the worker has indexed the functions; this waits for SynthPref's own health
    /// (storage created, durable client on the hub), as the local host's start does. A bad judge is left to the tests.</summary>
    async Task WaitHealthyAsync()
    {
        using var http = ((ISynthPrefHost)this).CreateClient();
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (!IsAlive(hostPid!.Value))
                throw new InvalidOperationException($"The Functions host exited:\n{CurrentLog}");
            try
            {
                using var response = await http.GetAsync("/api/health");
                if (response.IsSuccessStatusCode) return;
                var health = await response.Content.ReadFromJsonAsync<HealthResponse>(SynthPrefApi.Json);
                if (health?.Checks.TryGetValue(SynthPrefHealthChecks.Durable, out var durable) == true && durable.Status == "Healthy"
                    && health.Checks.TryGetValue(SynthPrefHealthChecks.Storage, out var storage) && storage.Status == "Healthy")
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException or TaskCanceledException)
            {
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"SynthPref.Functions did not become healthy under the Functions host:\n{CurrentLog}");
    }

    /// <summary>SIGKILL to the host and its worker (the worker outlives a killed host otherwise), then waits until both
    /// are gone.</summary>
    public void Kill()
    {
        if (hostPid is not { } pid) return;
        var pids = ProcessIds;
        foreach (var p in pids)
        {
            try { System.Diagnostics.Process.GetProcessById(p).Kill(); } // SIGKILL on Unix
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        var until = DateTime.UtcNow.AddSeconds(30);
        while (pids.Any(IsAlive) && DateTime.UtcNow < until) Thread.Sleep(50);
        hostPid = null;
    }

    public Task AnnounceUploadAsync(BlobClient blob) => DeliverBlobCreatedAsync(blob);

    /// <summary>A redelivery of the same event (Event Grid delivers at least once), then a wait until the function has
    /// finished with it.</summary>
    public async Task SeeUploadAgainAsync(BlobClient blob)
    {
        var before = BlobInvocations();
        await DeliverBlobCreatedAsync(blob);
        var until = DateTime.UtcNow.AddSeconds(60);
        while (BlobInvocations() <= before)
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"The redelivered event for {blob.Name} was never handled:\n{CurrentLog}");
            await Task.Delay(100);
        }
    }

    /// <summary>Invocations of the blob function that ended, by the host's own log.</summary>
    public int BlobInvocations() => Regex.Matches(Log, $@"Executed 'Functions\.{BlobInputFunction.FunctionName}' \(").Count;

    /// <summary>
    /// What Event Grid does on Azure: POSTs a <c>Microsoft.Storage.BlobCreated</c> event for the blob's current version
    /// to the blob extension's webhook, addressed to the function and authorised by the blobs_extension key. The event
    /// id follows the blob version, so delivering again is a redelivery, as Event Grid's retries are.
    /// </summary>
    public async Task<HttpResponseMessage> DeliverBlobCreatedAsync(BlobClient blob)
    {
        var properties = (await blob.GetPropertiesAsync()).Value;
        var id = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{blob.Uri}\n{properties.ETag}")).AsSpan(0, 16));
        var events = new[]
        {
            new
            {
                id = id.ToString(),
                topic = $"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/tests/providers/Microsoft.Storage/storageAccounts/{blob.AccountName}",
                subject = $"/blobServices/default/containers/{blob.BlobContainerName}/blobs/{blob.Name}",
                eventType = "Microsoft.Storage.BlobCreated",
                eventTime = properties.LastModified,
                dataVersion = "",
                metadataVersion = "1",
                data = new
                {
                    api = "PutBlob",
                    contentType = properties.ContentType,
                    contentLength = properties.ContentLength,
                    blobType = "BlockBlob",
                    eTag = properties.ETag.ToString(),
                    url = blob.Uri.ToString(),
                },
            },
        };
        using var http = ((ISynthPrefHost)this).CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookPath) { Content = JsonContent.Create(events) };
        request.Headers.Add("aeg-event-type", "Notification");
        var response = await http.SendAsync(request);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"The blob webhook answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return response;
    }

    /// <summary>The blob extension's webhook for the blob function, with its key.</summary>
    public string WebhookPath => $"/runtime/webhooks/blobs?functionName={BlobFunction}&code={Uri.EscapeDataString(BlobsExtensionKey)}";

    /// <summary>Kills the host and removes its state; with SYNTHPREF_FUNCTIONS_HOST_LOGS set to a folder, its logs are
    /// kept there first (one file per host and start), for reading after the run.</summary>
    public ValueTask DisposeAsync()
    {
        Kill();
        if (Environment.GetEnvironmentVariable("SYNTHPREF_FUNCTIONS_HOST_LOGS") is { Length: > 0 } keep)
        {
            Directory.CreateDirectory(keep);
            foreach (var file in logFiles.Where(File.Exists))
                File.Copy(file, Path.Combine(keep, $"{Path.GetFileName(StateDirectory)}-{Path.GetFileName(file)}"), overwrite: true);
        }
        try { Directory.Delete(StateDirectory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return ValueTask.CompletedTask;
    }

    static string ReadShared(string path)
    {
        if (!File.Exists(path)) return "";
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    static IEnumerable<int> ChildrenOf(int pid)
    {
        var path = $"/proc/{pid}/task/{pid}/children";
        return File.Exists(path)
            ? File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).SelectMany(c => ChildrenOf(c).Prepend(c)).ToList()
            : [];
    }

    /// <summary>Running, or at least not yet a zombie: a killed orphan may wait a while for its reaper.</summary>
    static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
