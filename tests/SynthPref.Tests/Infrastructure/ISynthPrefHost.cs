using Azure.Storage.Blobs;

namespace SynthPref.Tests.Infrastructure;

/// <summary>The two hosts SynthPref ships, as the tests name them (and as <c>[Trait("Host", …)]</c> filters them).</summary>
public static class HostKinds
{
    public const string Local = "Local";
    public const string Functions = "Functions";
}

/// <summary>
/// A SynthPref host under test, run as its users run it (a child process of the test run) and driven only over HTTP
/// and storage: the local host (<see cref="LocalHostProcess"/>) or the Functions app under the real Azure Functions
/// host (<see cref="FunctionsHostProcess"/>). Scenarios written against this run on both.
/// </summary>
public interface ISynthPrefHost : IAsyncDisposable
{
    /// <summary><see cref="HostKinds.Local"/> or <see cref="HostKinds.Functions"/>.</summary>
    string Kind { get; }

    Uri BaseAddress { get; }

    /// <summary>The key management routes take in <see cref="ManagementKeyHeader"/>; null when the host asks for none.</summary>
    string? ManagementKey { get; }

    /// <summary>Everything the host (and under Functions, its worker) has logged since it was created, across restarts.</summary>
    string Log { get; }

    /// <summary>Starts the host and returns once its health says storage and the durable worker are up.</summary>
    Task StartAsync();

    /// <summary>A hard kill (SIGKILL) of the host and every process it started, as a crash would be.</summary>
    void Kill();

    /// <summary>
    /// Makes the host act on an upload to <c>synthpref-input</c> as it does in production: the local host's watcher
    /// finds it by itself; a Functions app is sent the Event Grid <c>BlobCreated</c> event Azure would send.
    /// </summary>
    Task AnnounceUploadAsync(BlobClient blob);

    /// <summary>
    /// Returns once the host has certainly seen this upload again after it started its run: a later poll of the local
    /// host's watcher, or a redelivery of the same Event Grid event that the Functions app has finished handling.
    /// </summary>
    Task SeeUploadAgainAsync(BlobClient blob);

    /// <summary>An HTTP client on the host with no key, as a reviewer or a probe calls it.</summary>
    HttpClient CreateClient() => new() { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>An HTTP client that sends the management key, as an operator calls the host.</summary>
    HttpClient CreateManagementClient()
    {
        var http = CreateClient();
        if (ManagementKey is { } key) http.DefaultRequestHeaders.Add(ManagementKeyHeader, key);
        return http;
    }

    /// <summary>The header both hosts take the management key in: Azure Functions' own for function keys.</summary>
    const string ManagementKeyHeader = "x-functions-key";
}
