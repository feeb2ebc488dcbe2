using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace SynthPref.Orchestration.Reviews;

/// <summary>Section "Reviews": how fast one review link may be used.</summary>
public sealed class ReviewRateLimitOptions
{
    public const string SectionName = "Reviews";

    /// <summary>Sustained requests per second per review token (review items, labels, close).</summary>
    public int RateLimitPerSecond { get; set; } = 20;

    /// <summary>Requests a token may send at once before the per-second rate applies.</summary>
    public int RateLimitBurst { get; set; } = 100;

    /// <summary>Requests past the burst that wait for their turn rather than being refused at once.</summary>
    public int RateLimitQueue { get; set; } = 100;
}

/// <summary>
/// One token bucket per (run, review token): a leaked or scripted link can label only so fast, and one link's flood
/// never slows another's reviewers. The partition key holds a digest of the token, never the token. The local host
/// applies it with ASP.NET Core's rate-limiting middleware (policy <see cref="PolicyName"/>); the Functions worker
/// runs no ASP.NET Core middleware for its functions, so its review functions call <see cref="ReviewRateLimiter"/>,
/// the same partitions over the same System.Threading.RateLimiting limiter.
/// </summary>
public static class ReviewRateLimiting
{
    public const string PolicyName = "review-token";

    public static RateLimitPartition<string> Partition(HttpContext context, ReviewRateLimitOptions options) =>
        RateLimitPartition.GetTokenBucketLimiter(PartitionKey(context.Request), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, options.RateLimitBurst),
            TokensPerPeriod = Math.Max(1, options.RateLimitPerSecond),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = Math.Max(0, options.RateLimitQueue),
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });

    static string PartitionKey(HttpRequest req)
    {
        var runId = req.RouteValues.TryGetValue("runId", out var id) ? id?.ToString() : null;
        runId ??= req.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) ?? "";
        var token = ReviewTokens.Of(req);
        return token is null ? $"{runId}|-" : $"{runId}|{ReviewTokens.Hash(token)[..32]}";
    }

    /// <summary>429 with the time to wait, as ProblemDetails.</summary>
    public static ProblemHttpResult Rejected(HttpResponse response, RateLimitLease lease, ReviewRateLimitOptions options)
    {
        var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests",
            detail: $"This review link sent more than {options.RateLimitPerSecond} requests a second " +
                    $"(Reviews:RateLimitPerSecond, bursts of {options.RateLimitBurst}). Retry after {wait} s.");
    }
}

/// <summary>The review token buckets for hosts without ASP.NET Core middleware (the Functions worker).</summary>
public sealed class ReviewRateLimiter(IOptions<ReviewRateLimitOptions> options) : IDisposable
{
    readonly PartitionedRateLimiter<HttpContext> limiter =
        PartitionedRateLimiter.Create<HttpContext, string>(context => ReviewRateLimiting.Partition(context, options.Value));

    /// <summary>Null when the request may go on; otherwise the 429 to answer with.</summary>
    public async Task<ProblemHttpResult?> CheckAsync(HttpRequest req, CancellationToken ct)
    {
        using var lease = await limiter.AcquireAsync(req.HttpContext, 1, ct);
        return lease.IsAcquired ? null : ReviewRateLimiting.Rejected(req.HttpContext.Response, lease, options.Value);
    }

    public void Dispose() => limiter.Dispose();
}
