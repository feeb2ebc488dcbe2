namespace SynthPref.Tests.Infrastructure;

/// <summary>Waiting on a condition, with a timeout, instead of sleeping for a time that is hoped to be long enough.</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> if it never does.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var until = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"{what} did not happen within {timeout.TotalSeconds:0} s.");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Sends until the answer is no longer a 429, each time waiting as long as that answer's Retry-After says (the
    /// server's own word on when its bucket has a token again), and returns the first answer that is not.
    /// <paramref name="retryAfter"/> is null for an answer that is not a 429.
    /// </summary>
    public static async Task<T> NotRateLimitedAsync<T>(Func<Task<T>> send, Func<T, TimeSpan?> retryAfter, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var answer = await send();
            if (retryAfter(answer) is not { } wait) return answer;
            if (DateTime.UtcNow + wait > until) throw new TimeoutException($"Still rate-limited after {timeout.TotalSeconds:0} s.");
            await Task.Delay(wait);
        }
    }
}
