using System.Text;
using System.Text.Json.Serialization;

namespace SynthPref.Bench;

/// <summary>One input item in SynthPref's inline JSON shape.</summary>
public sealed record BenchItem(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("category")] string Category,
    [property: JsonPropertyName("response_a")] string ResponseA,
    [property: JsonPropertyName("response_b")] string ResponseB,
    [property: JsonPropertyName("model_a")] string ModelA,
    [property: JsonPropertyName("model_b")] string ModelB);

/// <summary>
/// Deterministic synthetic items (seeded): the two responses always differ in word count, so the fake judge's
/// "longer wins" rule is decisive in both orders and every item yields a pair.
/// </summary>
public static class SyntheticItems
{
    static readonly string[] Vocabulary =
    [
        "the", "model", "answer", "data", "system", "value", "result", "network", "process", "memory",
        "simple", "careful", "quickly", "because", "however", "example", "method", "function", "error", "request",
        "storage", "table", "queue", "server", "client", "latency", "throughput", "policy", "reward", "human",
        "label", "pair", "judge", "prompt", "response", "token", "context", "window", "gradient", "update",
        "train", "test", "measure", "compare", "explain", "describe", "history", "future", "energy", "light",
        "water", "river", "mountain", "city", "market", "price", "cost", "budget", "plan", "design",
        "clear", "useful", "correct", "safe",
    ];

    static readonly string[] Categories =
    [
        "coding", "math", "science", "history", "writing", "travel", "health", "finance", "law", "cooking",
        "sports", "music", "art", "education", "business", "technology", "philosophy", "language", "games", "nature",
    ];

    static readonly string[] Models = ["model-alpha", "model-beta", "model-gamma", "model-delta"];

    public static List<BenchItem> Generate(int count, int seed = 1)
    {
        var random = new Random(seed);
        var items = new List<BenchItem>(count);
        for (var i = 0; i < count; i++)
        {
            var prompt = $"Question {i}: {Words(random, random.Next(6, 16))}?";
            var aWords = random.Next(10, 201);
            var bWords = random.Next(10, 200);
            if (bWords >= aWords) bWords++; // never equal: "longer wins" always decides
            var modelA = Models[random.Next(Models.Length)];
            var modelB = Models[(Array.IndexOf(Models, modelA) + 1 + random.Next(Models.Length - 1)) % Models.Length];
            items.Add(new BenchItem(
                Id: $"bench-{i}",
                Prompt: prompt,
                Category: Categories[random.Next(Categories.Length)],
                ResponseA: Words(random, aWords) + ".",
                ResponseB: Words(random, bWords) + ".",
                ModelA: modelA,
                ModelB: modelB));
        }
        return items;
    }

    static string Words(Random random, int count)
    {
        var text = new StringBuilder();
        for (var w = 0; w < count; w++)
        {
            if (w > 0) text.Append(' ');
            text.Append(Vocabulary[random.Next(Vocabulary.Length)]);
        }
        return text.ToString();
    }
}
