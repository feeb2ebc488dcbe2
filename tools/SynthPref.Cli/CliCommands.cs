using System.CommandLine;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Storage;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Cli;

/// <summary>The <c>synthpref</c> commands. Results go to standard output, progress and messages to standard error,
/// and each failure has its exit code (<see cref="ExitCodes"/>).</summary>
public static class CliCommands
{
    public const string UrlVariable = "SYNTHPREF_URL";
    public const string KeyVariable = "SYNTHPREF_KEY";
    public const string StorageVariable = "AzureWebJobsStorage";
    public const string DefaultUrl = "http://127.0.0.1:7071";

    static readonly Option<Uri> Url = new("--url")
    {
        Description = $"The host's base URL, the local host or a Functions app (default: ${UrlVariable}, else {DefaultUrl})",
        Recursive = true,
        DefaultValueFactory = r => Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } url
            ? ParseUrl(r, url, UrlVariable)!
            : new Uri(DefaultUrl),
        CustomParser = r => ParseUrl(r, r.Tokens.Single().Value, "--url")!,
    };

    // Secrets have no DefaultValueFactory: help prints defaults, and must never print a key or a connection string.
    static readonly Option<string?> Key = new("--key")
    {
        Description = $"The host's key, sent as {ApiOptions.KeyHeader}: a function key, or the local host's Api:Key (default: ${KeyVariable})",
        Recursive = true,
    };

    public static RootCommand Create()
    {
        var root = new RootCommand("synthpref: start SynthPref runs from JSONL files, follow them, and fetch their reports and datasets.")
        {
            Run(), Status(), Runs(), ReviewLink(), Report(), Dataset(),
        };
        root.Options.Add(Url);
        root.Options.Add(Key);
        return root;
    }

    /// <summary>Parses and runs; a usage error is exit code 2 (System.CommandLine's own default is 1, which here means a
    /// failed run).</summary>
    public static async Task<int> InvokeAsync(string[] args, CancellationToken ct = default)
    {
        var parse = Create().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"synthpref: {error.Message}");
            Console.Error.WriteLine("synthpref: see 'synthpref --help'.");
            return ExitCodes.BadInput;
        }
        return await parse.InvokeAsync(cancellationToken: ct);
    }

    static Command Run()
    {
        var file = new Argument<string>("FILE") { Description = "A JSONL file, one item a line: {id, prompt, category?, response_a?, response_b?, model_a?, model_b?}" };
        var name = new Option<string?>("--name") { Description = "The run's name (default: the file's name); other commands take it in place of the run id" };
        var options = new Option<string[]>("--option")
        {
            Description = "A run option as key=value, repeatable (reviewSampleSize=20, critiqueRevise=false, judges=a,b, ...)",
            AllowMultipleArgumentsPerToken = false,
            DefaultValueFactory = _ => [],
        };
        var storage = new Option<string?>("--storage")
        {
            Description = $"A storage connection string: the file is uploaded to {StorageNames.InputContainer} with its options as blob metadata, " +
                          $"and the host's blob trigger starts the run (default: ${StorageVariable}; without either, the file is posted inline)",
        };
        var inline = new Option<bool>("--inline") { Description = $"Post the file inline (POST /api/runs) even when ${StorageVariable} is set" };
        var wait = new Option<bool>("--wait") { Description = "Follow the run through loading, judging and review, then print its headline figures" };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print only the run id" };
        var command = new Command("run", "Start a run from a JSONL file and print its id, status URL and review link")
        {
            file, name, options, storage, inline, wait, quiet,
        };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            var input = RunFile.Open(parse.GetValue(file)!, parse.GetValue(name), parse.GetValue(options) ?? []);
            var connection = parse.GetValue(inline) ? null
                : (parse.GetValue(storage) ?? Environment.GetEnvironmentVariable(StorageVariable)) is { Length: > 0 } s ? s : null;
            using var client = Client(parse);
            string runId, statusUri, reviewUri;
            var replacedLinks = false;
            if (connection is null)
            {
                var body = input.InlineBody(out var items, out var blankLines);
                StartRunResponse started;
                try
                {
                    started = await client.StartRunAsync(body, ct);
                }
                catch (CliException e) when (e.ExitCode == ExitCodes.BadInput && blankLines > 0)
                {
                    throw new CliException(e.ExitCode, e.Message,
                        [.. e.Details, $"(the host numbers the {items} items it was sent; {input.Path} also has blank lines, which are not items)"]);
                }
                Console.Error.WriteLine($"Posted {items:N0} items from {input.Path} to {client.BaseUrl}");
                (runId, statusUri, reviewUri) = (started.RunId, started.StatusUri, started.ReviewUri);
            }
            else
            {
                var (blob, id) = await input.UploadAsync(connection, ct);
                Console.Error.WriteLine($"Uploaded {input.Path} to {StorageNames.InputContainer}/{blob}" +
                                        (input.Metadata.Count > 0 ? $" with {string.Join(", ", input.Metadata.Select(kv => $"{kv.Key}={kv.Value}"))}" : "") +
                                        "; waiting for the host's blob trigger to start it");
                var status = await WaitForUploadAsync(client, id, blob, ct);
                if (status.Status == RunStatus.Failed)
                    throw new CliException(ExitCodes.RunFailed, $"run {id} failed: {status.Error}");
                runId = id;
                statusUri = new Uri(client.BaseUrl, "api/runs/" + Uri.EscapeDataString(id)).ToString();
                // The token of an uploaded run was handed to nobody (only its hash is stored), so a new link is issued.
                reviewUri = (await client.NewReviewLinkAsync(id, ct)).ReviewUri;
                replacedLinks = true;
            }

            if (parse.GetValue(quiet))
                Console.Out.WriteLine(runId);
            else
            {
                Console.Out.WriteLine($"Run     {runId}");
                Console.Out.WriteLine($"Status  {statusUri}");
                Console.Out.WriteLine($"Review  {reviewUri}");
                if (replacedLinks)
                    Console.Out.WriteLine("        (a new link for this uploaded run, from POST /api/runs/{id}/review-link: it replaces any earlier link)");
            }
            if (!parse.GetValue(wait)) return ExitCodes.Ok;
            var final = await new RunWaiter(client, ErrorConsole(), Console.Error).WaitAsync(runId, ct);
            return await FinishAsync(client, final, summary: !parse.GetValue(quiet), ct);
        }, ct));
        return command;
    }

    /// <summary>An upload becomes a run once the host's blob trigger has seen it: the local host polls every few
    /// seconds, a Functions app hears from Event Grid.</summary>
    static async Task<RunStatusResponse> WaitForUploadAsync(SynthPrefClient client, string runId, string blob, CancellationToken ct)
    {
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until)
        {
            if (await client.FindAsync(runId, ct) is { } status) return status;
            await Task.Delay(500, ct);
        }
        throw new CliException(ExitCodes.Unreachable,
            $"{StorageNames.InputContainer}/{blob} was uploaded, but {client.BaseUrl} has not started run {runId} within 60 s. Is that host's blob " +
            "trigger watching this storage account (the same AzureWebJobsStorage)? Under func start with Azurite nothing delivers the Event Grid " +
            "event; post the file inline instead (without --storage).");
    }

    /// <summary>A finished run: its headline figures and outputs, or its error (exit code 1).</summary>
    static async Task<int> FinishAsync(SynthPrefClient client, RunStatusResponse status, bool summary, CancellationToken ct)
    {
        if (status.Status == RunStatus.Failed)
            throw new CliException(ExitCodes.RunFailed, $"run {status.RunId} failed: {status.Error}");
        if (!summary) return ExitCodes.Ok;
        var report = new MemoryStream();
        await client.DownloadAsync(status.RunId, "report", report, ct);
        using var json = JsonDocument.Parse(report.ToArray());
        Console.Out.WriteLine();
        Console.Out.Write(ReportSummary.Render(json.RootElement));
        if (status.Outputs is { } outputs)
        {
            Console.Out.WriteLine($"Report   {new Uri(client.BaseUrl, $"api/runs/{Uri.EscapeDataString(status.RunId)}/report.html")}");
            Console.Out.WriteLine($"Dataset  {outputs.DatasetRows:N0} rows: synthpref dataset {status.RunId} -o dataset.jsonl" +
                                  (status.Degraded ? $" ({outputs.FailedItems} items failed: see {new Uri(client.BaseUrl, $"api/runs/{status.RunId}/failures")})" : ""));
        }
        return ExitCodes.Ok;
    }

    static Command Status()
    {
        var run = RunArgument();
        var json = new Option<bool>("--json") { Description = "Print the status as the API answers it (GET /api/runs/{id})" };
        var command = new Command("status", "Show a run's status, progress, review and outputs (exit code 1 when the run failed)") { run, json };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            using var client = Client(parse);
            var status = await client.StatusAsync(await client.ResolveRunAsync(parse.GetValue(run)!, ct), ct);
            Console.Out.Write(parse.GetValue(json) ? JsonSerializer.Serialize(status, SynthPrefClient.Json) + "\n" : StatusText(status));
            return status.Status == RunStatus.Failed ? ExitCodes.RunFailed : ExitCodes.Ok;
        }, ct));
        return command;
    }

    public static string StatusText(RunStatusResponse s)
    {
        var p = s.Progress;
        var lines = new List<string>
        {
            $"Run       {s.RunId}" + (s.Name is { } name ? $"  ({name})" : ""),
            $"Status    {s.Status}" + (s.Degraded ? $", degraded ({p.FailedItems} items failed)" : ""),
            $"Source    {s.Source}",
            $"Created   {s.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC",
        };
        if (p.Loading is { } loading && s.Status == RunStatus.Loading)
            lines.Add($"Loading   {loading.Lines:N0} lines, {loading.Bytes:N0} of {loading.TotalBytes:N0} bytes");
        if (p.Items > 0)
            lines.Add($"Items     {p.ItemsDone:N0} of {p.Items:N0} judged, {p.PairsWritten:N0} pairs written, {p.FailedItems:N0} items failed" +
                      (p.SkippedForBudget > 0 ? $", {p.SkippedForBudget:N0} skipped for the token budget" : ""));
        if (s.Review is { } review)
            lines.Add($"Review    {review.Phase}: {review.ItemsFullyReviewed:N0} of {review.SampledItems:N0} items reviewed, {review.Votes:N0} votes" +
                      (review.Round is > 1 ? $", round {review.Round}" : "") + (review.EndedBy is { } ended ? $", ended by {ended}" : ""));
        if (p.Llm is { } llm)
            lines.Add($"LLM       {llm.Calls:N0} calls ({llm.CacheHits:N0} from the cache), {llm.InputTokens:N0} input and {llm.OutputTokens:N0} output tokens");
        if (s.Outputs is { } outputs)
            lines.Add($"Outputs   {outputs.ReportJson}, {outputs.ReportHtml}, {outputs.Dataset} ({outputs.DatasetRows:N0} rows)");
        if (s.Error is { } error)
            lines.Add($"Error     {error}");
        return string.Join('\n', lines) + "\n";
    }

    static Command Runs()
    {
        var take = new Option<int>("--take") { Description = "How many of the newest runs", DefaultValueFactory = _ => 20 };
        take.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 500) r.AddError("--take must be from 1 to 500"); });
        var json = new Option<bool>("--json") { Description = "Print the list as the API answers it (GET /api/runs)" };
        var command = new Command("runs", "List the newest runs, newest first") { take, json };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            using var client = Client(parse);
            var runs = await client.ListAsync(parse.GetValue(take), ct);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(runs, SynthPrefClient.Json));
                return ExitCodes.Ok;
            }
            if (runs.Length == 0)
            {
                Console.Error.WriteLine($"synthpref: no runs on {client.BaseUrl} yet.");
                return ExitCodes.Ok;
            }
            var rows = runs.Select(r => new[]
            {
                r.RunId, r.Status + (r.Degraded ? " (degraded)" : ""), r.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
                r.Name ?? "", r.Source,
            }).Prepend(["RUN", "STATUS", "CREATED (UTC)", "NAME", "SOURCE"]).ToList();
            var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
            foreach (var row in rows)
                Console.Out.WriteLine(string.Join("  ", row.Select((cell, c) => c == 4 ? cell : cell.PadRight(widths[c]))).TrimEnd());
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static Command ReviewLink()
    {
        var run = RunArgument();
        var command = new Command("review-link", "Issue a new review link for a run; every earlier link of the run stops working") { run };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            using var client = Client(parse);
            var link = await client.NewReviewLinkAsync(await client.ResolveRunAsync(parse.GetValue(run)!, ct), ct);
            Console.Out.WriteLine(link.ReviewUri);
            Console.Error.WriteLine($"synthpref: a new review link for run {link.RunId}; every earlier link of the run has stopped working.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static Command Report()
    {
        var run = RunArgument();
        var output = new Option<string>("--out", "-o") { Description = "The folder report.json and report.html are written to", DefaultValueFactory = _ => "." };
        var open = new Option<bool>("--open") { Description = "Open report.html in the browser" };
        var command = new Command("report", "Write a completed run's report.json and report.html, and print its headline figures") { run, output, open };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            using var client = Client(parse);
            var id = await client.ResolveRunAsync(parse.GetValue(run)!, ct);
            var folder = Directory.CreateDirectory(Path.GetFullPath(parse.GetValue(output)!)).FullName;
            var json = Path.Combine(folder, "report.json");
            var html = Path.Combine(folder, "report.html");
            await DownloadToFileAsync(client, id, "report", json, ct);
            await DownloadToFileAsync(client, id, "report.html", html, ct);
            using (var report = JsonDocument.Parse(await File.ReadAllBytesAsync(json, ct)))
                Console.Out.Write(ReportSummary.Render(report.RootElement));
            Console.Out.WriteLine($"Wrote {json} and {html}");
            if (parse.GetValue(open)) Open(html);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    static Command Dataset()
    {
        var run = RunArgument();
        var output = new Option<string?>("--out", "-o") { Description = "The file the TRL dataset (JSONL: prompt, chosen, rejected, ...) is written to; - or none: standard output" };
        var command = new Command("dataset", "Write a completed run's TRL preference dataset (JSONL)") { run, output };
        command.SetAction((parse, ct) => Guard(async () =>
        {
            using var client = Client(parse);
            var id = await client.ResolveRunAsync(parse.GetValue(run)!, ct);
            if (parse.GetValue(output) is not { Length: > 0 } file || file == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                await client.DownloadAsync(id, "dataset", stdout, ct);
                return ExitCodes.Ok;
            }
            var path = Path.GetFullPath(file);
            await DownloadToFileAsync(client, id, "dataset", path, ct);
            var rows = File.ReadLines(path).Count(l => l.Length > 0);
            Console.Error.WriteLine($"synthpref: wrote {rows:N0} rows to {path}");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    /// <summary>Written beside the destination and moved over it once complete, so a failed download leaves no half file.</summary>
    static async Task DownloadToFileAsync(SynthPrefClient client, string runId, string output, string path, CancellationToken ct)
    {
        var partial = path + ".partial";
        try
        {
            await using (var stream = File.Create(partial))
                await client.DownloadAsync(runId, output, stream, ct);
            File.Move(partial, path, overwrite: true);
        }
        finally
        {
            File.Delete(partial);
        }
    }

    static void Open(string path)
    {
        try
        {
            using var _ = Process.Start(new ProcessStartInfo(path) { UseShellExecute = true });
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"synthpref: could not open a browser ({e.Message}); open {path} yourself.");
        }
    }

    static Argument<string> RunArgument() => new("RUN") { Description = "A run id, or a run's name (the newest run of that name)" };

    static SynthPrefClient Client(ParseResult parse) =>
        new(parse.GetValue(Url)!, parse.GetValue(Key) ?? Environment.GetEnvironmentVariable(KeyVariable));

    /// <summary>Progress bars on standard error, where a terminal shows them.</summary>
    static IAnsiConsole ErrorConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    static async Task<int> Guard(Func<Task<int>> action, CancellationToken ct)
    {
        try
        {
            return await action();
        }
        catch (CliException e)
        {
            Console.Error.WriteLine($"synthpref: {e.Message}");
            foreach (var detail in e.Details)
                Console.Error.WriteLine($"  {detail}");
            return e.ExitCode;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("synthpref: interrupted; a run already started goes on ('synthpref status' follows it).");
            return ExitCodes.Interrupted;
        }
    }

    static Uri? ParseUrl(System.CommandLine.Parsing.ArgumentResult result, string text, string source)
    {
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https") return uri;
        result.AddError($"{source}: '{text}' is not an http(s) URL such as {DefaultUrl}");
        return null;
    }
}
