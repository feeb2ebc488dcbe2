using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Functions.Functions;

/// <summary>
/// One HTTP function per route of the local host. Each one only binds and calls the matching
/// <see cref="RunsApi"/> handler, so both hosts answer with the same typed results. The route prefix is "api"
/// (host.json), so "runs" here is "/api/runs" as in <see cref="RunsApi.MapRunsApi"/>.
/// Management routes need a function key; review routes are anonymous because the review token protects them, and
/// they are rate-limited per token here, since the worker runs no ASP.NET Core middleware for functions.
/// </summary>
public sealed class RunsFunctions(RunStarter starter, RunQueries queries, ReviewService reviews, IOptions<ApiOptions> api,
    ReviewRateLimiter limiter)
{
    [Function(nameof(StartRun))]
    public async Task<IResult> StartRun(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs")] HttpRequest req,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.StartRun(req, client, starter, api, ct);

    [Function(nameof(ListRuns))]
    public async Task<IResult> ListRuns(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs")] HttpRequest req,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.ListRuns(req, client, queries, ct);

    [Function(nameof(GetRun))]
    public async Task<IResult> GetRun(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.GetRun(runId, req, client, queries, ct);

    [Function(nameof(GetFailures))]
    public async Task<IResult> GetFailures(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/failures")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.GetFailures(runId, req, client, queries, ct);

    [Function(nameof(IssueReviewLink))]
    public async Task<IResult> IssueReviewLink(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "runs/{runId}/review-link")] HttpRequest req,
        string runId,
        CancellationToken ct) =>
        await RunsApi.IssueReviewLink(runId, req, starter, ct);

    [Function(nameof(GetReviewSample))]
    public async Task<IResult> GetReviewSample(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/review-sample")] HttpRequest req,
        string runId,
        CancellationToken ct) =>
        await RunsApi.GetReviewSample(runId, reviews, ct);

    [Function(nameof(GetReviewItems))]
    public async Task<IResult> GetReviewItems(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "runs/{runId}/review-items")] HttpRequest req,
        string runId,
        CancellationToken ct) =>
        await limiter.CheckAsync(req, ct) ?? (IResult)await RunsApi.GetReviewItems(runId, req, reviews, ct);

    [Function(nameof(SubmitReview))]
    public async Task<IResult> SubmitReview(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runs/{runId}/reviews")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await limiter.CheckAsync(req, ct) ?? (IResult)await RunsApi.SubmitReview(runId, req, client, reviews, ct);

    [Function(nameof(CloseReview))]
    public async Task<IResult> CloseReview(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "runs/{runId}/reviews/close")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await limiter.CheckAsync(req, ct) ?? (IResult)await RunsApi.CloseReview(runId, req, client, reviews, ct);

    [Function(nameof(GetReport))]
    public async Task<IResult> GetReport(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/report")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.GetReport(runId, client, queries, ct);

    [Function(nameof(GetReportHtml))]
    public async Task<IResult> GetReportHtml(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/report.html")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.GetReportHtml(runId, client, queries, ct);

    [Function(nameof(GetDataset))]
    public async Task<IResult> GetDataset(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/dataset")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.GetDataset(runId, client, queries, ct);

    [Function(nameof(GetEscalated))]
    public async Task<IResult> GetEscalated(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "runs/{runId}/escalated")] HttpRequest req,
        string runId,
        [DurableClient] DurableTaskClient client,
        CancellationToken ct) =>
        await RunsApi.GetEscalated(runId, client, queries, ct);

    [Function(nameof(ReviewPage))]
    public async Task<IResult> ReviewPage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "runs/{runId}/review")] HttpRequest req,
        string runId) =>
        await RunsApi.ReviewPage(runId, req);
}
