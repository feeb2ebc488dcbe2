using Microsoft.Extensions.AI;
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
            var options = new ChatOptions { Temperature = 0 };
            if (attempt > 1)
                options.AdditionalProperties = new AdditionalPropertiesDictionary { [AttemptProperty] = attempt };
            var response = await _chat.GetResponseAsync(messages, options, ct).ConfigureAwait(false);
            raw = response.Text;
            if (VerdictParser.Parse(raw) is { } verdict)
            {
                return new JudgeCall(verdict.Preference, verdict.Confidence, verdict.Reasoning, raw, attempt);
            }
        }

        return new JudgeCall(Preference.Unparseable, null, null, raw, MaxAttempts);
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
