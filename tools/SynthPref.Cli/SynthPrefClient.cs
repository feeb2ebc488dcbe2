using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using SynthPref.Orchestration.Api;

namespace SynthPref.Cli;

/// <summary>
/// The hosts' HTTP contract as the CLI uses it, reading answers into the records the API writes (Api/RunsDtos.cs).
/// Every failure becomes a <see cref="CliException"/> with its exit code and the host's ProblemDetails, field errors
/// included.
/// </summary>
public sealed class SynthPrefClient : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    readonly HttpClient http;

    public SynthPrefClient(Uri baseUrl, string? key, HttpMessageHandler? handler = null)
    {
        // Paths are relative, so a host behind a path prefix keeps it; that needs the base to end in '/'.
        BaseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        http = new HttpClient(handler ?? new SocketsHttpHandler(), disposeHandler: true) { BaseAddress = BaseUrl, Timeout = TimeSpan.FromMinutes(10) };
        // Both hosts read a key from this header: Azure Functions its function keys, the local host its Api:Key.
        if (!string.IsNullOrEmpty(key))
            http.DefaultRequestHeaders.Add(ApiOptions.KeyHeader, key);
    }

    public Uri BaseUrl { get; }

    public Task<StartRunResponse> StartRunAsync(HttpContent body, CancellationToken ct) =>
        SendAsync<StartRunResponse>(HttpMethod.Post, "api/runs", "start the run", ct, body);

    public Task<RunStatusResponse> StatusAsync(string runId, CancellationToken ct) =>
        SendAsync<RunStatusResponse>(HttpMethod.Get, RunPath(runId), $"read run '{runId}'", ct);

    /// <summary>The status, or null when no run has that id (and nothing else went wrong).</summary>
    public async Task<RunStatusResponse?> FindAsync(string runId, CancellationToken ct)
    {
        try
        {
            return await StatusAsync(runId, ct);
        }
        catch (CliException e) when (e.ExitCode == ExitCodes.NotFound)
        {
            return null;
        }
    }

    public Task<RunSummary[]> ListAsync(int take, CancellationToken ct) =>
        SendAsync<RunSummary[]>(HttpMethod.Get, $"api/runs?take={take}", "list runs", ct);

    public Task<ReviewLinkResponse> NewReviewLinkAsync(string runId, CancellationToken ct) =>
        SendAsync<ReviewLinkResponse>(HttpMethod.Post, RunPath(runId) + "/review-link", $"issue a review link for run '{runId}'", ct);

    /// <summary>An output of a completed run (report, report.html, dataset), streamed to <paramref name="destination"/>.</summary>
    public async Task DownloadAsync(string runId, string output, Stream destination, CancellationToken ct)
    {
        using var response = await SendRawAsync(HttpMethod.Get, RunPath(runId) + "/" + output, $"fetch the {output} of run '{runId}'", null,
            HttpCompletionOption.ResponseHeadersRead, ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await body.CopyToAsync(destination, ct);
    }

    /// <summary>A run argument is its id or its name: the newest run of that name, as <c>synthpref runs</c> lists them.</summary>
    public async Task<string> ResolveRunAsync(string idOrName, CancellationToken ct)
    {
        if (await FindAsync(idOrName, ct) is not null) return idOrName;
        var named = (await ListAsync(500, ct)).Where(r => r.Name == idOrName).OrderByDescending(r => r.CreatedAt).FirstOrDefault();
        return named?.RunId ?? throw new CliException(ExitCodes.NotFound,
            $"no run has the id or the name '{idOrName}' on {BaseUrl} ('synthpref runs' lists them).");
    }

    static string RunPath(string runId) => "api/runs/" + Uri.EscapeDataString(runId);

    async Task<T> SendAsync<T>(HttpMethod method, string path, string what, CancellationToken ct, HttpContent? body = null)
    {
        using var response = await SendRawAsync(method, path, what, body, HttpCompletionOption.ResponseContentRead, ct);
        try
        {
            return (await response.Content.ReadFromJsonAsync<T>(Json, ct))
                ?? throw new CliException(ExitCodes.HostError, $"could not {what}: {BaseUrl} answered with an empty body.");
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.HostError, $"could not {what}: the answer from {BaseUrl} is not what a SynthPref host sends ({e.Message}).");
        }
    }

    async Task<HttpResponseMessage> SendRawAsync(HttpMethod method, string path, string what, HttpContent? body,
        HttpCompletionOption completion, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            using var request = new HttpRequestMessage(method, path) { Content = body };
            response = await http.SendAsync(request, completion, ct);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            throw Unreachable(what, e.InnerException is SocketException s ? s.Message : e.Message);
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw Unreachable(what, $"no answer within {http.Timeout.TotalSeconds:0} s");
        }
        if (response.IsSuccessStatusCode) return response;
        using (response)
            throw await FailureAsync(response, what, ct);
    }

    CliException Unreachable(string what, string reason) => new(ExitCodes.Unreachable,
        $"could not {what}: {BaseUrl} cannot be reached ({reason}). Is the host running there? Set --url or SYNTHPREF_URL.");

    /// <summary>The host's ProblemDetails, with every field error it named, under the exit code its status means.</summary>
    async Task<CliException> FailureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync(ct);
        string? detail = null, title = null;
        var details = new List<string>();
        try
        {
            using var problem = JsonDocument.Parse(text);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (problem.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String) title = t.GetString();
                if (problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String) detail = d.GetString();
                if (problem.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                    foreach (var field in errors.EnumerateObject())
                        foreach (var message in field.Value.EnumerateArray())
                            // Input errors already say "line N, field 'x': ..."; other fields are named here.
                            details.Add(message.GetString() is { } m && m.StartsWith("line ", StringComparison.Ordinal) ? m : $"{field.Name}: {message.GetString()}");
            }
        }
        catch (JsonException)
        {
            detail = text.Length > 500 ? text[..500] + "…" : text;
        }
        // A ValidationProblem's detail repeats its field errors; they are printed one per line below it.
        if (details.Count > 0 && detail is not null && detail.Contains('\n')) detail = detail[..detail.IndexOf('\n')];
        var code = response.StatusCode switch
        {
            HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge or HttpStatusCode.UnsupportedMediaType
                or HttpStatusCode.UnprocessableEntity => ExitCodes.BadInput,
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Unauthorized,
            HttpStatusCode.NotFound => ExitCodes.NotFound,
            HttpStatusCode.Conflict => ExitCodes.NotReady,
            _ => status >= 500 ? ExitCodes.HostError : ExitCodes.BadInput,
        };
        var hint = code == ExitCodes.Unauthorized ? " Give the host's key with --key or SYNTHPREF_KEY (sent as x-functions-key)." : "";
        var said = detail ?? title ?? response.ReasonPhrase ?? "";
        return new CliException(code, $"could not {what}: {status} {response.ReasonPhrase}: {said}{hint}".TrimEnd(' ', ':'), details);
    }

    public void Dispose() => http.Dispose();
}
