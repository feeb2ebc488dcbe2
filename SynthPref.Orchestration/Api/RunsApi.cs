using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Reporting;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Api;

/// <summary>
/// The HTTP contract. Handlers are public so the Functions app's triggers call exactly these; the local host
/// maps them with <see cref="MapRunsApi"/>.
/// </summary>
public static class RunsApi
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs");
        // Management routes: behind Api:Key when one is set (function keys under Azure Functions).
        runs.MapPost("/", StartRun).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/", ListRuns).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}", GetRun).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}/failures", GetFailures).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapPost("/{runId}/review-link", IssueReviewLink).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}/review-sample", GetReviewSample).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}/report", GetReport).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}/report.html", GetReportHtml).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}/dataset", GetDataset).AddEndpointFilter<ManagementKeyFilter>();
        runs.MapGet("/{runId}/escalated", GetEscalated).AddEndpointFilter<ManagementKeyFilter>();
        // Review routes: anonymous, protected by the run's review token, and rate-limited per token.
        runs.MapGet("/{runId}/review-items", GetReviewItems).RequireRateLimiting(ReviewRateLimiting.PolicyName);
        runs.MapPost("/{runId}/reviews", SubmitReview).RequireRateLimiting(ReviewRateLimiting.PolicyName);
        runs.MapPost("/{runId}/reviews/close", CloseReview).RequireRateLimiting(ReviewRateLimiting.PolicyName);
        runs.MapGet("/{runId}/review", ReviewPage);
        return app;
    }

    /// <summary>
    /// The body streams through a <see cref="StartRunBodyReader"/>: inline items are validated and written to the run's
    /// copy one at a time, and the body is bounded by Api:MaxRequestBytes, Input:MaxItems and Input:MaxLineBytes.
    /// </summary>
    public static async Task<Results<Accepted<StartRunResponse>, ValidationProblem, ProblemHttpResult>> StartRun(
        HttpRequest req, DurableTaskClient client, RunStarter starter, IOptions<ApiOptions> api, CancellationToken ct)
    {
        if (starter.JudgeProblem() is { } problem) return Problem(StatusCodes.Status503ServiceUnavailable, problem);
        if (!req.HasJsonContentType())
            return Invalid("The request body must be JSON (Content-Type: application/json).",
                [new FieldError("body", $"Content-Type '{req.ContentType}' is not JSON.")]);

        var runId = RunStarter.NewRunId();
        using var inline = starter.NewInlineInput(runId);
        StartRunBody body;
        try
        {
            body = await StartRunBodyReader.ReadAsync(RequestBodies.Limited(req, api.Value.MaxRequestBytes, "Api:MaxRequestBytes"), inline, ct);
        }
        catch (RequestBodyException e)
        {
            return Invalid(e.Message, [new FieldError(e.Field, e.Message)]);
        }
        catch (InputLimitExceededException e)
        {
            return e.TooLarge ? Problem(StatusCodes.Status413PayloadTooLarge, e.Message) : Invalid(e.Message, [new FieldError(e.Field, e.Message)]);
        }
        catch (Exception e) when (RequestBodies.IsTooLarge(e, out var limit, out var setting))
        {
            return TooLarge(limit ?? api.Value.MaxRequestBytes, setting ?? "Api:MaxRequestBytes");
        }

        var outcome = await starter.StartFromHttpAsync(client, runId, body.Name, body.HasItems ? inline : null, body.InputBlob,
            body.Options, body.Errors, ct);
        if (outcome.Kind == OutcomeKind.Unavailable) return ProblemOf(outcome);
        if (outcome.Kind != OutcomeKind.Ok) return Invalid(outcome.Detail!, outcome.Errors ?? []);

        var started = outcome.Value!;
        var statusUri = StatusUri(req, started.RunId);
        // As Durable's HTTP starter does: 202, Location, and how long to wait before polling it.
        req.HttpContext.Response.Headers.RetryAfter = "5";
        return TypedResults.Accepted(statusUri,
            new StartRunResponse(started.RunId, statusUri, ReviewUri(req, started.RunId, started.ReviewToken!), started.ReviewToken!));
    }

    public static async Task<Ok<RunSummary[]>> ListRuns(HttpRequest req, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        var take = int.TryParse(req.Query["take"], out var t) ? Math.Clamp(t, 1, 500) : 50;
        var runs = await queries.ListAsync(client, take, ct);
        return TypedResults.Ok(runs.Select(r => new RunSummary(r.RunId, r.Name, r.Source, r.Status, r.Degraded,
            r.CreatedAt, StatusUri(req, r.RunId))).ToArray());
    }

    public static async Task<Results<Ok<RunStatusResponse>, ProblemHttpResult>> GetRun(
        string runId, HttpRequest req, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        var view = await queries.GetAsync(client, runId, ct);
        if (view is null) return Problem(StatusCodes.Status404NotFound, $"Run '{runId}' does not exist.");
        var outputs = view.Result is { } r
            ? new RunOutputs(r.ReportJson, r.ReportHtml, r.Dataset, r.DatasetRows, r.FailedItems, r.Escalated,
                r.Escalated is null ? null : r.EscalatedRows)
            : null;
        return TypedResults.Ok(new RunStatusResponse(view.RunId, view.Status, view.Degraded, view.Progress, view.Error, view.Name,
            view.Source, view.CreatedAt, outputs, view.Review, view.InputErrors));
    }

    /// <summary>Every failed item step with its error, in item order; <c>skip</c> and <c>take</c> (at most 1000) page them.</summary>
    public static async Task<Results<Ok<FailuresResponse>, ProblemHttpResult>> GetFailures(
        string runId, HttpRequest req, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        var skip = int.TryParse(req.Query["skip"], out var s) ? Math.Max(0, s) : 0;
        var take = int.TryParse(req.Query["take"], out var t) ? Math.Clamp(t, 1, 1000) : 100;
        var outcome = await queries.GetFailuresAsync(client, runId, skip, take, ct);
        if (outcome.Kind != OutcomeKind.Ok) return ProblemOf(outcome);
        var page = outcome.Value!;
        return TypedResults.Ok(new FailuresResponse(page.RunId, page.Status, page.Degraded, page.FailedItems, page.Total, skip, page.Failures));
    }

    /// <summary>A new review link for the run; the old one stops working. How an upload's run gets a link at all.</summary>
    public static async Task<Results<Ok<ReviewLinkResponse>, ProblemHttpResult>> IssueReviewLink(
        string runId, HttpRequest req, RunStarter starter, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        var outcome = await starter.IssueReviewTokenAsync(runId, ct);
        if (outcome.Kind != OutcomeKind.Ok) return ProblemOf(outcome);
        return TypedResults.Ok(new ReviewLinkResponse(runId, ReviewUri(req, runId, outcome.Value!), outcome.Value!));
    }

    /// <summary>The blind items. The answer carries an ETag that changes only when a review round adds items, so the
    /// review page polls with If-None-Match and gets 304 until there is something new.</summary>
    public static async Task<Results<Ok<IReadOnlyList<ReviewItemView>>, StatusCodeHttpResult, ProblemHttpResult>> GetReviewItems(
        string runId, HttpRequest req, ReviewService reviews, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        var outcome = await reviews.GetItemsAsync(runId, ReviewTokens.Of(req), req.Headers.IfNoneMatch.ToString() is { Length: > 0 } tag ? tag : null, ct);
        if (outcome.Kind != OutcomeKind.Ok) return ProblemOf(outcome);
        var page = outcome.Value!;
        req.HttpContext.Response.Headers.ETag = page.ETag;
        // The items are the reviewer's alone; no shared cache may keep them, but the browser may revalidate its copy.
        req.HttpContext.Response.Headers.CacheControl = "private, no-cache";
        return page.Items is null ? TypedResults.StatusCode(StatusCodes.Status304NotModified) : TypedResults.Ok(page.Items);
    }

    /// <summary>The key to the run's blind review (management only): each item's pair, input, source and round.</summary>
    public static async Task<Results<Ok<ReviewSampleView>, ProblemHttpResult>> GetReviewSample(
        string runId, ReviewService reviews, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        var outcome = await reviews.GetSampleAsync(runId, ct);
        return outcome.Kind == OutcomeKind.Ok ? TypedResults.Ok(outcome.Value!) : ProblemOf(outcome);
    }

    public static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> SubmitReview(
        string runId, HttpRequest req, DurableTaskClient client, ReviewService reviews, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        SubmitReviewRequest? body = null;
        string? bodyError = null;
        try
        {
            if (!req.HasJsonContentType()) throw new InvalidOperationException($"Content-Type '{req.ContentType}' is not JSON.");
            body = await JsonSerializer.DeserializeAsync<SubmitReviewRequest>(
                RequestBodies.Limited(req, ApiOptions.MaxReviewBodyBytes, "16 KB for a review"), Json, ct);
        }
        catch (Exception e) when (RequestBodies.IsTooLarge(e, out var limit, out var setting))
        {
            return TooLarge(limit ?? ApiOptions.MaxReviewBodyBytes, setting ?? "16 KB for a review");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            bodyError = e.Message;
        }

        var outcome = await reviews.SubmitAsync(client, runId, ReviewTokens.Of(req), body?.ItemId, body?.Reviewer, body?.Preference, ct);
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
        if (BadRunId(runId) is { } bad) return bad;
        var outcome = await reviews.CloseAsync(client, runId, ReviewTokens.Of(req), ct);
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

    /// <summary>escalated.jsonl: the escalated pairs no reviewer labelled, in the dataset's shape with their trust points
    /// (runs with trustTarget; 404 for the others).</summary>
    public static Task<Results<FileStreamHttpResult, ProblemHttpResult>> GetEscalated(
        string runId, DurableTaskClient client, RunQueries queries, CancellationToken ct) =>
        Output(runId, OutputStore.EscalatedName, "application/x-ndjson", client, queries, ct);

    /// <summary>The blind review page (<see cref="ReviewPageHtml"/>), under its own Content-Security-Policy.</summary>
    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> ReviewPage(string runId, HttpRequest req)
    {
        if (BadRunId(runId) is { } bad) return bad;
        return await ReviewPageHtml.AnswerAsync(runId, req.HttpContext.Response);
    }

    static async Task<Results<FileStreamHttpResult, ProblemHttpResult>> Output(
        string runId, string name, string contentType, DurableTaskClient client, RunQueries queries, CancellationToken ct)
    {
        if (BadRunId(runId) is { } bad) return bad;
        var outcome = await queries.OpenOutputAsync(client, runId, name, ct);
        return outcome.Kind == OutcomeKind.Ok ? TypedResults.Stream(outcome.Value!, contentType) : ProblemOf(outcome);
    }

    /// <summary>
    /// Links point where the caller came from. Behind a proxy, the hosts' forwarded-headers middleware has already
    /// put the caller's scheme and host on the request, and only for proxies they trust: the local host's
    /// UseForwardedHeaders with its configured known proxies; under Functions, the worker's for the Functions host
    /// alone, which passes on the host name it was called by (a caller's own X-Forwarded-* do not get through).
    /// </summary>
    static string BaseUri(HttpRequest req) => $"{req.Scheme}://{req.Host}{req.PathBase}";
    static string StatusUri(HttpRequest req, string runId) => $"{BaseUri(req)}/api/runs/{runId}";
    static string ReviewUri(HttpRequest req, string runId, string token) =>
        $"{BaseUri(req)}/api/runs/{runId}/review#token={Uri.EscapeDataString(token)}";

    static ValidationProblem Invalid(string detail, IReadOnlyList<FieldError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            detail: detail, title: "Invalid request");

    static ProblemHttpResult Problem(int status, string detail) => TypedResults.Problem(detail: detail, statusCode: status);

    /// <summary>A 400 with the body <see cref="ValidationProblem"/> gives (errors by field), as a ProblemHttpResult so
    /// every handler's result type can carry it.</summary>
    static ProblemHttpResult InvalidProblem(string detail, IReadOnlyList<FieldError> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(
            errors.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
        {
            Status = StatusCodes.Status400BadRequest, Title = "Invalid request", Detail = detail,
        });

    /// <summary>A run id is a Table key and a blob path segment: one that cannot be is refused before any storage call.</summary>
    static ProblemHttpResult? BadRunId(string runId) =>
        RunCatalog.RunIdProblem(runId) is { } error ? InvalidProblem(error.Message, [error]) : null;

    /// <summary>
    /// A storage refusal that got past the checks of each id and name is still the request's doing, never a 500: the
    /// same 4xx as a ProblemDetails naming storage's error code. Storage refusing the host's own credentials (401,
    /// 403) is the host's fault, so a 503. Null for anything that is not a 4xx. Both hosts answer with this: the local
    /// host from its exception handler, the Functions app from its worker middleware.
    /// </summary>
    public static ProblemHttpResult? StorageProblem(RequestFailedException e)
    {
        if (e.Status is < 400 or > 499) return null;
        var code = string.IsNullOrEmpty(e.ErrorCode) ? "" : $" ({e.ErrorCode})";
        return e.Status switch
        {
            StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable,
                title: "Storage refused the host", detail: $"Storage refused the host's credentials with {e.Status}{code}; this is the host's configuration, not the request."),
            // The request carried no precondition of its own: storage's 412 is a concurrent change, a conflict to the caller.
            StatusCodes.Status412PreconditionFailed => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
                title: "Storage conflict", detail: $"Storage refused the request with {e.Status}{code}: something changed at the same time. Send it again."),
            _ => TypedResults.Problem(statusCode: e.Status,
                title: "Storage refused the request", detail: $"Storage refused this request with {e.Status}{code}, so it was not done."),
        };
    }

    static ProblemHttpResult TooLarge(long limit, string setting) => TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "Request body too large", detail: $"The request body is larger than {limit} bytes, the limit ({setting}).");

    static ProblemHttpResult ProblemOf<T>(Outcome<T> outcome) => outcome.Kind switch
    {
        OutcomeKind.NotFound => Problem(StatusCodes.Status404NotFound, outcome.Detail!),
        OutcomeKind.Unauthorized => Problem(StatusCodes.Status401Unauthorized, outcome.Detail!),
        OutcomeKind.Conflict => Problem(StatusCodes.Status409Conflict, outcome.Detail!),
        OutcomeKind.Invalid => outcome.Errors is { Count: > 0 } errors ? InvalidProblem(outcome.Detail!, errors) : Problem(StatusCodes.Status400BadRequest, outcome.Detail!),
        OutcomeKind.Unavailable => Problem(StatusCodes.Status503ServiceUnavailable, outcome.Detail!),
        _ => throw new InvalidOperationException($"Outcome {outcome.Kind} is not an error."),
    };
}
