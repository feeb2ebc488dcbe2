using System.CommandLine;

namespace SynthPref.Demo;

/// <summary>How the run is started: each is an entry point a real client has.</summary>
public enum StartMode
{
    /// <summary>Upload to synthpref-input and let the host's blob trigger start it (the local host polls).</summary>
    Upload,

    /// <summary>Upload, then deliver the BlobCreated event to a Functions host's Event Grid blob webhook, as Event Grid
    /// would: under func start with Azurite nothing else delivers it.</summary>
    EventGrid,

    /// <summary>Upload to synthpref-uploads, which starts nothing, and POST /api/runs with inputBlob.</summary>
    Http,
}

public static class DemoCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("The SynthPref demo: PandaLM items judged by replayed GPT-3.5 verdicts, reviewed with the recorded human labels");
        root.Subcommands.Add(Prepare());
        root.Subcommands.Add(Run());
        return root;
    }

    static Command Prepare()
    {
        var data = new Option<DirectoryInfo>("--data") { Description = "The PandaLM folder (testset-v1.json and gpt-3.5-turbo-testset-v1.json)", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where input.jsonl and replay.jsonl are written", Required = true };
        var count = new Option<int>("--count") { Description = "Items in the seeded sample", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the sample", DefaultValueFactory = _ => 42 };
        count.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--count must be at least 1"); });

        var command = new Command("prepare", "Write a seeded sample of PandaLM as input.jsonl and every recorded verdict as replay.jsonl") { data, output, count, seed };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(data)!.FullName;
            var items = PandaLmReplay.Load(Path.Combine(folder, "testset-v1.json"), Path.Combine(folder, "gpt-3.5-turbo-testset-v1.json"));
            var sample = PandaLmReplay.SeededSample(items, parse.GetValue(count), parse.GetValue(seed));
            var outDir = Directory.CreateDirectory(parse.GetValue(output)!.FullName).FullName;
            File.WriteAllText(Path.Combine(outDir, "input.jsonl"), PandaLmReplay.ToInputJsonl(sample));
            // Every recorded verdict goes into the replay file, so any sample size or seed replays without gaps.
            File.WriteAllText(Path.Combine(outDir, "replay.jsonl"), PandaLmReplay.ToReplayJsonl(items));
            Console.WriteLine($"Prepared {sample.Count} of {items.Count} PandaLM items (seed {parse.GetValue(seed)}), " +
                              $"{sample.Count(i => i.JudgeResult == "garbage")} with garbage judge output, in {outDir}");
            return 0;
        });
        return command;
    }

    static Command Run()
    {
        var host = new Option<Uri>("--host")
        {
            Description = "The host's base URL: the local host, or a Functions host (func start, or Azure)",
            Required = true,
            CustomParser = r => Uri.TryCreate(r.Tokens.Single().Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : Fail<Uri>(r, $"--host: '{r.Tokens.Single().Value}' is not an http(s) URL")!,
        };
        var data = new Option<DirectoryInfo>("--data") { Description = "The PandaLM folder, for the recorded human labels", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "The input.jsonl written by prepare", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Where copies of the report and dataset go", Required = true };
        var storage = new Option<string?>("--storage") { Description = "Storage connection string (default: AzureWebJobsStorage, else the development storage)" };
        var sample = new Option<int>("--sample") { Description = "Items sampled for review", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--seed") { Description = "The run's seed", DefaultValueFactory = _ => 42 };
        var functionKey = new Option<string?>("--function-key")
        {
            Description = "A function key (or the host key) for a Functions host's management routes, sent as x-functions-key (default: SYNTHPREF_FUNCTION_KEY)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SYNTHPREF_FUNCTION_KEY"),
        };
        var start = new Option<StartMode>("--start")
        {
            Description = "upload: the host's blob trigger starts the run; event-grid: also deliver the BlobCreated event to a Functions host; http: POST /api/runs with inputBlob",
            DefaultValueFactory = _ => StartMode.Upload,
            CustomParser = r => r.Tokens.Single().Value.Replace("-", "") is var v && Enum.TryParse<StartMode>(v, ignoreCase: true, out var mode)
                ? mode
                : Fail<StartMode>(r, $"--start: '{r.Tokens.Single().Value}' is not upload, event-grid or http"),
        };
        var blobsKey = new Option<string?>("--blobs-extension-key")
        {
            Description = "With --start event-grid: the Functions host's blobs_extension system key (default: SYNTHPREF_BLOBS_EXTENSION_KEY)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SYNTHPREF_BLOBS_EXTENSION_KEY"),
        };
        sample.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--sample must be 0 or more"); });
        var targetWidth = new Option<double?>("--target-ci-width")
        {
            Description = "Adaptive review: draw more items for every category whose 95% interval is wider than this (e.g. 0.25)",
        };
        var maxSample = new Option<int?>("--max-review-sample-size") { Description = "Adaptive review: the most items sampled over all rounds" };
        var name = new Option<string>("--name") { Description = "The run's name", DefaultValueFactory = _ => "PandaLM demo" };
        var trustTarget = new Option<double?>("--trust-target")
        {
            Description = "Trust levels: the agreement with people the trusted pairs must be shown to reach (e.g. 0.8); the rest are escalated",
        };
        var escalate = new Option<string?>("--escalate") { Description = "With --trust-target: none, or review to send the escalated pairs to people in one more round" };
        var maxEscalated = new Option<int?>("--max-escalated-reviews") { Description = "With --escalate review: the most pairs the escalation round takes" };

        var command = new Command("run", "Start a run from the input, submit the recorded human labels through the review endpoint, print the agreement summary")
        {
            host, data, input, output, storage, sample, seed, functionKey, start, blobsKey, targetWidth, maxSample, name, trustTarget, escalate,
            maxEscalated,
        };
        command.Validators.Add(r =>
        {
            if (r.GetValue(start) == StartMode.EventGrid && string.IsNullOrEmpty(r.GetValue(blobsKey)))
                r.AddError("--start event-grid needs --blobs-extension-key (or SYNTHPREF_BLOBS_EXTENSION_KEY)");
        });
        command.SetAction(async (parse, ct) =>
        {
            var settings = new DemoSettings(
                parse.GetValue(host)!,
                parse.GetValue(data)!.FullName,
                parse.GetValue(input)!.FullName,
                parse.GetValue(output)!.FullName,
                parse.GetValue(storage) ?? Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true",
                parse.GetValue(sample),
                parse.GetValue(seed),
                parse.GetValue(functionKey),
                parse.GetValue(start),
                parse.GetValue(blobsKey),
                parse.GetValue(targetWidth),
                parse.GetValue(maxSample),
                parse.GetValue(name)!,
                parse.GetValue(trustTarget),
                parse.GetValue(escalate),
                parse.GetValue(maxEscalated));
            try
            {
                return await new DemoRun(settings).ExecuteAsync(ct);
            }
            catch (DemoException e)
            {
                Console.Error.WriteLine($"demo failed: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    static T? Fail<T>(System.CommandLine.Parsing.ArgumentResult result, string error)
    {
        result.AddError(error);
        return default;
    }
}

public sealed record DemoSettings(
    Uri Host,
    string Data,
    string Input,
    string Output,
    string Storage,
    int Sample,
    int Seed,
    string? FunctionKey,
    StartMode Start,
    string? BlobsExtensionKey,
    double? TargetCiWidth = null,
    int? MaxReviewSampleSize = null,
    string Name = "PandaLM demo",
    double? TrustTarget = null,
    string? Escalate = null,
    int? MaxEscalatedReviews = null);

public sealed class DemoException(string message) : Exception(message);
