using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class InputValidationTests(PipelineFixture fixture)
{
    /// <summary>[ok, missing prompt, only response_a] without critique-revise: the third item yields no pair, and the
    /// bad second line must not hide it, in the HTTP path and in the run's own load of a blob alike.</summary>
    static readonly string[] OnlyResponseALines =
    [
        """{"id":"ok","prompt":"fine","response_a":"a","response_b":"b"}""",
        """{"id":"no-prompt","response_a":"a","response_b":"b"}""",
        """{"id":"a-only","prompt":"p","response_a":"a"}""",
    ];

    [Fact]
    public async Task Inline_items_name_an_item_with_only_response_a_beside_another_bad_line()
    {
        var response = await fixture.Api.PostRunAsync(new
        {
            items = OnlyResponseALines.Select(l => JsonDocument.Parse(l).RootElement).ToArray(),
            options = new { critiqueRevise = false },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["line 2.prompt", "line 3.response_b"], problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).Order());
    }

    [Fact]
    public async Task A_blob_names_an_item_with_only_response_a_beside_another_bad_line()
    {
        var name = $"only-a-{Guid.NewGuid():N}.jsonl";
        var upload = await fixture.Container("synthpref-input").GetBlobClient(name).UploadAsync(
            BinaryData.FromString(string.Join('\n', OnlyResponseALines)),
            new Azure.Storage.Blobs.Models.BlobUploadOptions { Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false" } });

        var runId = RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString());
        var status = await fixture.Api.WaitForAsync(await fixture.Api.WaitForRunAsync(runId), "Failed");
        var error = status.GetProperty("error").GetString()!;
        Assert.StartsWith($"Input 'synthpref-input/{name}' has 2 invalid line(s)", error);
        Assert.Contains("line 2, field 'prompt'", error);
        Assert.Contains("line 3, field 'response_b'", error);
        // The same errors as data: they crossed from the loading step to the run as failure properties.
        Assert.Equal([(2, "prompt"), (3, "response_b")],
            status.GetProperty("inputErrors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt32(), e.GetProperty("field").GetString())));
        Assert.False(status.GetProperty("progress").TryGetProperty("failure", out _));
        Assert.Empty(await fixture.PairRowsAsync(runId));
    }


}
