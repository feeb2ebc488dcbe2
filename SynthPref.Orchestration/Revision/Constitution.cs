using System.Text.Json;
using SynthPref.Orchestration.Statistics;

namespace SynthPref.Orchestration.Revision;

/// <summary>One principle: what a critique looks for, and how a revision answers it.</summary>
public sealed record Principle(string Name, string Critique, string Revision);

/// <summary>
/// The principles critique → revise rounds draw from (Bai et al., 2022). The default ships with SynthPref (about a
/// dozen, on accuracy, completeness, clarity, safety, honesty and the user's intent); a run may name its own file.
/// A file is JSON: <c>{"name": "...", "principles": [{"name", "critique", "revision"}, ...]}</c>.
/// </summary>
public sealed class Constitution
{
    public const int MaxPrinciples = 100;
    public const int MaxTextChars = 4_000;
    public const int MaxNameChars = 100;
    public const int MaxFileBytes = 256 * 1024;
    public const string DefaultSource = "default";

    Constitution(string name, IReadOnlyList<Principle> principles)
    {
        Name = name;
        Principles = principles;
    }

    public string Name { get; }
    public IReadOnlyList<Principle> Principles { get; }

    public static Constitution Default { get; } = LoadDefault();

    /// <summary>
    /// The principle of one round of one item, from (run seed, item id, round) alone: the same run draws the same
    /// principles however often an item is retried, and a different seed draws a different sequence.
    /// </summary>
    public Principle For(int seed, string itemId, int round)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        var hash = (uint)StableHash.Seed(seed, $"principle\n{itemId}\n{round}");
        return Principles[(int)(hash % (uint)Principles.Count)];
    }

    /// <summary>The constitution in a file, or null with every problem in <paramref name="errors"/>, each naming the
    /// field ("principles[3].critique").</summary>
    public static Constitution? Parse(ReadOnlySpan<byte> json, List<string> errors)
    {
        if (json.Length > MaxFileBytes)
        {
            errors.Add($"the file has {json.Length} bytes; the limit is {MaxFileBytes}.");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            errors.Add($"not valid JSON ({e.Message}).");
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("expected a JSON object with a 'principles' array.");
                return null;
            }

            var before = errors.Count;
            var name = root.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "custom";
            if (!root.TryGetProperty("principles", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                errors.Add("principles: required, an array of {name, critique, revision}.");
                return null;
            }

            var principles = new List<Principle>();
            var index = 0;
            foreach (var entry in list.EnumerateArray())
            {
                var at = $"principles[{index++}]";
                if (entry.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{at}: expected an object with name, critique and revision.");
                    continue;
                }
                var principleName = Text(entry, "name", at, MaxNameChars, errors);
                var critique = Text(entry, "critique", at, MaxTextChars, errors);
                var revision = Text(entry, "revision", at, MaxTextChars, errors);
                if (principleName is not null && critique is not null && revision is not null)
                    principles.Add(new Principle(principleName, critique, revision));
            }

            if (index == 0)
                errors.Add("principles: the array is empty; give at least one principle.");
            else if (index > MaxPrinciples)
                errors.Add($"principles: {index} principles; the limit is {MaxPrinciples}.");
            return errors.Count == before ? new Constitution(name, principles) : null;
        }
    }

    static string? Text(JsonElement entry, string field, string at, int max, List<string> errors)
    {
        if (!entry.TryGetProperty(field, out var value) || value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            errors.Add($"{at}.{field}: required, a non-empty string.");
            return null;
        }
        var text = value.GetString()!.Trim();
        if (text.Length > max)
        {
            errors.Add($"{at}.{field}: {text.Length} characters; the limit is {max}.");
            return null;
        }
        return text;
    }

    static Constitution LoadDefault()
    {
        using var stream = typeof(Constitution).Assembly.GetManifestResourceStream("SynthPref.constitution.default.json")
            ?? throw new InvalidOperationException("The default constitution is missing from the assembly.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var errors = new List<string>();
        return Parse(buffer.ToArray(), errors)
            ?? throw new InvalidOperationException("The default constitution is invalid: " + string.Join(" ", errors));
    }
}
