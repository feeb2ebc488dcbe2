using System.Diagnostics;
using System.Text;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// A real Azurite (from the repo's npm install) on free loopback ports, in memory, for the test run.
/// SYNTHPREF_TEST_STORAGE overrides it with an existing account's connection string.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    const string DevKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    Process? process;
    readonly StringBuilder output = new();

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("SYNTHPREF_TEST_STORAGE") is { Length: > 0 } external)
        {
            ConnectionString = external;
            return;
        }

        var azurite = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(azurite))
            throw new InvalidOperationException($"Azurite is not installed at {azurite}: run 'npm ci' in {RepoPaths.Root}.");

        var (blob, queue, table) = (FreePort.Next(), FreePort.Next(), FreePort.Next());
        var start = new ProcessStartInfo(azurite)
        {
            ArgumentList =
            {
                "--inMemoryPersistence", "--skipApiVersionCheck", "--disableProductStyleUrl", "--loose",
                "--blobHost", "127.0.0.1", "--blobPort", blob.ToString(),
                "--queueHost", "127.0.0.1", "--queuePort", queue.ToString(),
                "--tableHost", "127.0.0.1", "--tablePort", table.ToString(),
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
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
