using System.Diagnostics;
using System.Net.Http.Json;
using System.Reflection;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// The real SynthPref.Local host as a child process, so tests exercise exactly what users run, and a
/// restart can be a hard kill in the middle of a run.
/// </summary>
public sealed class LocalHostProcess : ISynthPrefHost
{
    public string HubName { get; }

    readonly Dictionary<string, string> environment;
    readonly StringBuilder log = new();
    Process? process;

    public LocalHostProcess(string storageConnectionString, Uri llmEndpoint, string hubName, IDictionary<string, string>? extra = null,
        int? port = null)
    {
        HubName = hubName;
        Port = port ?? FreePort.Next();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}");
        environment = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = storageConnectionString,
            ["DurableTask__HubName"] = hubName,
            ["DurableTask__PartitionCount"] = "1",
            ["DurableTask__MaxQueuePollingSeconds"] = "0.5",
            ["DurableTask__VisibilityTimeoutSeconds"] = "10",
            ["DurableTask__LeaseSeconds"] = "6",
            ["BlobTrigger__PollSeconds"] = "0.5",
            ["Llm__Provider"] = "OpenAICompatible",
            ["Llm__Endpoint"] = llmEndpoint.ToString().TrimEnd('/'),
            ["Llm__Model"] = "fake-judge",
            ["Llm__MaxConcurrency"] = "8",
            // A run that batches asks the fake's Batch API every second, not every minute.
            ["Llm__BatchPollSeconds"] = "1",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__SynthPref"] = "Information",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
            environment[key] = value;
    }

    public int Port { get; }
    public Uri BaseAddress { get; }
    public string Kind => HostKinds.Local;
    public string? ManagementKey => environment.GetValueOrDefault("Api__Key");

    /// <summary>The address the host listens on (--urls), on <see cref="Port"/>; loopback unless a test needs another.</summary>
    public string ListenAddress { get; init; } = "127.0.0.1";

    /// <summary>The host's command line instead of <c>--urls http://{ListenAddress}:{Port}</c>, for tests of how else it
    /// can be told where to listen.</summary>
    public IReadOnlyList<string>? Arguments { get; init; }

    /// <summary>The exit code, once the host has exited by itself.</summary>
    public int? ExitCode => process is { HasExited: true } p ? p.ExitCode : null;

    public int? ProcessId => process?.Id;

    /// <summary>Where the host is started; by default beside its binaries.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The host's peak resident set so far (VmHWM), in bytes; Linux only.</summary>
    public long PeakResidentBytes()
    {
        var line = File.ReadLines($"/proc/{process!.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
    public string Log { get { lock (log) return log.ToString(); } }

    public HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The watcher polls the input container by itself.</summary>
    public Task AnnounceUploadAsync(BlobClient blob) => Task.CompletedTask;

    /// <summary>
    /// The watcher lists blobs in name order, so once an upload named after this one has a run, a whole poll has passed
    /// this upload again. The later upload is a run of its own, of one item the fake judge answers at once.
    /// </summary>
    public async Task SeeUploadAgainAsync(BlobClient blob)
    {
        var stem = blob.Name.EndsWith(".jsonl", StringComparison.Ordinal) ? blob.Name[..^".jsonl".Length] : blob.Name;
        var later = blob.GetParentBlobContainerClient().GetBlobClient(stem + "~later.jsonl");
        if (string.CompareOrdinal(blob.Name, later.Name) >= 0)
            throw new InvalidOperationException($"{later.Name} does not sort after {blob.Name}");
        var upload = await later.UploadAsync(
            BinaryData.FromString($$"""{"id":"later","prompt":"{{Guid.NewGuid():N}} later","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" } });
        using var api = new SynthPrefApi(((ISynthPrefHost)this).CreateManagementClient());
        await api.WaitForRunAsync(RunStarter.BlobRunId(later.BlobContainerName, later.Name, upload.Value.ETag.ToString()));
    }

    public async Task StartAsync()
    {
        var dll = HostAssemblyPath();
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { dll },
            WorkingDirectory = WorkingDirectory ?? Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in Arguments ?? ["--urls", $"http://{ListenAddress}:{Port}"])
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = CreateClient();
        var until = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < until)
        {
            if (process.HasExited)
            {
                process.WaitForExit(); // drains the redirected output into Log
                throw new InvalidOperationException($"SynthPref.Local exited with {process.ExitCode}:\n{Log}");
            }
            try
            {
                // Up means storage and the durable worker are healthy; a host may still report a bad judge, which
                // the tests that configure one look at themselves.
                using var response = await http.GetAsync("/api/health");
                if (response.IsSuccessStatusCode) return;
                var health = await response.Content.ReadFromJsonAsync<HealthResponse>(SynthPrefApi.Json);
                if (health?.Checks.TryGetValue(SynthPrefHealthChecks.Durable, out var durable) == true && durable.Status == "Healthy"
                    && health.Checks.TryGetValue(SynthPrefHealthChecks.Storage, out var storage) && storage.Status == "Healthy")
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or NotSupportedException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"SynthPref.Local did not become healthy:\n{Log}");
    }

    /// <summary>A hard kill: no graceful shutdown, as a crash or a pulled plug would be.</summary>
    public void Kill()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process?.Dispose();
        process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    static string HostAssemblyPath()
    {
        var configuration = typeof(LocalHostProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(RepoPaths.Root, "SynthPref.Local", "bin", configuration, "net10.0", "SynthPref.Local.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build the solution first.");
        return dll;
    }
}
