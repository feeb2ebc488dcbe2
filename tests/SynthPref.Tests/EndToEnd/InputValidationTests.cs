using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class InputValidationTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Inline_items_with_bad_lines_are_rejected_with_every_line_and_field_named()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var before = (await fixture.Api.Http.GetFromJsonAsync<JsonElement[]>("/api/runs?take=500"))!.Length;
        var response = await fixture.Api.PostRunAsync(new
        {
            items = new object[]
            {
                new { id = "ok", prompt = $"{tag} fine", response_a = "a", response_b = "b" },
                new { id = "no-prompt", response_a = "a", response_b = "b" },
                new { id = "ok", prompt = $"{tag} dup", response_a = 5 },
            },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        Assert.True(errors.TryGetProperty("line 2.prompt", out _), problem.ToString());
        Assert.True(errors.TryGetProperty("line 3.id", out _), problem.ToString());
        Assert.True(errors.TryGetProperty("line 3.response_a", out _), problem.ToString());
        Assert.Contains("line 2", problem.GetProperty("detail").GetString());

        // Nothing was started and the judge was never called.
        Assert.Equal(before, (await fixture.Api.Http.GetFromJsonAsync<JsonElement[]>("/api/runs?take=500"))!.Length);
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));
    }

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

    [Fact]
    public async Task Bad_options_and_a_missing_input_are_rejected()
    {
        var badOptions = await fixture.Api.PostRunAsync(new
        {
            items = new object[] { new { prompt = "p", response_a = "a", response_b = "b" } },
            options = new { reviewDeadline = "seven days", minReviewsPerItem = 0 },
        });
        Assert.Equal(HttpStatusCode.BadRequest, badOptions.StatusCode);
        var text = await badOptions.Content.ReadAsStringAsync();
        Assert.Contains("options.reviewDeadline", text);
        Assert.Contains("options.minReviewsPerItem", text);

        var missingBlob = await fixture.Api.PostRunAsync(new { inputBlob = "synthpref-input/does-not-exist.jsonl" });
        Assert.Equal(HttpStatusCode.BadRequest, missingBlob.StatusCode);
        Assert.Contains("does not exist", await missingBlob.Content.ReadAsStringAsync());

        var neither = await fixture.Api.PostRunAsync(new { name = "empty" });
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);

        var notJson = await fixture.Api.Http.PostAsync("/api/runs", new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        var notJsonType = await fixture.Api.Http.PostAsync("/api/runs", new StringContent("{}", System.Text.Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, notJsonType.StatusCode);
    }

    [Fact]
    public async Task A_started_run_answers_like_a_durable_http_starter()
    {
        var response = await fixture.Api.PostRunAsync(new
        {
            items = new object[] { new { prompt = "starter", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(["runId", "statusUri", "reviewUri", "reviewToken"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(body.GetProperty("statusUri").GetString(), response.Headers.Location?.ToString());
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        await fixture.Api.WaitForAsync(body.GetProperty("runId").GetString()!, "Completed");

        // Behind a proxy, links use the forwarded scheme and host.
        using var proxied = new HttpRequestMessage(HttpMethod.Post, "/api/runs")
        {
            Content = JsonContent.Create(new
            {
                items = new object[] { new { prompt = "proxied", response_a = "a", response_b = "b" } },
                options = new { critiqueRevise = false, reviewSampleSize = 0 },
            }),
        };
        proxied.Headers.Add("X-Forwarded-Proto", "https");
        proxied.Headers.Add("X-Forwarded-Host", "synthpref.example.com");
        var viaProxy = await (await fixture.Api.Http.SendAsync(proxied)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("https://synthpref.example.com/api/runs/", viaProxy.GetProperty("statusUri").GetString());
        Assert.StartsWith("https://synthpref.example.com/api/runs/", viaProxy.GetProperty("reviewUri").GetString());
    }

    [Fact]
    public async Task A_bad_blob_fails_its_run_naming_each_line_and_writes_no_pairs()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var jsonl = string.Join('\n',
            $$"""{"id":"a","prompt":"{{tag}} ok","response_a":"x","response_b":"y"}""",
            """{"id":"b","prompt":""}""",
            "not json at all",
            "",
            $$"""{"id":"c","prompt":"{{tag}} ok2","category":7}""");
        var blob = fixture.Container("synthpref-input").GetBlobClient($"bad-{tag}.jsonl");
        var upload = await blob.UploadAsync(BinaryData.FromString(jsonl));

        var runId = RunStarter.BlobRunId("synthpref-input", $"bad-{tag}.jsonl", upload.Value.ETag.ToString());
        var status = await fixture.Api.WaitForAsync(await fixture.Api.WaitForRunAsync(runId), "Failed");
        var error = status.GetProperty("error").GetString()!;
        Assert.Contains($"bad-{tag}.jsonl", error);
        Assert.Contains("line 2, field 'prompt'", error);
        Assert.Contains("line 3", error);
        Assert.Contains("line 5, field 'category'", error);
        Assert.DoesNotContain("line 4", error);
        Assert.Empty(await fixture.PairRowsAsync(runId));
        Assert.Equal(0, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag))));
    }
}
