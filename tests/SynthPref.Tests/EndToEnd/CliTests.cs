using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using SynthPref.Cli;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Reviews;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The built synthpref CLI, run as a process against the real local host, as a user or a script would run it.</summary>
[Collection(PipelineCollection.Name)]
public sealed class CliTests(PipelineFixture fixture) : IDisposable
{
    readonly string work = Directory.CreateTempSubdirectory("synthpref-cli-").FullName;

    Uri Url => fixture.Host.BaseAddress;

    string Items(string tag, int count, Func<int, string>? line = null)
    {
        var path = Path.Combine(work, $"{tag}.jsonl");
        File.WriteAllLines(path, Enumerable.Range(1, count).Select(i => line?.Invoke(i)
            ?? $$"""{"id":"{{tag}}-{{i}}","prompt":"{{tag}} question {{i}}","category":"c{{i % 2}}","response_a":"[[good]] answer {{i}}","response_b":"no"}"""));
        return path;
    }

    static string TokenOf(string reviewLine) => Uri.UnescapeDataString(reviewLine[(reviewLine.IndexOf("#token=", StringComparison.Ordinal) + 7)..].Trim());

    [Fact]
    public async Task Run_posts_a_small_file_inline_follows_it_through_review_and_prints_the_headline()
    {
        var tag = "cli" + Guid.NewGuid().ToString("N")[..8];
        var file = Items(tag, 4);
        await using var cli = CliProcess.Start(Url, ["run", file, "--name", tag, "--option", "critiqueRevise=false",
            "--option", "reviewSampleSize=2", "--option", "seed=3", "--wait"]);

        var runId = (await cli.WaitForLineAsync("Run     ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.Equal($"Status  {Url}api/runs/{runId}", await cli.WaitForLineAsync("Status  "));
        var review = await cli.WaitForLineAsync("Review  ");
        Assert.StartsWith($"Review  {Url}api/runs/{runId}/review#token=", review);

        // The reviewer's part, through the link the CLI printed, once its progress log (stderr is not a terminal here)
        // says it waits for review.
        Assert.Equal("Review: 0 of 2 items reviewed, 0 votes", await cli.WaitForErrorLineAsync("Review: "));
        var token = TokenOf(review);
        var items = await fixture.Api.ReviewItemsAsync(new StartRunResponse(runId, "", "", token));
        Assert.Equal(2, items.Length);
        foreach (var item in items)
            Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.ReviewAsync(runId, token, new { itemId = item.ItemId, reviewer = "ann", preference = "first" })).StatusCode);

        var result = await cli.ExitAsync();
        Assert.True(result.ExitCode == ExitCodes.Ok, result.ToString());
        Assert.Contains("Judge-human agreement: ", result.Stdout);
        Assert.Contains("of 2 votes", result.Stdout);
        Assert.Contains("Human review: 2 items, 1 reviewers, 2 votes (ended: complete)", result.Stdout);
        Assert.Contains($"Posted 4 items from {file}", result.Stderr);
        Assert.Contains("Completed", result.Stderr);
        Assert.Equal(4, fixture.JudgeCallsFor(tag) / 2); // both orders, each item once

        // status, runs, report and dataset take the run's name as well as its id.
        var status = await CliProcess.RunAsync(Url, "status", tag);
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains($"Run       {runId}  ({tag})", status.Stdout);
        Assert.Contains("Status    Completed", status.Stdout);
        Assert.Contains("Items     4 of 4 judged, 4 pairs written, 0 items failed", status.Stdout);
        var json = await CliProcess.RunAsync(Url, "status", runId, "--json");
        Assert.Equal("Completed", JsonDocument.Parse(json.Stdout).RootElement.GetProperty("status").GetString());

        var runs = await CliProcess.RunAsync(Url, "runs", "--json");
        Assert.Contains(JsonDocument.Parse(runs.Stdout).RootElement.EnumerateArray(), r => r.GetProperty("runId").GetString() == runId);
        var table = await CliProcess.RunAsync(Url, "runs", "--take", "500");
        Assert.Matches($@"(?m)^{runId}\s+Completed\s+\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d\s+{tag}\s+http$", table.Stdout);

        var folder = Path.Combine(work, "out");
        var report = await CliProcess.RunAsync(Url, "report", tag, "-o", folder);
        Assert.True(report.ExitCode == 0, report.ToString());
        Assert.Equal((await fixture.Api.ReportAsync(runId)).GetRawText(), File.ReadAllText(Path.Combine(folder, "report.json")));
        Assert.Equal(await fixture.Api.Http.GetStringAsync($"/api/runs/{runId}/report.html"), File.ReadAllText(Path.Combine(folder, "report.html")));
        Assert.Contains("Judge-human agreement: ", report.Stdout);

        var datasetFile = Path.Combine(work, "dataset.jsonl");
        var dataset = await CliProcess.RunAsync(Url, "dataset", runId, "-o", datasetFile);
        Assert.True(dataset.ExitCode == 0, dataset.ToString());
        Assert.Equal(await fixture.Api.Http.GetStringAsync($"/api/runs/{runId}/dataset"), File.ReadAllText(datasetFile));
        Assert.Contains($"wrote 4 rows to {datasetFile}", dataset.Stderr);
        Assert.Equal(File.ReadAllText(datasetFile), (await CliProcess.RunAsync(Url, "dataset", runId)).Stdout);

        // A new review link replaces the old one.
        var link = await CliProcess.RunAsync(Url, "review-link", tag);
        Assert.True(link.ExitCode == 0, link.ToString());
        Assert.Contains("every earlier link of the run has stopped working", link.Stderr);
        var fresh = TokenOf(link.Stdout);
        Assert.NotEqual(token, fresh);
        Assert.Equal(HttpStatusCode.Unauthorized, (await ReviewItemsStatusAsync(runId, token)));
        Assert.Equal(HttpStatusCode.OK, (await ReviewItemsStatusAsync(runId, fresh)));
    }

