using System.Diagnostics;
using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Bench;

public sealed record LoopResult(int Calls, TimeSpan Wall, int Expected, int Unparseable);

/// <summary>
/// The baseline: the calls SynthPref makes for each item on its defaults (the same prompts, options, client and parser),
/// in a plain Parallel.ForEachAsync with no storage and no orchestration: for an item of a default reference category
/// (<see cref="RunSettings.DefaultReferenceCategories"/>) the judge model first writes the reference answer, then both
/// orders are judged against it.
/// </summary>
public static class PlainLoop
{
    public static async Task<LoopResult> RunAsync(IReadOnlyList<BenchItem> items, Uri llmBaseUrl, int concurrency, bool swap, CancellationToken ct)
    {
        using var chat = ChatClientFactory.Create(
            new LlmOptions
            {
                Provider = LlmProvider.OpenAICompatible,
                Endpoint = llmBaseUrl.ToString().TrimEnd('/'),
                Model = "fake-judge",
                MaxConcurrency = concurrency,
            },
            JudgePrompt.TryExtract);

        var calls = 0;
        var expected = 0;
        var unparseable = 0;
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = ct },
            async (item, token) =>
            {
                // Both orders at once, as PairwiseJudge does; the client's limiter bounds calls in flight.
                var aLonger = WordCount(item.ResponseA) > WordCount(item.ResponseB);
                string? reference = null;
                if (ItemReference.Wanted(null, item.Category))
                {
                    reference = await PairwiseJudge.WriteReferenceAsync(chat, item.Prompt, null, token);
                    Interlocked.Increment(ref calls);
                }
                var subject = new JudgeSubject(item.Prompt, item.ResponseA, item.ResponseB, Reference: reference);
                var forward = JudgeAsync(chat, subject, token);
                var swapped = swap ? JudgeAsync(chat, subject.Swapped(), token) : null;
                Tally(await forward, aLonger ? Preference.A : Preference.B);
                if (swapped is not null)
                    Tally(await swapped, aLonger ? Preference.B : Preference.A);
            });
        watch.Stop();
        return new LoopResult(calls, watch.Elapsed, expected, unparseable);

        void Tally(JudgeAnswer? verdict, Preference want)
        {
            Interlocked.Increment(ref calls);
            if (verdict is null) Interlocked.Increment(ref unparseable);
            else if (verdict.Verdict == want) Interlocked.Increment(ref expected);
        }
    }

    // The loop has no storage account, so its prompt boundaries are keyed for this process alone.
    static readonly byte[] Key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);

    static async Task<JudgeAnswer?> JudgeAsync(IChatClient chat, JudgeSubject subject, CancellationToken ct)
    {
        var request = JudgePrompt.Create(subject, Key);
        var response = await chat.GetResponseAsync(request.Messages, new ChatOptions { Temperature = 0 }, ct);
        return VerdictParser.ParseAnswer(response.Text, request.Boundary);
    }

    static int WordCount(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
