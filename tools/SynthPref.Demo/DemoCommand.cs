using System.Globalization;

namespace SynthPref.Demo;

public static class DemoCommand
{
    const string Usage = """
        usage:
          SynthPref.Demo prepare --data <pandalm dir> --out <dir> [--count 100] [--seed 42]
              writes <out>/input.jsonl (a seeded sample) and <out>/replay.jsonl (the judge's recorded verdicts)
          SynthPref.Demo run --host <url> --data <pandalm dir> --input <input.jsonl> --out <dir>
              [--storage <connection string>] [--sample 20] [--seed 42]
              uploads the input to synthpref-input (the blob trigger starts the run), submits the recorded
              human labels through the review endpoint, then prints the agreement summary
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            if (args.Length == 0) throw new ArgumentException("missing command");
            var options = Options.Parse(args[1..]);
            switch (args[0])
            {
                case "prepare":
                    Prepare(options);
                    return 0;
                case "run":
                    return await new DemoRun(options).ExecuteAsync();
                default:
                    throw new ArgumentException($"unknown command '{args[0]}'");
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}\n{Usage}");
            return 2;
        }
    }

    static void Prepare(Options o)
    {
        var data = o.Required("data");
        var items = PandaLmReplay.Load(Path.Combine(data, "testset-v1.json"), Path.Combine(data, "gpt-3.5-turbo-testset-v1.json"));
        var sample = PandaLmReplay.SeededSample(items, o.Int("count", 100), o.Int("seed", 42));
        var outDir = Directory.CreateDirectory(o.Required("out")).FullName;
        File.WriteAllText(Path.Combine(outDir, "input.jsonl"), PandaLmReplay.ToInputJsonl(sample));
        // Every recorded verdict goes into the replay file, so any sample size or seed replays without gaps.
        File.WriteAllText(Path.Combine(outDir, "replay.jsonl"), PandaLmReplay.ToReplayJsonl(items));
        Console.WriteLine($"Prepared {sample.Count} of {items.Count} PandaLM items (seed {o.Int("seed", 42)}), " +
                          $"{sample.Count(i => i.JudgeResult == "garbage")} with garbage judge output, in {outDir}");
    }
}

public sealed class Options(Dictionary<string, string> values)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected '--name value' at '{args[i]}'");
            values[args[i][2..]] = args[i + 1];
        }
        return new Options(values);
    }

    public string Required(string name) =>
        values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    public string? Optional(string name) => values.GetValueOrDefault(name);

    public int Int(string name, int fallback) =>
        !values.TryGetValue(name, out var text) ? fallback
        : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value
        : throw new ArgumentException($"--{name} must be an integer, not '{text}'");
}
