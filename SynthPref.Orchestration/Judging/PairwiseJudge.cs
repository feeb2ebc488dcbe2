using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Orchestration.Judging;

/// <summary>Asks an LLM which of two responses is better, optionally in both presentation orders.</summary>
public sealed class PairwiseJudge(IChatClient chat, PromptBoundaryKey key)
{
    public const string Role = Llm.LlmRoles.Judge;

    /// <summary>Not sent to the provider, but part of the response cache's key, so a re-ask after an unparseable answer
    /// is a new call instead of the cached bad answer again.</summary>
    public const string AttemptProperty = "synthpref.attempt";

    /// <summary>One retry recovers from an occasional malformed answer; more would mostly burn tokens on a model
    /// that consistently ignores the format, which the run report should surface instead.</summary>
    public const int MaxAttempts = 2;

    readonly IChatClient client = chat ?? throw new ArgumentNullException(nameof(chat));
    readonly PromptBoundaryKey boundaryKey = key ?? throw new ArgumentNullException(nameof(key));

    /// <summary>A judge whose prompt boundaries are keyed for this process only (tests and tools without storage).</summary>
    public PairwiseJudge(IChatClient chat) : this(chat, PromptBoundaryKey.Ephemeral())
    {
    }

    public Task<JudgeCall> JudgeOnceAsync(string query, string first, string second, CancellationToken ct) =>
        JudgeOnceAsync(query, first, second, structured: false, ct);

    /// <param name="structured">Ask for a JSON-schema answer; if the endpoint refuses <c>response_format</c>, the call
    /// is made again with the text template and the result says so (<see cref="JudgeCall.FellBackToText"/>).</param>
    public Task<JudgeCall> JudgeOnceAsync(string query, string first, string second, bool structured, CancellationToken ct) =>
        JudgeOnceAsync(new JudgeSubject(query, first, second), structured, ct);

    /// <param name="subject">What is compared, in presentation order (<see cref="JudgeSubject.First"/> is shown as A).</param>
    public async Task<JudgeCall> JudgeOnceAsync(JudgeSubject subject, bool structured, CancellationToken ct)
    {
        var key = await boundaryKey.GetAsync(ct).ConfigureAwait(false);
        // The identical prompt is resent on retry so a replayed/recorded provider sees the same request both times.
        var request = JudgePrompt.Create(subject, key, structured);
        var raw = string.Empty;
        var fellBack = false;
        List<string>? unparseable = null;
        for (var attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            var options = OptionsFor(attempt, structured);
            ChatResponse response;
            try
            {
                response = await client.GetResponseAsync(request.Messages, options, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (structured && StructuredVerdict.IsRejection(e))
            {
                // Refused before any answer, so this attempt is made again, with the seed's text template.
                structured = false;
                fellBack = true;
                request = JudgePrompt.Create(subject, key, structured: false);
                attempt--;
                continue;
            }

            raw = response.Text;
            var fromJson = structured ? VerdictParser.ParseStructured(raw) : null;
            if ((fromJson ?? VerdictParser.ParseAnswer(raw, request.Boundary)) is { } verdict)
            {
                return new JudgeCall(verdict, raw, attempt, unparseable, Structured: fromJson is not null, FellBackToText: fellBack);
            }
            (unparseable ??= []).Add(raw);
        }

        return new JudgeCall(JudgeAnswer.Unparseable, raw, MaxAttempts, unparseable, FellBackToText: fellBack);
    }

    /// <summary>
    /// The response-cache keys of the first attempt in each order <see cref="JudgeAsync"/> will ask, so a caller can
    /// fetch them ahead; none when the client has no cache.
    /// </summary>
    public Task<IReadOnlyList<string>> CacheKeysAsync(string query, string responseA, string responseB, bool swapPositions,
        bool structured, CancellationToken ct) =>
        CacheKeysAsync(new JudgeSubject(query, responseA, responseB), swapPositions, structured, ct);

    public async Task<IReadOnlyList<string>> CacheKeysAsync(JudgeSubject subject, bool swapPositions, bool structured, CancellationToken ct)
    {
        if (client.GetService<StoredResponseCache>() is not { } cache) return [];
        var key = await boundaryKey.GetAsync(ct).ConfigureAwait(false);
        var keys = new List<string>(2)
        {
            cache.KeyFor(JudgePrompt.Create(subject, key, structured).Messages, OptionsFor(1, structured)),
        };
        if (swapPositions)
            keys.Add(cache.KeyFor(JudgePrompt.Create(subject.Swapped(), key, structured).Messages, OptionsFor(1, structured)));
        return keys;
    }

    /// <summary>The judge model's own answer to an item's prompt, in its conversation, to grade the pair against.
    /// Cached like every call; counted under the <see cref="LlmRoles.Reference"/> role by the client it is given.</summary>
    public static async Task<string> WriteReferenceAsync(IChatClient chat, string query, Input.Conversation? conversation, CancellationToken ct)
    {
        var response = await chat.GetResponseAsync(JudgePrompt.ReferenceRequest(query, conversation?.ContextA),
            new ChatOptions { Temperature = 0 }, ct).ConfigureAwait(false);
        var text = response.Text.Trim();
        return text.Length > 0 ? text : throw new InvalidOperationException("The judge model returned an empty reference answer.");
    }

    static ChatOptions OptionsFor(int attempt, bool structured)
    {
        var options = new ChatOptions { Temperature = 0 };
        if (structured)
            options.ResponseFormat = StructuredVerdict.Format;
        if (attempt > 1)
            options.AdditionalProperties = new AdditionalPropertiesDictionary { [AttemptProperty] = attempt };
        return options;
    }

    /// <summary>This judge's verdict on a pair, named <paramref name="name"/>: input A shown first, and with
    /// <paramref name="swapPositions"/> input B first too, side by side.</summary>
    public Task<JudgeVerdict> JudgeAsync(string query, string responseA, string responseB, bool swapPositions, CancellationToken ct,
        bool structured = false, string name = JudgeVerdict.DefaultName, string? model = null) =>
        JudgeAsync(new JudgeSubject(query, responseA, responseB), swapPositions, ct, structured, name, model);

    /// <param name="subject">The pair in the input's own A/B order.</param>
    public async Task<JudgeVerdict> JudgeAsync(JudgeSubject subject, bool swapPositions, CancellationToken ct,
        bool structured = false, string name = JudgeVerdict.DefaultName, string? model = null)
    {
        var forwardTask = JudgeOnceAsync(subject, structured, ct);
        if (!swapPositions)
        {
            return VerdictCombiner.Combine(name, model, await forwardTask.ConfigureAwait(false), null);
        }

        var swappedTask = JudgeOnceAsync(subject.Swapped(), structured, ct);
        await Task.WhenAll(forwardTask, swappedTask).ConfigureAwait(false);
        return VerdictCombiner.Combine(name, model, await forwardTask.ConfigureAwait(false), await swappedTask.ConfigureAwait(false));
    }
}
