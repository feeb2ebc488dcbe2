using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>Bad input on both hosts (400s naming each line and field, a bad blob failing its run the same way), and how a started run answers.</summary>
public abstract class InputValidationScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : InputValidationScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : InputValidationScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    [SkippableFact]
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

    [SkippableFact]
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

    [SkippableFact]
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

        Assert.Equal(new Uri(fixture.Host.BaseAddress, $"/api/runs/{body.GetProperty("runId").GetString()}").ToString(), body.GetProperty("statusUri").GetString());
    }

    /// <summary>
    /// Links name the address the caller came by. Called by another host name, both hosts link to it. Behind a proxy,
    /// the local host honours X-Forwarded-* from the proxies it trusts (loopback by default). Under Functions the
    /// Functions host in front of the worker is the proxy the worker trusts: it forwards the address it was called by,
    /// and a caller's own X-Forwarded-* never reach the worker, so links keep the host's address.
    /// </summary>
    [SkippableFact]
    public async Task Links_name_the_address_the_caller_came_by()
    {
        var body = new
        {
            items = new object[] { new { prompt = "linked", response_a = "a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        };
        async Task<JsonElement> StartAsync(Action<HttpRequestMessage> configure)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/runs") { Content = JsonContent.Create(body) };
            configure(request);
            var response = await fixture.Api.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return await response.Content.ReadFromJsonAsync<JsonElement>();
        }

        var byName = await StartAsync(r => r.Headers.Host = "synthpref.example.com:8443");
        Assert.StartsWith("http://synthpref.example.com:8443/api/runs/", byName.GetProperty("statusUri").GetString());
        Assert.StartsWith("http://synthpref.example.com:8443/api/runs/", byName.GetProperty("reviewUri").GetString());

        var viaProxy = await StartAsync(r =>
        {
            r.Headers.Add("X-Forwarded-Proto", "https");
            r.Headers.Add("X-Forwarded-Host", "synthpref.example.com");
        });
        var expected = fixture.Kind == HostKinds.Local ? "https://synthpref.example.com" : fixture.Host.BaseAddress.ToString().TrimEnd('/');
        Assert.StartsWith(expected + "/api/runs/", viaProxy.GetProperty("statusUri").GetString());
        Assert.StartsWith(expected + "/api/runs/", viaProxy.GetProperty("reviewUri").GetString());
    }

    [SkippableFact]
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
        await fixture.Host.AnnounceUploadAsync(blob);

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
