using System.Text;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Storage;

/// <summary>
/// A streamed deliverable (dataset.jsonl, escalated.jsonl) in real storage (Azurite): a pass that fails midway, after
/// several blocks were staged, leaves the file an earlier pass wrote whole; a committed one replaces it, every block
/// in order, with its content type.
/// </summary>
public sealed class OutputStoreTests(AzuriteStorage azurite) : IClassFixture<AzuriteStorage>
{
    readonly StorageClients storage = azurite.Storage;

    [Fact]
    public async Task A_stream_that_fails_before_its_commit_leaves_the_earlier_file_whole()
    {
        var output = new OutputStore(storage);
        var runId = "run-staged-" + Guid.NewGuid().ToString("N")[..8];
        var complete = string.Concat(Enumerable.Range(0, 40).Select(i => $"{{\"row\":{i},\"text\":\"naïve café 😀\"}}\n"));
        await WriteAsync(output, runId, complete, commit: true);
        Assert.Equal(complete, await ReadAsync(output, runId));

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => WriteAsync(output, runId, complete.Replace("row", "lost"), commit: false));
        Assert.Equal("the pass failed", failed.Message);
        Assert.Equal(complete, await ReadAsync(output, runId));

        var next = string.Concat(Enumerable.Range(0, 25).Select(i => $"{{\"row\":{i},\"next\":true}}\n"));
        await WriteAsync(output, runId, next, commit: true);
        Assert.Equal(next, await ReadAsync(output, runId));
        var properties = await storage.Container(StorageNames.OutputContainer).GetBlobClient($"{runId}/{OutputStore.DatasetName}").GetPropertiesAsync();
        Assert.Equal("application/x-ndjson", properties.Value.ContentType);

        await WriteAsync(output, runId, "", commit: true);
        Assert.Equal("", await ReadAsync(output, runId));
    }

    /// <summary>The text written line by line in blocks of 64 bytes; without a commit, the pass fails after its last line.</summary>
    static async Task WriteAsync(OutputStore output, string runId, string text, bool commit)
    {
        await using var stream = output.OpenWrite(runId, OutputStore.DatasetName, "application/x-ndjson", blockBytes: 64);
        Assert.Equal(OutputStore.PathOf(runId, OutputStore.DatasetName), stream.Path);
        foreach (var line in text.Split('\n').SkipLast(1))
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
        Assert.Equal(Encoding.UTF8.GetByteCount(text), stream.Length);
        if (!commit) throw new InvalidOperationException("the pass failed");
        await stream.CommitAsync(default);
    }

    static async Task<string> ReadAsync(OutputStore output, string runId)
    {
        await using var stream = await output.OpenAsync(runId, OutputStore.DatasetName, default) ?? throw new InvalidOperationException("no file");
        return await new StreamReader(stream).ReadToEndAsync();
    }
}
