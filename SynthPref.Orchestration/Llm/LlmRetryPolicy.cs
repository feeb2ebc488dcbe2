using System.ClientModel.Primitives;
using System.Globalization;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// The one layer that retries transient LLM failures (408, 429, 5xx, timeouts, dropped connections): the SDK's own
/// pipeline, with jittered exponential back-off so many items hitting one limit do not retry in step, and the
/// server's Retry-After honoured when it gives one. Permanent failures (other 4xx) are never retried here, and
/// nothing above retries an LLM call again: the durable layer only retries activities that failed outside the LLM.
/// </summary>
public sealed class LlmRetryPolicy(int maxRetries, TimeSpan baseDelay, TimeSpan maxDelay) : ClientRetryPolicy(maxRetries)
{
    /// <summary>A server asking for longer than this is treated as down for now; the call budget ends the wait.</summary>
    public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount)
    {
        if (message.Response is { } response && RetryAfter(response) is { } asked)
            return asked < TimeSpan.Zero ? TimeSpan.Zero : asked > MaxRetryAfter ? MaxRetryAfter : asked;
        var ceiling = Math.Min(maxDelay.TotalMilliseconds, baseDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, tryCount - 1)));
        // "Equal jitter": at least half the back-off, so retries stay spaced, and a random rest, so they spread.
        return TimeSpan.FromMilliseconds(ceiling / 2 + Random.Shared.NextDouble() * ceiling / 2);
    }

    /// <summary>retry-after-ms and x-ms-retry-after-ms (milliseconds, OpenAI and Azure), else Retry-After (seconds or an HTTP date).</summary>
    public static TimeSpan? RetryAfter(PipelineResponse response)
    {
        foreach (var name in new[] { "retry-after-ms", "x-ms-retry-after-ms" })
            if (response.Headers.TryGetValue(name, out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis))
                return TimeSpan.FromMilliseconds(millis);
        if (!response.Headers.TryGetValue("Retry-After", out var value) || value is null) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
            return TimeSpan.FromSeconds(seconds);
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at - DateTimeOffset.UtcNow
            : null;
    }
}
