using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Storage;

[Collection(PipelineCollection.Name)]
public sealed class ItemStoreTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_run_keeps_its_own_copy_of_exactly_the_upload_that_started_it()
    {
        var storage = StorageClients.FromConnectionString(fixture.StorageConnectionString);
        await storage.EnsureCreatedAsync();
        var items = new ItemStore(storage);
        var name = $"snap-{Guid.NewGuid():N}.jsonl";
        var source = fixture.Container("synthpref-uploads-test");
        await source.CreateIfNotExistsAsync();
        var blob = source.GetBlobClient(name);
        var first = await blob.UploadAsync(BinaryData.FromString("version 1"));

        var runId = $"run-snap-{Guid.NewGuid():N}"[..30];
        var snapshot = await items.SnapshotInputAsync(runId, $"synthpref-uploads-test/{name}", first.Value.ETag.ToString(), default);
        Assert.Null(snapshot.Error);
        Assert.Equal($"synthpref-runs/{runId}/input.jsonl", snapshot.Reference);

        // Overwriting or deleting the upload later changes nothing the run reads.
        await blob.UploadAsync(BinaryData.FromString("version 2"), overwrite: true);
        await using (var copy = await items.OpenInputAsync(snapshot.Reference!, default))
            Assert.Equal("version 1", await new StreamReader(copy!).ReadToEndAsync());

        // A stale ETag (the upload was replaced before its run started) copies nothing.
        var stale = await items.SnapshotInputAsync("run-stale", $"synthpref-uploads-test/{name}", first.Value.ETag.ToString(), default);
        Assert.Null(stale.Reference);
        Assert.Contains("was replaced", stale.Error);

        await blob.DeleteAsync();
        var gone = await items.SnapshotInputAsync("run-gone", $"synthpref-uploads-test/{name}", null, default);
        Assert.Contains("does not exist", gone.Error);
        Assert.Contains("must have the form", (await items.SnapshotInputAsync("run-x", "no-slash", null, default)).Error);
        Assert.Contains("not a valid blob name", (await items.SnapshotInputAsync("run-x", "Bad_Container!/x.jsonl", null, default)).Error);
    }
}
