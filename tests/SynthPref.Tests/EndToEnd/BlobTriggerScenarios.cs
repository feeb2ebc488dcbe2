using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>Uploads to synthpref-input start runs on both hosts: the local host's watcher finds them, a Functions app is sent Event Grid's BlobCreated event. One run per upload whatever is delivered again; bad metadata is a failed run naming the key.</summary>
public abstract class BlobTriggerScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : BlobTriggerScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : BlobTriggerScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task An_uploaded_jsonl_starts_exactly_one_run_per_upload_with_options_from_metadata()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var name = $"upload-{tag}.jsonl";
        var blob = fixture.Container("synthpref-input").GetBlobClient(name);
        var jsonl = $$"""
            {"id":"u1","prompt":"{{tag}} one","response_a":"[[good]] a","response_b":"b"}
            {"id":"u2","prompt":"{{tag}} two","response_a":"a","response_b":"[[good]] b"}
            """;
        var upload = await blob.UploadAsync(BinaryData.FromString(jsonl), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["critiquerevise"] = "false", ["reviewSampleSize"] = "0", ["name"] = "from-blob" },
        });
        await fixture.Host.AnnounceUploadAsync(blob);
        // A non-JSONL upload is not input.
        var notes = fixture.Container("synthpref-input").GetBlobClient($"notes-{tag}.txt");
        await notes.UploadAsync(BinaryData.FromString("hello"));
        await fixture.Host.AnnounceUploadAsync(notes);

        var expectedId = RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString());
        var status = await fixture.Api.WaitForAsync(await fixture.Api.WaitForRunAsync(expectedId), "Completed");
        Assert.Equal("from-blob", status.GetProperty("name").GetString());
        Assert.Equal($"blob:synthpref-input/{name}", status.GetProperty("source").GetString());
        var report = await fixture.Api.ReportAsync(expectedId);
        Assert.Equal(0, report.GetProperty("pairs").GetProperty("bySource").GetProperty("revision").GetInt32());
        Assert.Equal(4, fixture.JudgeCallsFor(tag));

        // Seeing the same upload again (a later poll; Event Grid's redelivery) starts nothing new.
        await fixture.Host.SeeUploadAgainAsync(blob);
        Assert.Equal(1, await RunsFromAsync(name));
        Assert.Equal(4, fixture.JudgeCallsFor(tag));

        // A new upload under the same name is new input, so it is a new run.
        var second = await blob.UploadAsync(BinaryData.FromString(jsonl), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" },
        });
        await fixture.Host.AnnounceUploadAsync(blob);
        var secondId = RunStarter.BlobRunId("synthpref-input", name, second.Value.ETag.ToString());
        Assert.NotEqual(expectedId, secondId);
        await fixture.Api.WaitForAsync(await fixture.Api.WaitForRunAsync(secondId), "Completed");
        Assert.Equal(2, await RunsFromAsync(name));
        Assert.Equal(0, await RunsFromAsync($"notes-{tag}.txt"));
    }

    [SkippableFact]
    public async Task An_upload_with_bad_metadata_is_listed_as_a_failed_run_naming_the_key()
    {
        var name = $"badmeta-{Guid.NewGuid():N}.jsonl";
        var blob = fixture.Container("synthpref-input").GetBlobClient(name);
        var upload = await blob.UploadAsync(
            BinaryData.FromString("""{"prompt":"p","response_a":"a","response_b":"b"}"""),
            new BlobUploadOptions { Metadata = new Dictionary<string, string> { ["reviewSampleSize"] = "lots" } });
        await fixture.Host.AnnounceUploadAsync(blob);

        var runId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString()));
        var status = await fixture.Api.StatusAsync(runId);
        Assert.Equal("Failed", status.GetProperty("status").GetString());
        Assert.Contains("reviewSampleSize", status.GetProperty("error").GetString());
        Assert.Contains(name, status.GetProperty("error").GetString());
        Assert.Empty(await fixture.PairRowsAsync(runId));
    }

    async Task<int> RunsFromAsync(string name) =>
        (await fixture.Api.Http.GetFromJsonAsync<JsonElement[]>("/api/runs?take=500"))!
            .Count(r => r.GetProperty("source").GetString() == $"blob:synthpref-input/{name}");
}
