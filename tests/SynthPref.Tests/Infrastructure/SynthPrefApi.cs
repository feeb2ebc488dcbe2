using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Tests.Infrastructure;

/// <summary>A thin client over the public HTTP contract, as an external caller would use it, reading the answers into
/// the same contract records the API writes (<see cref="StartRunResponse"/>, <see cref="ReviewItemView"/>, ...).</summary>
public sealed class SynthPrefApi(HttpClient http) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public HttpClient Http => http;

    public Task<HttpResponseMessage> PostRunAsync(object body) => http.PostAsJsonAsync("/api/runs", body, Json);

    public async Task<StartRunResponse> StartAsync(object body)
    {
        var response = await PostRunAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/runs answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<StartRunResponse>(text, Json)!;
    }

    public async Task<JsonElement> StatusAsync(string runId) =>
        await http.GetFromJsonAsync<JsonElement>($"/api/runs/{runId}", Json);

    /// <summary>Polls until the run exists (a blob trigger starts runs a little after the upload).</summary>
    public async Task<string> WaitForRunAsync(string runId)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if ((await http.GetAsync($"/api/runs/{runId}")).IsSuccessStatusCode) return runId;
            await Task.Delay(250);
        }
        throw new TimeoutException($"Run {runId} was never started.");
    }

    /// <summary>Polls the status endpoint until the run reaches one of the statuses (a failure not asked for throws).</summary>
    public async Task<JsonElement> WaitForAsync(string runId, params string[] statuses)
    {
        var until = DateTime.UtcNow.AddSeconds(120);
        JsonElement status = default;
        while (DateTime.UtcNow < until)
        {
            status = await StatusAsync(runId);
            var current = status.GetProperty("status").GetString();
            if (statuses.Contains(current)) return status;
            if (current == "Failed")
                throw new InvalidOperationException($"Run {runId} failed: {status}");
            await Task.Delay(250);
        }
        throw new TimeoutException($"Run {runId} did not reach {string.Join("/", statuses)}; last status {status}");
    }

    public async Task<ReviewItemView[]> ReviewItemsAsync(StartRunResponse run)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{run.RunId}/review-items");
        request.Headers.Add("X-Review-Token", run.ReviewToken);
        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ReviewItemView[]>(Json))!;
    }

    /// <summary>The key to the run's blind review (a management route): each item's pair, input, source and round.</summary>
    public async Task<ReviewSampleView> ReviewSampleAsync(string runId)
    {
        var response = await http.GetAsync($"/api/runs/{runId}/review-sample");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ReviewSampleView>(Json))!;
    }

    /// <summary>Each review item's input id, which reviewers never see.</summary>
    public async Task<Dictionary<string, string>> InputIdsAsync(string runId) =>
        (await ReviewSampleAsync(runId)).Items.ToDictionary(i => i.ItemId, i => i.InputId);

    public async Task<HttpResponseMessage> ReviewAsync(string runId, string? token, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/reviews") { Content = JsonContent.Create(body, options: Json) };
        if (token is not null) request.Headers.Add("X-Review-Token", token);
        return await http.SendAsync(request);
    }

    public async Task<HttpResponseMessage> CloseAsync(string runId, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/runs/{runId}/reviews/close");
        if (token is not null) request.Headers.Add("X-Review-Token", token);
        return await http.SendAsync(request);
    }

    public async Task<JsonElement> ReportAsync(string runId)
    {
        var response = await http.GetAsync($"/api/runs/{runId}/report");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Json);
    }

    public async Task<JsonElement[]> DatasetAsync(string runId)
    {
        var response = await http.GetAsync($"/api/runs/{runId}/dataset");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToArray();
    }

    public void Dispose() => http.Dispose();
}
