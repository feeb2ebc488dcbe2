using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The local host is open only on loopback unless it has an API key, and with one, every management
/// route asks for it in the header Azure Functions takes function keys in.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ApiKeyTests(PipelineFixture fixture)
{
    const string Key = "local-test-key-0123456789";

    [Fact]
    public async Task Without_a_key_the_host_refuses_to_listen_beyond_loopback()
    {
        await using var host = new LocalHostProcess(fixture.StorageConnectionString, fixture.Llm.BaseUrl, "open" + Guid.NewGuid().ToString("N")[..6],
            new Dictionary<string, string> { ["BlobTrigger__Enabled"] = "false" })
        {
            ListenAddress = "0.0.0.0",
        };
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);
        Assert.Contains("exited", refused.Message);
        Assert.Contains("Api:Key", refused.Message);
        Assert.Contains("not a loopback address", refused.Message);
    }

    [Fact]
    public async Task With_a_key_every_management_route_needs_it_in_x_functions_key_and_review_routes_do_not()
    {
        await using var host = new LocalHostProcess(fixture.StorageConnectionString, fixture.Llm.BaseUrl, "keyed" + Guid.NewGuid().ToString("N")[..6],
            new Dictionary<string, string> { ["Api__Key"] = Key, ["BlobTrigger__Enabled"] = "false" })
        {
            ListenAddress = "0.0.0.0",
        };
        await host.StartAsync();
        using var anonymous = host.CreateClient();
        using var keyed = host.CreateClient();
        keyed.DefaultRequestHeaders.Add("x-functions-key", Key);
        using var api = new SynthPrefApi(keyed);

        var tag = Guid.NewGuid().ToString("N")[..8];
        var body = new
        {
            items = new object[] { new { id = "k", prompt = $"{tag} keyed", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 1 },
        };
        var run = await api.StartAsync(body);
        await api.WaitForAsync(run.RunId, "AwaitingReview");

        var management = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/api/runs"),
            (HttpMethod.Get, "/api/runs"),
            (HttpMethod.Get, $"/api/runs/{run.RunId}"),
            (HttpMethod.Get, $"/api/runs/{run.RunId}/failures"),
            (HttpMethod.Post, $"/api/runs/{run.RunId}/review-link"),
            (HttpMethod.Get, $"/api/runs/{run.RunId}/report"),
            (HttpMethod.Get, $"/api/runs/{run.RunId}/report.html"),
            (HttpMethod.Get, $"/api/runs/{run.RunId}/dataset"),
            (HttpMethod.Get, $"/api/runs/{run.RunId}/escalated"),
        };
        foreach (var (method, path) in management)
        {
            foreach (var given in new string?[] { null, "wrong-key", Key[..^1] })
            {
                using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Post ? JsonContent.Create(body) : null };
                if (given is not null) request.Headers.Add("x-functions-key", given);
                var response = await anonymous.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path} with key '{given}' answered {(int)response.StatusCode}");
                Assert.Contains("x-functions-key", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
            }
        }
        Assert.Equal(HttpStatusCode.OK, (await keyed.GetAsync($"/api/runs/{run.RunId}/failures")).StatusCode);

        // Review routes are the review token's business, and health is for probes.
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/runs/{run.RunId}/review")).StatusCode);
        using var reviewer = new SynthPrefApi(host.CreateClient());
        var item = Assert.Single(await reviewer.ReviewItemsAsync(run));
        Assert.Equal(HttpStatusCode.Accepted, (await reviewer.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "ann", preference = "first" })).StatusCode);
        await api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(1, (await api.ReportAsync(run.RunId)).GetProperty("review").GetProperty("votes").GetInt32());
    }
}
