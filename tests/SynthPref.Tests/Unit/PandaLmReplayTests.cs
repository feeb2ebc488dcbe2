using System.Text.Json;
using Microsoft.Extensions.AI;
using SynthPref.Demo;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

public sealed class PandaLmReplayTests
{
    static readonly Lazy<IReadOnlyList<PandaLmItem>> Items = new(() => PandaLmReplay.Load(
        Path.Combine(RepoPaths.PandaLmData, "testset-v1.json"),
        Path.Combine(RepoPaths.PandaLmData, "gpt-3.5-turbo-testset-v1.json")));

    [Fact]
    public void Loads_all_items_joined_with_their_verdicts()
    {
        var items = Items.Value;
        Assert.Equal(999, items.Count);
        Assert.Equal(25, items.Count(i => i.JudgeResult == "garbage"));
        Assert.Equal(38, items.Count(i => i.JudgeResult == "Tie"));
        Assert.Equal(Enumerable.Range(0, 999), items.Select(i => i.Idx));
    }

    [Fact]
    public void First_item_is_mapped_field_by_field()
    {
        var first = Items.Value[0];
        Assert.Equal("Grammarly", first.Category);
        Assert.StartsWith("The sentence you are given might be too wordy", first.Prompt);
        Assert.EndsWith("\n\nIf you have any questions about my rate or if you find it necessary to increase or decrease the scope for this project, please let me know.", first.Prompt);
        Assert.Equal("If you have any questions about my rate, please let me know.", first.Response1);
        Assert.Equal("If you have any questions, please let me know.", first.Response2);
        Assert.Equal(("bloom-7b", "llama-7b"), (first.ModelA, first.ModelB));
        Assert.Equal("1", first.JudgeResult);
        Assert.StartsWith("Response 1 is better", first.JudgeReason);
        Assert.Equal([2, 2, 2], first.Annotators);
    }

    [Fact]
    public void Prompt_without_input_is_the_instruction_alone()
    {
        var noInput = Items.Value.First(i => !i.Prompt.Contains("\n\n"));
        Assert.DoesNotContain("\n\n", noInput.Prompt);
        Assert.False(string.IsNullOrWhiteSpace(noInput.Prompt));
    }

    [Fact]
    public void Boolean_responses_become_their_json_text()
    {
        var item = Items.Value.Single(i => i.Idx == 157);
        Assert.Equal("true", item.Response1);
        Assert.Equal("True.", item.Response2);
        Assert.Equal("true", Items.Value.Single(i => i.Idx == 161).Response2);
    }

    [Fact]
    public void Seeded_sample_is_deterministic_sorted_and_seed_dependent()
    {
        var items = Items.Value;
        var a = PandaLmReplay.SeededSample(items, 50, seed: 7);
        var b = PandaLmReplay.SeededSample(items.Reverse().ToArray(), 50, seed: 7);
        var c = PandaLmReplay.SeededSample(items, 50, seed: 8);

        Assert.Equal(50, a.Count);
        Assert.Equal(a.Select(i => i.Idx), b.Select(i => i.Idx));
        Assert.NotEqual(a.Select(i => i.Idx), c.Select(i => i.Idx));
        Assert.Equal(a.Select(i => i.Idx).Order(), a.Select(i => i.Idx));
        Assert.Equal(50, a.Select(i => i.Idx).Distinct().Count());
        Assert.Equal(999, PandaLmReplay.SeededSample(items, 5000, seed: 1).Count);
    }

    [Fact]
    public void Input_jsonl_has_one_line_per_item_with_the_input_fields()
    {
        var sample = Items.Value.Take(3).ToArray();
        var lines = PandaLmReplay.ToInputJsonl(sample).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);

