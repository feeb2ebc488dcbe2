using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Every management route asks for a key in <c>x-functions-key</c>, and review routes and health do not: on the local
/// host given <c>Api:Key</c> (listening beyond loopback, which it refuses without one), and under the Functions host,
/// whose own function keys guard every function of level Function.
/// </summary>
public abstract class ApiKeyScenarios
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture local) : ApiKeyScenarios
    {
        const string Key = "local-test-key-0123456789";
        readonly PipelineFixture local = local;

        protected override async Task<(ISynthPrefHost Host, bool Owned)> KeyedHostAsync()
        {
            var host = new LocalHostProcess(local.StorageConnectionString, local.Llm.BaseUrl, "keyed" + Guid.NewGuid().ToString("N")[..6],
                new Dictionary<string, string> { ["Api__Key"] = Key, ["BlobTrigger__Enabled"] = "false" })
            {
                ListenAddress = "0.0.0.0",
            };
            await host.StartAsync();
            return (host, true);
        }

        /// <summary>The local host's refusal is its own ProblemDetails, which says where the key goes.</summary>
        protected override async Task AssertRefusedAsync(HttpResponseMessage response, string what)
        {
            await base.AssertRefusedAsync(response, what);
            Assert.Contains("x-functions-key", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        }
    }

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : ApiKeyScenarios
    {
        readonly FunctionsPipelineFixture functions;

        public OnFunctionsHost(FunctionsPipelineFixture fixture)
        {
            FunctionsPipelineFixture.SkipUnlessAvailable();
            functions = fixture;
        }

        /// <summary>The shared host: under Functions every host has keys.</summary>
        protected override Task<(ISynthPrefHost Host, bool Owned)> KeyedHostAsync() => Task.FromResult<(ISynthPrefHost, bool)>((functions.Host, false));
    }

    /// <summary>A host that asks for a management key, and whether the test owns (and so disposes) it.</summary>
    protected abstract Task<(ISynthPrefHost Host, bool Owned)> KeyedHostAsync();

    protected virtual Task AssertRefusedAsync(HttpResponseMessage response, string what)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what} answered {(int)response.StatusCode}");
        return Task.CompletedTask;
    }

    [SkippableFact]
    public async Task With_a_key_every_management_route_needs_it_in_x_functions_key_and_review_routes_do_not()
    {
        var (host, owned) = await KeyedHostAsync();
        try
        {
            var key = Assert.IsType<string>(host.ManagementKey);
            using var anonymous = host.CreateClient();
            using var api = new SynthPrefApi(host.CreateManagementClient());

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
                (HttpMethod.Get, $"/api/runs/{run.RunId}/review-sample"),
                (HttpMethod.Get, $"/api/runs/{run.RunId}/report"),
                (HttpMethod.Get, $"/api/runs/{run.RunId}/report.html"),
                (HttpMethod.Get, $"/api/runs/{run.RunId}/dataset"),
                (HttpMethod.Get, $"/api/runs/{run.RunId}/escalated"),
            };
            foreach (var (method, path) in management)
            {
                foreach (var given in new string?[] { null, "wrong-key", key[..^1] })
                {
                    using var request = new HttpRequestMessage(method, path) { Content = method == HttpMethod.Post ? JsonContent.Create(body) : null };
                    if (given is not null) request.Headers.Add(ISynthPrefHost.ManagementKeyHeader, given);
                    await AssertRefusedAsync(await anonymous.SendAsync(request), $"{method} {path} with key '{given}'");
                }
            }
            Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync($"/api/runs/{run.RunId}/failures")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await api.Http.GetAsync($"/api/runs/{run.RunId}/review-sample")).StatusCode);

            // Review routes are the review token's business, and health is for probes.
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/health")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/api/runs/{run.RunId}/review")).StatusCode);
            using var reviewer = new SynthPrefApi(host.CreateClient());
            var item = Assert.Single(await reviewer.ReviewItemsAsync(run));
            Assert.Equal(HttpStatusCode.Accepted, (await reviewer.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "ann", preference = "first" })).StatusCode);
            await api.WaitForAsync(run.RunId, "Completed");
            Assert.Equal(1, (await api.ReportAsync(run.RunId)).GetProperty("review").GetProperty("votes").GetInt32());
        }
        finally
        {
            if (owned) await host.DisposeAsync();
        }
    }
}
