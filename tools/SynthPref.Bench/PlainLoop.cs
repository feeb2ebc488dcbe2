using System.Diagnostics;
using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Bench;

public sealed record LoopResult(int Calls, TimeSpan Wall, int Expected, int Unparseable);

/// <summary>
/// The baseline: the judge calls SynthPref makes for each item (the same prompt, options, client and parser), in a
/// plain Parallel.ForEachAsync with no storage and no orchestration.
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
                var forward = JudgeAsync(chat, item.Prompt, item.ResponseA, item.ResponseB, token);
                var swapped = swap ? JudgeAsync(chat, item.Prompt, item.ResponseB, item.ResponseA, token) : null;
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

    static async Task<JudgeAnswer?> JudgeAsync(IChatClient chat, string query, string first, string second, CancellationToken ct)
    {
        var request = JudgePrompt.Create(query, first, second, Key);
        var response = await chat.GetResponseAsync(request.Messages, new ChatOptions { Temperature = 0 }, ct);
        return VerdictParser.ParseAnswer(response.Text, request.Boundary);
    }

    static int WordCount(string text) => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
}
