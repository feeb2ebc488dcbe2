using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Api;

/// <summary>
/// The HTTP contract. Handlers are public so the Functions app's triggers call exactly these; the local host
/// maps them with <see cref="MapRunsApi"/>.
/// </summary>
public static class RunsApi
{
    public const string ReviewTokenHeader = "X-Review-Token";
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs");
        runs.MapPost("/", StartRun);
        runs.MapGet("/", ListRuns);
        runs.MapGet("/{runId}", GetRun);
        runs.MapGet("/{runId}/review-items", GetReviewItems);
        runs.MapPost("/{runId}/reviews", SubmitReview);
        runs.MapPost("/{runId}/reviews/close", CloseReview);
        runs.MapGet("/{runId}/report", GetReport);
        runs.MapGet("/{runId}/report.html", GetReportHtml);
        runs.MapGet("/{runId}/dataset", GetDataset);
        runs.MapGet("/{runId}/review", ReviewPage);
        return app;
    }

    public static async Task<Results<Accepted<StartRunResponse>, ValidationProblem, ProblemHttpResult>> StartRun(
        HttpRequest req, DurableTaskClient client, RunStarter starter, CancellationToken ct)
    {
        StartRunRequest? body;
        try
        {
            body = await req.ReadFromJsonAsync<StartRunRequest>(Json, ct);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: the content type is not JSON.
            return Invalid("The request body is not valid JSON for a run request.", [new FieldError("body", e.Message)]);
        }
        if (body is null) return Invalid("The request body is empty.", [new FieldError("body", "required.")]);

        var outcome = await starter.StartFromHttpAsync(client, body.Name, body.Items, body.InputBlob, body.Options, ct);
        if (outcome.Kind == OutcomeKind.Unavailable) return ProblemOf(outcome);
        if (outcome.Kind != OutcomeKind.Ok) return Invalid(outcome.Detail!, outcome.Errors ?? []);

        var started = outcome.Value!;
        var statusUri = StatusUri(req, started.RunId);
        // As Durable's HTTP starter does: 202, Location, and how long to wait before polling it.
        req.HttpContext.Response.Headers.RetryAfter = "5";
        return TypedResults.Accepted(statusUri,
            new StartRunResponse(started.RunId, statusUri, ReviewUri(req, started.RunId, started.ReviewToken), started.ReviewToken));
    }

    public static async Task<Ok<RunSummary[]>> ListRuns(HttpRequest req, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        var take = int.TryParse(req.Query["take"], out var t) ? Math.Clamp(t, 1, 500) : 50;
        var runs = await queries.ListAsync(client, take, ct);
        return TypedResults.Ok(runs.Select(r => new RunSummary(r.View.RunId, r.View.Name, r.View.Source, r.View.Status,
            r.View.CreatedAt, StatusUri(req, r.View.RunId), ReviewUri(req, r.View.RunId, r.ReviewToken))).ToArray());
    }

    public static async Task<Results<Ok<RunStatusResponse>, ProblemHttpResult>> GetRun(
        string runId, HttpRequest req, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        var view = await queries.GetAsync(client, runId, ct);
        if (view is null) return Problem(StatusCodes.Status404NotFound, $"Run '{runId}' does not exist.");
        var outputs = view.Result is { } r
            ? new RunOutputs(r.ReportJson, r.ReportHtml, r.Dataset, r.DatasetRows, r.FailedItems)
            : null;
        return TypedResults.Ok(new RunStatusResponse(view.RunId, view.Status, view.Progress, view.Error, view.Name,
            view.Source, view.CreatedAt, outputs, view.Review));
    }

    public static async Task<Results<Ok<IReadOnlyList<ReviewItemView>>, ProblemHttpResult>> GetReviewItems(
        string runId, HttpRequest req, ReviewService reviews, CancellationToken ct)
    {
        var outcome = await reviews.GetItemsAsync(runId, TokenOf(req), ct);
        return outcome.Kind == OutcomeKind.Ok ? TypedResults.Ok(outcome.Value!) : ProblemOf(outcome);
    }

    public static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> SubmitReview(
        string runId, HttpRequest req, DurableTaskClient client, ReviewService reviews, CancellationToken ct)
    {
        SubmitReviewRequest? body = null;
        string? bodyError = null;
        try
        {
            body = await req.ReadFromJsonAsync<SubmitReviewRequest>(Json, ct);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            bodyError = e.Message;
        }

        var outcome = await reviews.SubmitAsync(client, runId, TokenOf(req), body?.ItemId, body?.Reviewer, body?.Preference, ct);
        // The token is checked before the body, so a caller without it learns nothing about the run.
        if (bodyError is not null && outcome.Kind is OutcomeKind.Invalid)
            return Invalid("The request body is not valid JSON for a review.", [new FieldError("body", bodyError)]);
        return outcome.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Accepted((string?)null),
            OutcomeKind.Invalid => Invalid(outcome.Detail!, outcome.Errors ?? []),
            _ => ProblemOf(outcome),
        };
    }

    public static async Task<Results<Accepted, ProblemHttpResult>> CloseReview(
        string runId, HttpRequest req, DurableTaskClient client, ReviewService reviews, CancellationToken ct)
    {
        var outcome = await reviews.CloseAsync(client, runId, TokenOf(req), ct);
        return outcome.Kind == OutcomeKind.Ok ? TypedResults.Accepted((string?)null) : ProblemOf(outcome);
    }

    public static Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetReport(
        string runId, DurableTaskClient client, RunQueries queries, CancellationToken ct) =>
        Output(runId, OutputStore.ReportJsonName, "application/json", client, queries, ct);

    public static Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetReportHtml(
        string runId, DurableTaskClient client, RunQueries queries, CancellationToken ct) =>
        Output(runId, OutputStore.ReportHtmlName, "text/html; charset=utf-8", client, queries, ct);

    public static Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetDataset(
        string runId, DurableTaskClient client, RunQueries queries, CancellationToken ct) =>
        Output(runId, OutputStore.DatasetName, "application/x-ndjson", client, queries, ct);

    public static ContentHttpResult ReviewPage(string runId) =>
        TypedResults.Content(ReviewPageHtml.Render(runId), "text/html; charset=utf-8");

    static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Output(
        string runId, string name, string contentType, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        var outcome = await queries.OpenOutputAsync(client, runId, name, ct);
        return outcome.Kind == OutcomeKind.Ok ? TypedResults.Stream(outcome.Value!, contentType) : ProblemOf(outcome);
    }

    static string? TokenOf(HttpRequest req) =>
        req.Headers.TryGetValue(ReviewTokenHeader, out var header) && !string.IsNullOrEmpty(header)
            ? header.ToString()
            : req.Query["token"].ToString() is { Length: > 0 } query ? query : null;

    /// <summary>
    /// Links point where the caller came from. Behind a proxy, the hosts' forwarded-headers middleware has already
    /// put the caller's scheme and host on the request, and only for proxies they trust: the local host's
    /// UseForwardedHeaders with its configured known proxies, and the Functions worker's own for the Functions host.
    /// </summary>
    static string BaseUri(HttpRequest req) => $"{req.Scheme}://{req.Host}{req.PathBase}";
    static string StatusUri(HttpRequest req, string runId) => $"{BaseUri(req)}/api/runs/{runId}";
    static string ReviewUri(HttpRequest req, string runId, string token) =>
        $"{BaseUri(req)}/api/runs/{runId}/review?token={Uri.EscapeDataString(token)}";

    static ValidationProblem Invalid(string detail, IReadOnlyList<FieldError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            detail: detail, title: "Invalid request");

    static ProblemHttpResult Problem(int status, string detail) => TypedResults.Problem(detail: detail, statusCode: status);

    static ProblemHttpResult ProblemOf<T>(Outcome<T> outcome) => outcome.Kind switch
    {
        OutcomeKind.NotFound => Problem(StatusCodes.Status404NotFound, outcome.Detail!),
        OutcomeKind.Unauthorized => Problem(StatusCodes.Status401Unauthorized, outcome.Detail!),
        OutcomeKind.Conflict => Problem(StatusCodes.Status409Conflict, outcome.Detail!),
        OutcomeKind.Invalid => Problem(StatusCodes.Status400BadRequest, outcome.Detail!),
        OutcomeKind.Unavailable => Problem(StatusCodes.Status503ServiceUnavailable, outcome.Detail!),
        _ => throw new InvalidOperationException($"Outcome {outcome.Kind} is not an error."),
    };
}
