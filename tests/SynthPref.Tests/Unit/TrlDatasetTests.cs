using System.Text.Json;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reporting;
using static SynthPref.Tests.Unit.PairFactory;

namespace SynthPref.Tests.Unit;

public class TrlDatasetTests
{
    [Fact]
    public void Verdict_decides_chosen_and_rejected_with_keys_in_fixed_order()
    {
        var pair = Pair(Preference.B, responseA: "worse", responseB: "better", itemIndex: 3, category: "code",
            prompt: "Write a loop", inputId: "q-3", confidence: Confidence.High);

        var line = Assert.Single(TrlDataset.ToJsonLines([pair]));

        Assert.Equal(
            """{"prompt":"Write a loop","chosen":"better","rejected":"worse","id":"q-3","category":"code","source":"judge","confidence":"high","label_source":null}""",
            line);
    }

    [Fact]
    public void Confidence_is_null_when_unknown_and_revision_source_is_named()
    {
        var pair = Pair(Preference.A, responseA: "revised", responseB: "original", source: PairSource.Revision);

        var line = Assert.Single(TrlDataset.ToJsonLines([pair]));
        using var doc = JsonDocument.Parse(line);

        // Every row has the same fields: unknown is null, not missing.
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("confidence").ValueKind);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("label_source").ValueKind);
        Assert.Equal("revision", doc.RootElement.GetProperty("source").GetString());
        Assert.Equal("revised", doc.RootElement.GetProperty("chosen").GetString());
        Assert.Equal("original", doc.RootElement.GetProperty("rejected").GetString());
    }

    [Fact]
    public void Rows_are_ordered_by_item_then_judge_before_revision_and_non_decisive_are_skipped()
    {
        var pairs = new[]
        {
            Pair(Preference.A, itemIndex: 2, source: PairSource.Revision, inputId: "r2"),
            Pair(Preference.A, itemIndex: 2, source: PairSource.Judge, inputId: "j2"),
            Pair(Preference.Tie, itemIndex: 0, inputId: "tie"),
            Pair(Preference.Unparseable, itemIndex: 1, inputId: "bad"),
            Pair(Preference.B, itemIndex: 1, source: PairSource.Revision, inputId: "r1"),
            Pair(Preference.A, itemIndex: 10, inputId: "j10"),
        };

        var ids = TrlDataset.ToJsonLines(pairs)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString())
            .ToList();

        Assert.Equal(["r1", "j2", "r2", "j10"], ids);
    }

    [Fact]
    public void Text_round_trips_including_quotes_newlines_and_non_ascii()
    {
        const string tricky = "He said \"hi\"\nthen <b>left</b> — café 😀 \\ done";
        var pair = Pair(Preference.A, responseA: tricky, responseB: "x", prompt: "p\t2");

        var line = Assert.Single(TrlDataset.ToJsonLines([pair]));
        using var doc = JsonDocument.Parse(line);

        Assert.DoesNotContain('\n', line); // one object per line is the whole point of JSONL
        Assert.Contains("café", line);     // relaxed escaping keeps non-ASCII readable
        Assert.Equal(tricky, doc.RootElement.GetProperty("chosen").GetString());
        Assert.Equal("p\t2", doc.RootElement.GetProperty("prompt").GetString());
    }

    [Fact]
    public async Task The_streamed_file_is_the_lines_one_after_another_byte_for_byte()
    {
        var pairs = new[]
        {
            Pair(Preference.B, itemIndex: 0, inputId: "é-0", responseA: "naïve \"quote\"\nline", responseB: "😀 emoji", confidence: Confidence.Low),
            Pair(Preference.Tie, itemIndex: 1, inputId: "tie"),
            Pair(Preference.A, itemIndex: 2, source: PairSource.Revision, inputId: "r2", responseA: "</script>", responseB: "b"),
        };
        using var stream = new MemoryStream();
        var writer = new TrlDataset.LineWriter(stream);
        foreach (var pair in pairs.Where(TrlDataset.IsRow))
            await writer.WriteAsync(pair, default);
        await writer.WriteEscalatedAsync(pairs[0] with { TrustPoints = 4 }, default);

        var expected = string.Concat(TrlDataset.ToJsonLines(pairs).Concat(TrlDataset.EscalatedJsonLines([pairs[0] with { TrustPoints = 4 }]))
            .Select(l => l + "\n"));
        Assert.Equal(3, writer.Lines);
        Assert.Equal(System.Text.Encoding.UTF8.GetBytes(expected), stream.ToArray());
    }
}