    [Fact]
    public async Task Run_with_storage_uploads_the_file_with_its_options_as_metadata_and_issues_a_review_link()
    {
        var tag = "cliup" + Guid.NewGuid().ToString("N")[..8];
        var file = Items(tag, 3);
        await using var cli = CliProcess.Start(Url, ["run", file, "--name", tag, "--option", "critiqueRevise=false",
            "--option", "swapPositions=false", "--option", "reviewSampleSize=1", "--wait"],
            new Dictionary<string, string?> { ["AzureWebJobsStorage"] = fixture.StorageConnectionString });

        var runId = (await cli.WaitForLineAsync("Run     ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.StartsWith("blob-", runId);
        var review = await cli.WaitForLineAsync("Review  ");
        Assert.Contains("it replaces any earlier link", await cli.WaitForLineAsync("        ("));

        var status = await fixture.Api.WaitForAsync(runId, "AwaitingReview");
        var source = status.GetProperty("source").GetString()!;
        Assert.StartsWith("blob:synthpref-input/" + tag + "-", source);
        var blob = new BlobServiceClient(fixture.StorageConnectionString).GetBlobContainerClient("synthpref-input")
            .GetBlobClient(source["blob:synthpref-input/".Length..]);
        var metadata = (await blob.GetPropertiesAsync()).Value.Metadata;
        Assert.Equal(tag, metadata["name"]);
        Assert.Equal("false", metadata["swapPositions"]);
        Assert.Equal("1", metadata["reviewSampleSize"]);
        Assert.Equal(3, fixture.JudgeCallsFor(tag)); // swapPositions=false: one order per item

        // The link the CLI issued works; closing the review lets the waiting CLI finish.
        var token = TokenOf(review);
        Assert.Single(await fixture.Api.ReviewItemsAsync(new StartRunResponse(runId, "", "", token)));
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(runId, token)).StatusCode);
        var result = await cli.ExitAsync();
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("(ended: closed)", result.Stdout);
        Assert.Contains($"Uploaded {file} to synthpref-input/{tag}-", result.Stderr);
    }

