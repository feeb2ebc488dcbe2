using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Judging;

/// <summary>Asks an LLM which of two responses is better, optionally in both presentation orders.</summary>
public sealed class PairwiseJudge(IChatClient chat)
{
    public const string Role = "judge";

    /// <summary>Not sent to the provider, but part of the response cache's key, so a re-ask after an unparseable answer
    /// is a new call instead of the cached bad answer again.</summary>
    public const string AttemptProperty = "synthpref.attempt";

    /// <summary>One retry recovers from an occasional malformed answer; more would mostly burn tokens on a model
    /// that consistently ignores the format, which the run report should surface instead.</summary>
    public const int MaxAttempts = 2;

    private readonly IChatClient _chat = chat ?? throw new ArgumentNullException(nameof(chat));

    public async Task<JudgeCall> JudgeOnceAsync(string query, string first, string second, CancellationToken ct)
    {
        // The identical prompt is resent on retry so a replayed/recorded provider sees the same request both times.
        var messages = JudgePrompt.Build(query, first, second);
        var raw = string.Empty;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var response = await _chat.GetResponseAsync(messages, OptionsFor(attempt), ct).ConfigureAwait(false);
            raw = response.Text;
            if (VerdictParser.Parse(raw) is { } verdict)
            {
                return new JudgeCall(verdict.Preference, verdict.Confidence, verdict.Reasoning, raw, attempt);
            }
        }

        return new JudgeCall(Preference.Unparseable, null, null, raw, MaxAttempts);
    }

    /// <summary>
    /// The response-cache keys of the first attempt in each order <see cref="JudgeAsync"/> will ask, so a caller can
    /// fetch them ahead; none when the client has no cache.
    /// </summary>
    public IEnumerable<string> CacheKeys(string query, string responseA, string responseB, bool swapPositions)
    {
        if (_chat.GetService<StoredResponseCache>() is not { } cache) yield break;
        yield return cache.KeyFor(JudgePrompt.Build(query, responseA, responseB), OptionsFor(1));
        if (swapPositions)
            yield return cache.KeyFor(JudgePrompt.Build(query, responseB, responseA), OptionsFor(1));
    }

    static ChatOptions OptionsFor(int attempt)
    {
        var options = new ChatOptions { Temperature = 0 };
        if (attempt > 1)
            options.AdditionalProperties = new AdditionalPropertiesDictionary { [AttemptProperty] = attempt };
        return options;
    }

    public async Task<PairVerdict> JudgeAsync(
        string query, string responseA, string responseB, bool swapPositions, CancellationToken ct)
    {
        var forwardTask = JudgeOnceAsync(query, responseA, responseB, ct);
        if (!swapPositions)
        {
            return VerdictCombiner.Combine(await forwardTask.ConfigureAwait(false), null);
        }

        var swappedTask = JudgeOnceAsync(query, responseB, responseA, ct);
        await Task.WhenAll(forwardTask, swappedTask).ConfigureAwait(false);
        return VerdictCombiner.Combine(await forwardTask.ConfigureAwait(false), await swappedTask.ConfigureAwait(false));
    }
}
