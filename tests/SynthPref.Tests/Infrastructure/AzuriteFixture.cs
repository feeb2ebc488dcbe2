using System.Diagnostics;
using System.Text;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// A real Azurite (from the repo's npm install) on free loopback ports, in memory, for the test run.
/// SYNTHPREF_TEST_STORAGE overrides it with an existing account's connection string.
/// </summary>
public sealed class AzuriteFixture(string? location = null) : IAsyncLifetime
{
    const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    Process? process;
    readonly StringBuilder output = new();
    (int Blob, int Queue, int Table) ports;

    public string ConnectionString { get; private set; } = "";

    /// <summary>In memory unless <paramref name="location"/> is given: then its data is kept on disk there, so it
    /// survives <see cref="StopAsync"/> and a later <see cref="StartAsync"/>.</summary>
    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("SYNTHPREF_TEST_STORAGE") is { Length: > 0 } external && location is null)
        {
            ConnectionString = external;
            return;
        }
        ports = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        await StartAsync();
    }

    /// <summary>Starts Azurite (again) on the same ports.</summary>
    public async Task StartAsync()
    {
        var azurite = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
            throw new InvalidOperationException($"Azurite is not installed at {azurite}: run 'npm ci' in {RepoPaths.Root}.");

        var (blob, queue, table) = ports;
        var start = new ProcessStartInfo(azurite)
        {
            ArgumentList =
            {
                "--skipApiVersionCheck", "--disableProductStyleUrl", "--loose",
                "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(),
                "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(),
                "--tableHost", "127.0.0.1", "--tablePort", table.ToString(),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (location is null)
            start.ArgumentList.Insert(0, "--inMemoryPersistence");
        else
        {
            start.ArgumentList.Insert(0, location);
            start.ArgumentList.Insert(0, "--location");
        }
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            foreach (var port in new[] { blob, queue, table })
                await FreePort.WaitOpenAsync(port, TimeSpan.FromSeconds(60));
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Azurite did not start: {output}", e);
        }

        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
    }

    /// <summary>
    /// A service restart's stop: SIGTERM, on which Azurite stops answering and saves its data, then, as a service manager
    /// would, SIGKILL once it has said so, since it otherwise waits for every client's open connection to end.
    /// </summary>
    public async Task StopAsync()
    {
        if (process is not { HasExited: false }) return;
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            await kill.WaitForExitAsync();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!process.HasExited && DateTime.UtcNow < until)
        {
            string text;
            lock (output) text = output.ToString();
            if (new[] { "Blob", "Queue", "Table" }.All(s => text.Contains($"Azurite {s} service successfully closed"))) break;
            await Task.Delay(100);
        }
        if (!process.HasExited)
        {
            // The close handlers have run; the last writes are done once Azurite holds none of its data files open.
            var closing = DateTime.UtcNow.AddSeconds(10);
            while (location is not null && !process.HasExited && HoldsFilesUnder(process.Id, location) && DateTime.UtcNow < closing)
                await Task.Delay(50);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
        process = null;
    }

    static bool HoldsFilesUnder(int pid, string directory)
    {
        string[] fds;
        try
        {
            fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // the process is gone
        }
        return fds.Any(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget?.StartsWith(directory, StringComparison.Ordinal) == true;
            }
            catch (IOException)
            {
                return false; // closed while we looked
            }
        });
    }

    public Task DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process?.Dispose();
        return Task.CompletedTask;
    }
}