    [Fact]
    public async Task Bad_arguments_and_bad_input_exit_2_naming_the_option_the_file_and_line_and_the_hosts_field_errors()
    {
        var tag = "clibad" + Guid.NewGuid().ToString("N")[..8];
        var good = Items(tag, 2);

        var typo = await CliProcess.RunAsync(Url, "run", good, "--option", "reviewSampelSize=5");
        Assert.True(typo.ExitCode == ExitCodes.BadInput, typo.ToString());
        Assert.Contains("synthpref: --option reviewSampelSize: no such run option. Run options: swapPositions, critiqueRevise, reviewSampleSize", typo.Stderr);

        var value = await CliProcess.RunAsync(Url, "run", good, "--option", "reviewSampleSize=many", "--option", "swapPositions=maybe");
        Assert.Equal(ExitCodes.BadInput, value.ExitCode);
        Assert.Contains("--option reviewSampleSize: 'many' is not an integer.", value.Stderr);
        Assert.Contains("--option swapPositions: 'maybe' is not true or false.", value.Stderr);

        var missing = await CliProcess.RunAsync(Url, ["run", "nowhere.jsonl"], null, work);
        Assert.Equal(ExitCodes.BadInput, missing.ExitCode);
        Assert.Contains($"synthpref: nowhere.jsonl: no such file ({Path.Combine(work, "nowhere.jsonl")}).", missing.Stderr);

        var broken = Items(tag + "-broken", 4, i => i == 3 ? """{"id":"x","prompt":"p" "response_a":"a"}""" : $$"""{"id":"{{i}}","prompt":"p{{tag}}","response_a":"a","response_b":"b"}""");
        var notJson = await CliProcess.RunAsync(Url, "run", broken);
        Assert.Equal(ExitCodes.BadInput, notJson.ExitCode);
        Assert.Contains($"{broken} line 3: not valid JSON: ", notJson.Stderr);
        Assert.DoesNotContain("LineNumber", notJson.Stderr);

        // The host's own validation: every field error it names, printed one a line.
        var invalid = Items(tag + "-invalid", 3, i => i == 2 ? """{"id":"y","response_a":"a","response_b":"b"}""" : $$"""{"id":"{{i}}","prompt":"q{{tag}}","response_a":"a","response_b":"b"}""");
        var refused = await CliProcess.RunAsync(Url, "run", invalid, "--option", "critiqueRevise=false");
        Assert.True(refused.ExitCode == ExitCodes.BadInput, refused.ToString());
        Assert.Contains("synthpref: could not start the run: 400 Bad Request: Input 'items' has 1 invalid line(s)\n", refused.Stderr.ReplaceLineEndings("\n"));
        Assert.Contains("  line 2, field 'prompt': prompt is required", refused.Stderr);

        var usage = await CliProcess.RunAsync(Url, "run");
        Assert.Equal(ExitCodes.BadInput, usage.ExitCode);
        Assert.Contains("synthpref: see 'synthpref --help'.", usage.Stderr);
        Assert.Equal(ExitCodes.BadInput, (await CliProcess.RunAsync(new Uri("http://127.0.0.1:1"), "runs", "--url", "ftp://x")).ExitCode);
    }

