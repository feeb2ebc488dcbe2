using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Every id a request brings (run ids, review item ids, reviewer names, blob names) is checked against what Table and
/// Blob keys allow before any storage call, and refused with a 400 naming its field, never a 500 from storage: the
/// same checks in the core on both hosts. What the server refuses before any route is a 4xx of its own.
/// </summary>
public abstract class RequestIdScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : RequestIdScenarios(fixture)
    {
        /// <summary>The local host's routing falls through to its status-code ProblemDetails.</summary>
        protected override async Task AssertNoRouteAsync(HttpResponseMessage response, string what)
        {
            await base.AssertNoRouteAsync(response, what);
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", what);
            Assert.Equal(404, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
        }
    }

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : RequestIdScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();

        /// <summary>The Functions host matches the path against the functions' routes itself: when none matches, it
        /// answers its own empty 404 and the worker (our code) never sees the request, so there is no ProblemDetails.</summary>
        protected override async Task AssertNoRouteAsync(HttpResponseMessage response, string what)
        {
            await base.AssertNoRouteAsync(response, what);
            Assert.True(await response.Content.ReadAsStringAsync() == "", what);
        }
    }

    /// <summary>A path that names no route: a 404 on both hosts.</summary>
    protected virtual async Task AssertNoRouteAsync(HttpResponseMessage response, string what)
    {
        Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{what}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>What Table keys forbid ('/', '\', '#', '?', control characters) and what no key may be (too long), as
    /// they travel in a path: '/' percent-encoded, since a bare one is another route.</summary>
    public static readonly (string Path, string Shown)[] BadRunIds =
    [
        ("a%2Fb", "%"), ("a%5Cb", "'\\'"), ("a%23b", "'#'"), ("a%3Fb", "'?'"), ("a%01b", "U+0001"), ("a%7Fb", "U+007F"),
        (new string('r', RunCatalogMax + 1), "characters long"),
    ];

    const int RunCatalogMax = SynthPref.Orchestration.Runs.RunCatalog.MaxRunIdChars;

    public static readonly (string Method, string Suffix)[] RunRoutes =
    [
        ("GET", ""), ("GET", "/failures"), ("POST", "/review-link"), ("GET", "/review-sample"), ("GET", "/report"),
        ("GET", "/report.html"), ("GET", "/dataset"), ("GET", "/escalated"), ("GET", "/review-items"), ("POST", "/reviews"),
        ("POST", "/reviews/close"), ("GET", "/review"),
    ];

    [SkippableFact]
    public async Task Every_run_route_refuses_a_run_id_no_storage_key_can_hold_with_a_400_naming_runId()
    {
        foreach (var (method, suffix) in RunRoutes)
            foreach (var (id, shown) in BadRunIds)
            {
                using var response = await SendAsync(method, $"/api/runs/{id}{suffix}");
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{method} /api/runs/{id}{suffix}: {(int)response.StatusCode} {body}");
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                var message = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("errors").GetProperty("runId").EnumerateArray()).GetString()!;
                Assert.Contains("cannot name a run", message);
                Assert.Contains(shown, message);
            }
    }

    /// <summary>
    /// What never reaches a handler, so no check of ours can name a field: a bare '/' or an empty segment makes a path
    /// of no route (404); Kestrel, the server under both hosts, refuses a NUL anywhere in a path (400, no body) and a
    /// request line over its 8 KB (414). A 4xx each time, the same status on both hosts, never a 500.
    /// </summary>
    [SkippableFact]
    public async Task Ids_that_never_reach_a_route_are_a_4xx_from_the_server_never_a_500()
    {
        foreach (var (method, suffix) in RunRoutes)
        {
            // "/api/runs/" with an empty id is the list of runs (GET) or a new run (POST): not a bad id.
            foreach (var id in suffix == "" ? ["a/b"] : new[] { "a/b", "" })
            {
                using var unrouted = await SendAsync(method, $"/api/runs/{id}{suffix}");
                await AssertNoRouteAsync(unrouted, $"{method} /api/runs/{id}{suffix}");
            }

            using var nul = await SendAsync(method, $"/api/runs/a%00b{suffix}");
            Assert.True(nul.StatusCode == HttpStatusCode.BadRequest, $"{method} /api/runs/a%00b{suffix}: {(int)nul.StatusCode}");
            Assert.Equal("", await nul.Content.ReadAsStringAsync());

            using var tooLong = await SendAsync(method, $"/api/runs/{new string('r', 9000)}{suffix}");
            Assert.True(tooLong.StatusCode == HttpStatusCode.RequestUriTooLong, $"{method} /api/runs/r…{suffix}: {(int)tooLong.StatusCode}");
        }
    }

    /// <summary>A run route called as its callers call it: with the management key (from the fixture's client), a
    /// review token (a wrong one: the id is checked first) and, for a POST, a review's body.</summary>
    async Task<HttpResponseMessage> SendAsync(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = JsonContent.Create(new { itemId = "item-x", reviewer = "ann", preference = "first" });
        request.Headers.Add(ReviewTokens.Header, "not-a-token");
        return await fixture.Api.Http.SendAsync(request);
    }

    [SkippableFact]
    public async Task A_review_with_an_item_id_or_reviewer_no_storage_key_can_hold_is_a_400_naming_the_field_and_the_review_goes_on()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[] { new { id = "1", prompt = $"{tag} ids", response_a = "[[good]] a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 1 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var item = Assert.Single(await fixture.Api.ReviewItemsAsync(run));

        var forbidden = new[] { "/", "\\", "#", "?", "\u0001", "\u007f" };
        foreach (var bad in forbidden.Select(c => $"{item.ItemId}{c}x").Append("a/b").Append(new string('i', 201)))
            await AssertRefusedAsync(new { itemId = bad, reviewer = "ann", preference = "first" }, "itemId", "is not an item id");
        foreach (var bad in forbidden.Select(c => $"ann{c}x").Append(new string('n', 65)))
            await AssertRefusedAsync(new { itemId = item.ItemId, reviewer = bad, preference = "first" }, "reviewer", "");

        // Nothing was stored for them, and the review carries on: a good label is counted, and only it.
        Assert.Equal(HttpStatusCode.Accepted,
            (await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "ann", preference = "first" })).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        Assert.Equal(1, (await fixture.Api.ReportAsync(run.RunId)).GetProperty("review").GetProperty("votes").GetInt32());

        async Task AssertRefusedAsync(object body, string field, string says)
        {
            using var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)}: {(int)response.StatusCode} {text}");
            var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
            Assert.Contains(says, Assert.Single(errors.GetProperty(field).EnumerateArray()).GetString());
        }
    }

    [SkippableFact]
    public async Task Blob_names_and_run_names_storage_cannot_hold_are_a_400_naming_inputBlob_options_constitution_or_name()
    {
        var uploads = StorageNames.UploadsContainer;
        var badNames = new[]
        {
            $"/{uploads}/x.jsonl", $"{uploads}//x.jsonl", $"{uploads}/a\\b.jsonl", $"{uploads}/a#b.jsonl", $"{uploads}/a?b.jsonl",
            $"{uploads}/a\u0001b.jsonl", $"{uploads}/a\u007fb.jsonl", $"{uploads}/" + new string('x', BlobReference.MaxNameChars + 1),
            $"{uploads}/x.jsonl.", "Synthpref-Uploads/x.jsonl", "ab/x.jsonl", "synthpref--uploads/x.jsonl",
        };
        var item = new { id = "1", prompt = "p", response_a = "a", response_b = "b" };
        foreach (var name in badNames)
        {
            await AssertRefusedAsync(new { inputBlob = name }, "inputBlob");
            await AssertRefusedAsync(new { items = new[] { item }, options = new { constitution = name.Replace(".jsonl", ".json") } },
                "options.constitution");
        }
        await AssertRefusedAsync(new { name = new string('n', 1025), items = new[] { item } }, "name");

        async Task AssertRefusedAsync(object body, string field)
        {
            using var response = await fixture.Api.PostRunAsync(body);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{JsonSerializer.Serialize(body)[..Math.Min(200, JsonSerializer.Serialize(body).Length)]}: {(int)response.StatusCode} {text}");
            Assert.True(JsonDocument.Parse(text).RootElement.GetProperty("errors").TryGetProperty(field, out _), $"{field} is not named: {text}");
        }
    }
}
