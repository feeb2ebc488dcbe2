using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// A storage refusal that no check of a request can foresee reaches each host's own mapping (the local host's
/// exception handler, the Functions app's worker middleware) and is answered as the same 4xx ProblemDetails, never a
/// 500. Blobs in the Archive tier, as a lifecycle policy leaves them, make Azurite refuse every read with a real 409
/// BlobArchived: once inside a handler (an input or constitution copied before the 202), and once while a result is
/// written (an output blob, whose download starts at the first read of the stream the handler returned).
/// </summary>
public abstract class StorageProblemScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : StorageProblemScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : StorageProblemScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
    public async Task An_archived_input_or_constitution_is_a_409_ProblemDetails_naming_BlobArchived()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var uploads = fixture.Container(StorageNames.UploadsContainer);
        await uploads.CreateIfNotExistsAsync();
        var input = uploads.GetBlobClient($"archived-{tag}.jsonl");
        await input.UploadAsync(BinaryData.FromString("""{"prompt":"p","response_a":"a","response_b":"b"}""" + "\n"));
        await input.SetAccessTierAsync(AccessTier.Archive);
        var constitution = uploads.GetBlobClient($"archived-{tag}.json");
        await constitution.UploadAsync(BinaryData.FromString("""{"principles":["Be accurate."]}"""));
        await constitution.SetAccessTierAsync(AccessTier.Archive);

        await AssertArchivedAsync(await fixture.Api.PostRunAsync(new { inputBlob = $"{uploads.Name}/{input.Name}" }), "inputBlob");
        await AssertArchivedAsync(await fixture.Api.PostRunAsync(new
        {
            items = new[] { new { id = "1", prompt = $"{tag} archived constitution", response_a = "a", response_b = "b" } },
            options = new { constitution = $"{uploads.Name}/{constitution.Name}" },
        }), "options.constitution");
    }

    [SkippableFact]
    public async Task An_archived_output_is_a_409_ProblemDetails_naming_BlobArchived_not_a_half_written_200()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "1", prompt = $"{tag} archived outputs", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var outputs = fixture.Container(StorageNames.OutputContainer);
        foreach (var (route, name) in new[] { ("report", OutputStore.ReportJsonName), ("report.html", OutputStore.ReportHtmlName), ("dataset", OutputStore.DatasetName) })
        {
            // Readable until archived: the 409 is the tier's doing, not a missing or broken output.
            using (var before = await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/{route}"))
                Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            await outputs.GetBlobClient($"{run.RunId}/{name}").SetAccessTierAsync(AccessTier.Archive);
            await AssertArchivedAsync(await fixture.Api.Http.GetAsync($"/api/runs/{run.RunId}/{route}"), route);
        }
    }

    static async Task AssertArchivedAsync(HttpResponseMessage response, string what)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Conflict, $"{what}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal(409, problem.GetProperty("status").GetInt32());
            Assert.Equal("Storage refused the request", problem.GetProperty("title").GetString());
            Assert.Contains("409 (BlobArchived)", problem.GetProperty("detail").GetString());
        }
    }
}