    [Fact]
    public async Task Exit_codes_say_unreachable_not_found_not_ready_and_failed()
    {
        var nobody = new Uri($"http://127.0.0.1:{FreePort.Next()}");
        var unreachable = await CliProcess.RunAsync(nobody, "runs");
        Assert.True(unreachable.ExitCode == ExitCodes.Unreachable, unreachable.ToString());
        Assert.Contains($"{nobody} cannot be reached", unreachable.Stderr);

        var missing = await CliProcess.RunAsync(Url, "status", "no-such-run-" + Guid.NewGuid().ToString("N"));
        Assert.True(missing.ExitCode == ExitCodes.NotFound, missing.ToString());
        Assert.Contains("no run has the id or the name 'no-such-run-", missing.Stderr);

        var tag = "cliwait" + Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            name = tag,
            items = new[] { new { id = "1", prompt = $"{tag} q", response_a = "a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 1 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var early = await CliProcess.RunAsync(Url, "report", run.RunId, "-o", work);
        Assert.True(early.ExitCode == ExitCodes.NotReady, early.ToString());
        Assert.Contains("409", early.Stderr);
        Assert.Contains("AwaitingReview", early.Stderr);
        Assert.False(File.Exists(Path.Combine(work, "report.json")));
        await fixture.Api.CloseAsync(run.RunId, run.ReviewToken);

        // An upload whose input the host refuses fails its run: exit code 1, with the host's error naming the line.
        var bad = Items(tag + "-bad", 2, i => i == 2 ? """{"id":"z","response_a":"a","response_b":"b"}""" : $$"""{"id":"1","prompt":"{{tag}} p","response_a":"a","response_b":"b"}""");
        var failed = await CliProcess.RunAsync(Url, ["run", bad, "--name", tag + "-bad", "--option", "critiqueRevise=false", "--wait"],
            new Dictionary<string, string?> { ["AzureWebJobsStorage"] = fixture.StorageConnectionString });
        Assert.True(failed.ExitCode == ExitCodes.RunFailed, failed.ToString());
        Assert.Contains("failed: ", failed.Stderr);
        Assert.Contains("line 2", failed.Stderr);
        var status = await CliProcess.RunAsync(Url, "status", tag + "-bad");
        Assert.Equal(ExitCodes.RunFailed, status.ExitCode);
        Assert.Contains("Status    Failed", status.Stdout);
        Assert.Contains("prompt", status.Stdout);
    }

    [Fact]
    public async Task The_key_goes_in_x_functions_key_from_the_option_or_the_environment()
    {
        await using var host = fixture.CreateHost("clikey", fixture.Llm.BaseUrl, new Dictionary<string, string>
        {
            ["Api__Key"] = "s3cret",
            ["BlobTrigger__Enabled"] = "false",
        });
        await host.StartAsync();

        var refused = await CliProcess.RunAsync(host.BaseAddress, "runs");
        Assert.True(refused.ExitCode == ExitCodes.Unauthorized, refused.ToString());
        Assert.Contains("--key or SYNTHPREF_KEY", refused.Stderr);
        Assert.Equal(ExitCodes.Unauthorized, (await CliProcess.RunAsync(host.BaseAddress, "runs", "--key", "wrong")).ExitCode);
        Assert.Equal(ExitCodes.Ok, (await CliProcess.RunAsync(host.BaseAddress, "runs", "--key", "s3cret")).ExitCode);
        Assert.Equal(ExitCodes.Ok, (await CliProcess.RunAsync(host.BaseAddress, ["runs"], new Dictionary<string, string?> { ["SYNTHPREF_KEY"] = "s3cret" })).ExitCode);

        // Help shows defaults, but never a key or a connection string taken from the environment.
        var help = await CliProcess.RunAsync(host.BaseAddress, ["run", "--help"],
            new Dictionary<string, string?> { ["SYNTHPREF_KEY"] = "s3cret", ["AzureWebJobsStorage"] = fixture.StorageConnectionString });
        Assert.Equal(ExitCodes.Ok, help.ExitCode);
        Assert.Contains("--key", help.Stdout);
        Assert.DoesNotContain("s3cret", help.Stdout);
        Assert.DoesNotContain("AccountKey", help.Stdout);
    }

    [Fact]
    public async Task Report_open_hands_report_html_to_the_desktops_opener()
    {
        var tag = "cliopen" + Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            name = tag,
            items = new[] { new { id = "1", prompt = $"{tag} q", response_a = "a", response_b = "b" } },
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        // xdg-open is what .NET asks to open a file on Linux; this one records what it was given.
        var bin = Directory.CreateDirectory(Path.Combine(work, "bin")).FullName;
        var opened = Path.Combine(work, "opened.txt");
        File.WriteAllText(Path.Combine(bin, "xdg-open"), $"#!/bin/sh\nprintf '%s' \"$1\" > '{opened}'\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(bin, "xdg-open"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var result = await CliProcess.RunAsync(Url, ["report", tag, "--open"],
            new Dictionary<string, string?> { ["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH") }, work);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Wrote {Path.Combine(work, "report.json")} and {Path.Combine(work, "report.html")}", result.Stdout);
        var until = DateTime.UtcNow.AddSeconds(20);
        while (!File.Exists(opened) && DateTime.UtcNow < until) await Task.Delay(100);
        Assert.Equal(Path.Combine(work, "report.html"), File.ReadAllText(opened));
    }

    async Task<HttpStatusCode> ReviewItemsStatusAsync(string runId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/review-items");
        request.Headers.Add(ReviewTokens.Header, token);
        using var response = await fixture.Api.Http.SendAsync(request);
        return response.StatusCode;
    }

    public void Dispose() => Directory.Delete(work, recursive: true);
}
