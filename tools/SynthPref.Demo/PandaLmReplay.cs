using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SynthPref.Demo;

/// <summary>One PandaLM test-set item joined with GPT-3.5's recorded verdict for it.</summary>
/// <param name="JudgeResult">As recorded: "1", "2", "Tie" or "garbage".</param>
/// <param name="Annotators">The three human labels: 0 = tie, 1 = response1, 2 = response2.</param>
public sealed record PandaLmItem(
    int Idx,
    string Category,
    string Prompt,
    string Response1,
    string Response2,
    string ModelA,
    string ModelB,
    string JudgeResult,
    string JudgeReason,
    int[] Annotators);

/// <summary>
/// Turns the PandaLM human-annotated test set and GPT-3.5's verdicts on it into a SynthPref input set and a
/// replay file, so the demo judges real pairs with a real judge's recorded answers and no network.
/// </summary>
public static class PandaLmReplay
{
    static readonly JsonSerializerOptions LineOptions = new()
    {
        // Keeps non-ASCII text readable in the files a person inspects; JSON validity is unaffected.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static IReadOnlyList<PandaLmItem> Load(string testsetPath, string verdictsPath)
    {
        var verdicts = new Dictionary<int, (string Result, string Reason)>();
        foreach (var (v, i) in ReadArray(verdictsPath))
        {
            var idx = RequiredInt(v, "idx", verdictsPath, i);
            if (!verdicts.TryAdd(idx, (ScalarText(v, "gpt_result", verdictsPath, i), OptionalText(v, "gpt_reason"))))
                throw new FormatException($"'{verdictsPath}' item {i}: duplicate idx {idx}");
        }

        var items = new List<PandaLmItem>();
        foreach (var (t, i) in ReadArray(testsetPath))
        {
            var idx = RequiredInt(t, "idx", testsetPath, i);
            if (!verdicts.TryGetValue(idx, out var verdict))
                throw new FormatException($"'{testsetPath}' item {i}: idx {idx} has no verdict in '{verdictsPath}'");

            var instruction = ScalarText(t, "instruction", testsetPath, i);
            var input = OptionalText(t, "input");
            var prompt = input.Length == 0 ? instruction : instruction + "\n\n" + input;

            var cmpKey = ScalarText(t, "cmp_key", testsetPath, i);
            var models = cmpKey.Split('_', 2);
            if (models.Length != 2)
                throw new FormatException($"'{testsetPath}' item {i}: cmp_key '{cmpKey}' is not '<modelA>_<modelB>'");

            items.Add(new PandaLmItem(
                idx,
                ScalarText(t, "motivation_app", testsetPath, i),
                prompt,
                ScalarText(t, "response1", testsetPath, i),
                ScalarText(t, "response2", testsetPath, i),
                models[0],
                models[1],
                verdict.Result,
                verdict.Reason,
                [RequiredInt(t, "annotator1", testsetPath, i), RequiredInt(t, "annotator2", testsetPath, i), RequiredInt(t, "annotator3", testsetPath, i)]));
        }

        items.Sort((x, y) => x.Idx.CompareTo(y.Idx));
        return items;
    }

    /// <summary>Same items for the same seed on every machine: shuffles a copy ordered by Idx, so input order does not matter.</summary>
    public static IReadOnlyList<PandaLmItem> SeededSample(IReadOnlyList<PandaLmItem> items, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(count);

        var pool = items.OrderBy(x => x.Idx).ToArray();
        var random = new Random(seed);
        for (var i = pool.Length - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (pool[i], pool[j]) = (pool[j], pool[i]);
        }
        return pool.Take(count).OrderBy(x => x.Idx).ToArray();
    }

    /// <summary>The input id an item gets, by which the demo finds its human labels again.</summary>
    public static string InputId(PandaLmItem item) => $"pandalm-{item.Idx}";

    public static string ToInputJsonl(IEnumerable<PandaLmItem> items) =>
        Jsonl(items, x => new
        {
            id = InputId(x),
            prompt = x.Prompt,
            category = x.Category,
            response_a = x.Response1,
            response_b = x.Response2,
            model_a = x.ModelA,
            model_b = x.ModelB,
        });

    public static string ToReplayJsonl(IEnumerable<PandaLmItem> items) =>
        Jsonl(items, x => new
        {
            query = x.Prompt,
            response_1 = x.Response1,
            response_2 = x.Response2,
            verdict = ReplayVerdictText(x),
            reason = x.JudgeReason,
        });

    static string ReplayVerdictText(PandaLmItem item) => item.JudgeResult.ToLowerInvariant() switch
    {
        "1" => "1",
        "2" => "2",
        "tie" => "tie",
        "garbage" => "garbage",
        _ => throw new FormatException($"PandaLM idx {item.Idx}: unknown gpt_result '{item.JudgeResult}'"),
    };

    static string Jsonl<T>(IEnumerable<PandaLmItem> items, Func<PandaLmItem, T> shape)
    {
        ArgumentNullException.ThrowIfNull(items);
        var sb = new StringBuilder();
        foreach (var item in items)
            sb.Append(JsonSerializer.Serialize(shape(item), LineOptions)).Append('\n');
        return sb.ToString();
    }

    static IEnumerable<(JsonElement Item, int Index)> ReadArray(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
            throw new FormatException($"'{path}' must hold a JSON array");
        // Cloned so the elements outlive the document.
        return doc.RootElement.EnumerateArray().Select((e, i) => (e.Clone(), i)).ToArray();
    }

    static int RequiredInt(JsonElement e, string name, string path, int index) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n)
            ? n
            : throw new FormatException($"'{path}' item {index}: field '{name}' must be an integer");

    /// <summary>A few PandaLM responses are JSON booleans (an answer of "true"); their JSON text is what the model said.</summary>
    static string ScalarText(JsonElement e, string name, string path, int index)
    {
        if (!e.TryGetProperty(name, out var v))
            throw new FormatException($"'{path}' item {index}: field '{name}' is missing");
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number => v.GetRawText(),
            _ => throw new FormatException($"'{path}' item {index}: field '{name}' must be a string or scalar, got {v.ValueKind}"),
        };
    }

    static string OptionalText(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
}
