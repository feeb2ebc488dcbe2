using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Storage;

[Collection(PipelineCollection.Name)]
public sealed class InputStoreTests(PipelineFixture fixture)
{
    [Fact]
    public async Task A_run_keeps_its_own_copy_of_exactly_the_upload_that_started_it()
    {
        var storage = StorageClients.FromConnectionString(fixture.StorageConnectionString);
        await storage.EnsureCreatedAsync();
        using var items = new InputStore(storage);
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

    [Fact]
    public async Task Each_item_is_read_back_through_the_manifest_exactly_as_validated()
    {
        var storage = StorageClients.FromConnectionString(fixture.StorageConnectionString);
        await storage.EnsureCreatedAsync();
        using var store = new InputStore(storage);
        var runId = $"run-manifest-{Guid.NewGuid():N}"[..30];
        // A BOM, CRLF line ends, blank lines and non-ASCII text: the byte ranges must still be exact.
        var jsonl = "\uFEFF{\"id\":\"a\",\"prompt\":\"Grüße\",\"response_a\":\"x\",\"response_b\":\"y\"}\r\n\r\n" +
                    "{\"prompt\":\"second 🙂\"}\n   \n{\"id\":7,\"prompt\":\"third\",\"category\":\"c\",\"response_a\":\"only\"}";
        await fixture.Container(StorageNames.WorkContainer).GetBlobClient(InputStore.InputPath(runId))
            .UploadAsync(BinaryData.FromString(jsonl), overwrite: true);
        var loader = new InputLoader(store);

        var loaded = await loader.LoadAsync(runId, $"{StorageNames.WorkContainer}/{InputStore.InputPath(runId)}", "t.jsonl",
            critiqueRevise: true, new InputOptions(), null, default);

        Assert.Null(loaded.Error);
        Assert.Equal((3, 1, 1), (loaded.Items, loaded.ToGenerate, loaded.ReviseOnly));
        var expected = (await SynthPref.Tests.Unit.RunInputs.LoadAsync(jsonl)).Items;
        for (var i = 0; i < 3; i++)
            Assert.Equal(expected[i], await store.ReadItemAsync(runId, i, critiqueRevise: true, default));
        Assert.Equal([1, 3, 5], expected.Select(e => e.Line));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => store.ReadItemAsync(runId, 3, true, default));
    }

    [Fact]
    public async Task A_bad_input_writes_no_manifest_and_names_every_bad_line()
    {
        var storage = StorageClients.FromConnectionString(fixture.StorageConnectionString);
        await storage.EnsureCreatedAsync();
        using var store = new InputStore(storage);
        var runId = $"run-badload-{Guid.NewGuid():N}"[..30];
        var lines = Enumerable.Range(1, 120).Select(i => i % 2 == 0 ? "{\"prompt\":\"ok\"}" : "{\"id\":" + i + "}");
        await fixture.Container(StorageNames.WorkContainer).GetBlobClient(InputStore.InputPath(runId))
            .UploadAsync(BinaryData.FromString(string.Join("\n", lines)), overwrite: true);

        var refused = await Assert.ThrowsAsync<InputRejectedException>(() => new InputLoader(store).LoadAsync(runId,
            $"{StorageNames.WorkContainer}/{InputStore.InputPath(runId)}", "bad.jsonl", critiqueRevise: true, new InputOptions(), null, default));

        Assert.StartsWith("Input 'bad.jsonl' has 60 invalid line(s):", refused.Message);
        Assert.Contains("line 1, field 'prompt'", refused.Message);
        Assert.Contains("... and 10 more", refused.Message);
        Assert.Equal((InputLoader.ErrorsKept, 60, 60), (refused.Rejection.Errors.Count, refused.Rejection.TotalErrors, refused.Rejection.InvalidLines));
        Assert.False(await fixture.Container(StorageNames.WorkContainer).GetBlobClient($"{runId}/manifest.bin").ExistsAsync());
    }

    [Fact]
    public async Task Inline_items_are_read_back_by_their_positions_through_the_run_copy()
    {
        // The whole path an inline input takes: streamed from the request into the run's copy, loaded by the run, and
        // each item read back through the manifest.
        var storage = StorageClients.FromConnectionString(fixture.StorageConnectionString);
        await storage.EnsureCreatedAsync();
        using var store = new InputStore(storage);
        var runId = $"run-inline-{Guid.NewGuid():N}"[..30];
        using var inline = new InlineInput(store, runId, new InputOptions());
        await Orchestration.Api.StartRunBodyReader.ReadAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(
            """{"items":[{"prompt":"a"},{"id":9,"prompt":"b","response_a":"x","response_b":"y"}]}""")), inline, default);
        Assert.True(inline.Finish(critiqueRevise: true).IsValid);
        var reference = await inline.CommitAsync(default);

        var loaded = await new InputLoader(store).LoadAsync(runId, reference, "items", critiqueRevise: true, new InputOptions(), null, default);

        Assert.Equal(2, loaded.Items);
        Assert.Equal(new InputItem(0, "1", "a", "uncategorized", null, null, null, null, Line: 1), await store.ReadItemAsync(runId, 0, true, default));
        Assert.Equal(new InputItem(1, "9", "b", "uncategorized", "x", "y", null, null, Line: 2), await store.ReadItemAsync(runId, 1, true, default));
    }
}