        using var doc = JsonDocument.Parse(lines[0]);
        var root = doc.RootElement;
        Assert.Equal("pandalm-0", root.GetProperty("id").GetString());
        Assert.Equal(sample[0].Prompt, root.GetProperty("prompt").GetString());
        Assert.Equal("Grammarly", root.GetProperty("category").GetString());
        Assert.Equal(sample[0].Response1, root.GetProperty("response_a").GetString());
        Assert.Equal(sample[0].Response2, root.GetProperty("response_b").GetString());
        Assert.Equal("bloom-7b", root.GetProperty("model_a").GetString());
        Assert.Equal("llama-7b", root.GetProperty("model_b").GetString());
    }

    [Fact]
    public void Replay_jsonl_round_trips_through_the_replay_book()
    {
        var items = Items.Value;
        var book = ReplayBook.Parse(new StringReader(PandaLmReplay.ToReplayJsonl(items)), "pandalm");

        Assert.Equal(999, book.Records.Count);
        Assert.Equal(25, book.Records.Count(r => r.Verdict == ReplayVerdict.Garbage));
        Assert.Equal(38, book.Records.Count(r => r.Verdict == ReplayVerdict.Tie));
        Assert.Equal(460, book.Records.Count(r => r.Verdict == ReplayVerdict.Response1));
        Assert.Equal(476, book.Records.Count(r => r.Verdict == ReplayVerdict.Response2));
        Assert.All(book.Records.Zip(items), p =>
        {
            Assert.Equal(p.Second.Prompt, p.First.Query);
            Assert.Equal(p.Second.Response1, p.First.Response1);
            Assert.Equal(p.Second.Response2, p.First.Response2);
        });
    }

    [Fact]
    public async Task Replay_of_the_real_data_answers_every_item_in_both_orders()
    {
        var items = Items.Value;
        var client = new ReplayChatClient(ReplayBook.Parse(new StringReader(PandaLmReplay.ToReplayJsonl(items)), "pandalm"), JudgePrompt.TryExtract);

        foreach (var item in items)
        {
            var forward = (await client.GetResponseAsync([new ChatMessage(ChatRole.User, JudgeText.Of(item.Prompt, item.Response1, item.Response2))])).Text;
            var swapped = (await client.GetResponseAsync([new ChatMessage(ChatRole.User, JudgeText.Of(item.Prompt, item.Response2, item.Response1))])).Text;

            // Exact (query, texts) duplicates keep the first recording, so compare against that one.
            var first = items.First(i => i.Prompt == item.Prompt && i.Response1 == item.Response1 && i.Response2 == item.Response2);
            var (expectedForward, expectedSwapped) = first.JudgeResult switch
            {
                "1" => ("PREFERENCE: A\nREASONING: " + first.JudgeReason, "PREFERENCE: B\nREASONING: " + first.JudgeReason),
                "2" => ("PREFERENCE: B\nREASONING: " + first.JudgeReason, "PREFERENCE: A\nREASONING: " + first.JudgeReason),
                "Tie" => ("PREFERENCE: TIE\nREASONING: " + first.JudgeReason, "PREFERENCE: TIE\nREASONING: " + first.JudgeReason),
                _ => (first.JudgeReason, first.JudgeReason),
            };
            Assert.Equal(expectedForward, forward);
            // A reversed duplicate recording of its own takes precedence for the swapped order.
            var reversed = items.FirstOrDefault(i => i.Prompt == item.Prompt && i.Response1 == item.Response2 && i.Response2 == item.Response1);
            if (reversed is null)
                Assert.Equal(expectedSwapped, swapped);
        }
    }

    [Fact]
    public async Task Every_recorded_verdict_reads_the_same_through_the_judge_prompt_as_the_bare_recording_did()
    {
        // The demo's figures rest on this: the replay judge now answers after each prompt's verdict line, and the
        // block parser must read every recorded answer (the garbage ones included) exactly as the whole-text parser
        // read the bare recording before boundaries existed.
        var items = Items.Value;
        var book = ReplayBook.Parse(new StringReader(PandaLmReplay.ToReplayJsonl(items)), "pandalm");
        var bare = new ReplayChatClient(book, JudgePrompt.TryExtract);
        var shaped = new ReplayChatClient(book, JudgePrompt.TryExtract, JudgePrompt.WrapAnswer);

        foreach (var item in items)
        {
            foreach (var (a, b) in new[] { (item.Response1, item.Response2), (item.Response2, item.Response1) })
            {
                var request = JudgePrompt.Create(item.Prompt, a, b, JudgeText.Key);
                var before = VerdictParser.Parse((await bare.GetResponseAsync(request.Messages)).Text);
                var now = VerdictParser.ParseAnswer((await shaped.GetResponseAsync(request.Messages)).Text, request.Boundary);
                Assert.Equal(before?.Verdict, now?.Verdict);
                Assert.Equal(before?.Confidence, now?.Confidence);
            }
        }
    }
}
