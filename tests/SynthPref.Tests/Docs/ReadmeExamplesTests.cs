using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SynthPref.Orchestration.Api;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Docs;

/// <summary>
/// Every shell command the README and docs/ show runs as written: each block is marked, before its fence, with
/// <c>&lt;!-- check: NAME --&gt;</c> (run here, its exact text extracted from the Markdown) or
/// <c>&lt;!-- no-check: REASON --&gt;</c>. The checked blocks run in a network namespace of their own, so their fixed
/// ports (Azurite's, the host's 7071) are theirs; only the tool install runs outside it, since it needs the package
/// registry. The test acts only where a person would: it labels the review items, as the tour asks the reader to.
/// </summary>
public sealed class ReadmeExamplesTests
{
    /// <summary>The blocks <see cref="The_tour_and_the_docs_examples_run_as_written"/> runs, in its order.</summary>
    static readonly string[] CheckedBlocks =
    [
        "tour-prepare", "tour-storage", "tour-host", "http-health", "http-start", "tour-install", "tour-run", "tour-outputs",
        "cli-no-install", "cli-upload", "cli-script",
    ];

    [Fact]
    public void Every_shell_block_is_marked_to_be_run_or_says_why_it_cannot_be()
    {
        var unmarked = MarkdownExamples.All.Where(b => b.IsShell && b.Check is null && b.NoCheckReason is null).Select(b => b.Where).ToList();
        Assert.True(unmarked.Count == 0, "Shell blocks with neither <!-- check: NAME --> nor <!-- no-check: REASON --> before them: " + string.Join(", ", unmarked));
        Assert.All(MarkdownExamples.All.Where(b => b.NoCheckReason is not null), b =>
            Assert.True(b.NoCheckReason!.Split(' ').Length >= 5, $"{b.Where}: say why the block cannot run in a test."));
        Assert.Contains(MarkdownExamples.All, b => b.Check is not null);
    }

    [Fact]
    public void Every_checked_block_is_run_by_the_test_and_every_block_it_runs_is_in_the_docs()
    {
        var marked = MarkdownExamples.All.Where(b => b.Check is not null).ToList();
        var repeated = marked.GroupBy(b => b.Check).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(repeated.Count == 0, "Check names used twice: " + string.Join(", ", repeated));
        Assert.Equal(CheckedBlocks.Order(StringComparer.Ordinal), marked.Select(b => b.Check!).Order(StringComparer.Ordinal));
        Assert.All(marked, b => Assert.True(b.IsShell, $"{b.Where}: only shell blocks are run."));
    }

    [Fact]
    public void Every_relative_link_of_the_readme_and_docs_leads_to_a_file_and_heading_that_exist()
    {
        var broken = new List<string>();
        foreach (var file in MarkdownExamples.Files)
            foreach (var (_, line, target) in MarkdownExamples.Links(file))
            {
                var hash = target.IndexOf('#');
                var path = hash < 0 ? target : target[..hash];
                var resolved = path.Length == 0 ? file : Path.GetRelativePath(RepoPaths.Root,
                    Path.GetFullPath(Path.Combine(RepoPaths.Root, Path.GetDirectoryName(file)!, path)));
                if (!File.Exists(Path.Combine(RepoPaths.Root, resolved)) && !Directory.Exists(Path.Combine(RepoPaths.Root, resolved)))
                    broken.Add($"{file}:{line}: {target} (no {resolved})");
                else if (hash >= 0 && resolved.EndsWith(".md", StringComparison.Ordinal) && !MarkdownExamples.Anchors(resolved).Contains(target[(hash + 1)..]))
                    broken.Add($"{file}:{line}: {target} (no such heading in {resolved})");
            }
        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }

    [Fact]
    public async Task The_tour_and_the_docs_examples_run_as_written()
    {
        var root = RepoPaths.Root;
        var scratch = Directory.CreateTempSubdirectory("synthpref-readme-").FullName;
        var dotnetHome = Path.Combine(scratch, "home");
        var fakeBin = Directory.CreateDirectory(Path.Combine(scratch, "bin")).FullName;
        var opened = Path.Combine(scratch, "opened.txt");
        // The desktop's opener for `report --open`: it records what it was asked to open.
        File.WriteAllText(Path.Combine(fakeBin, "xdg-open"), $"#!/bin/sh\nprintf '%s' \"$1\" > '{opened}'\n");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(fakeBin, "xdg-open"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // A user's environment: nothing of this test run's own settings, no MSBuild nodes left behind, and the CLI as
        // `dotnet tool install --global` leaves it (in a home of its own, so this machine's tools stay as they are).
        var environment = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = null, ["SYNTHPREF_URL"] = null, ["SYNTHPREF_KEY"] = null, ["ASPNETCORE_URLS"] = null,
            ["MSBUILDDISABLENODEREUSE"] = "1",
            ["PATH"] = $"{fakeBin}:{Path.Combine(dotnetHome, ".dotnet", "tools")}:{Environment.GetEnvironmentVariable("PATH")}",
        };
        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("Llm__", StringComparison.Ordinal)))
            environment[key] = null;

        try
        {
            await using var sandbox = await NetworkSandbox.StartAsync();
            async Task<CliResult> RunAsync(string name, TimeSpan? timeout = null)
            {
                await using var process = sandbox.Run(MarkdownExamples.Checked(name), root, environment);
                var result = await process.ExitAsync(timeout ?? TimeSpan.FromMinutes(4));
                Assert.True(result.ExitCode == 0, $"{name}: {result}");
                return result;
            }

            var prepare = await RunAsync("tour-prepare");
            Assert.Contains("Prepared 20 of 999 PandaLM items (seed 7)", prepare.Stdout);

            // Its Azurite goes on in the background, writing to this output, which therefore stays open (the sandbox
            // closes it last).
            var storage = sandbox.Run(MarkdownExamples.Checked("tour-storage"), root, environment);
            Assert.Equal(0, (await storage.ExitAsync(TimeSpan.FromSeconds(30), untilOutputEnds: false)).ExitCode);
            using var blob = await sandbox.ClientAsync(10000);
            await WaitForAsync("Azurite's blob service", async () => (await blob.GetAsync("/")).StatusCode > 0);

            var host = sandbox.Run(MarkdownExamples.Checked("tour-host"), root, environment);
            using var http = await sandbox.ClientAsync(7071);
            await WaitForAsync("the host's health", async () =>
            {
                if (host.HasExited) throw new InvalidOperationException($"The host exited: {host.Stdout}\n{host.Stderr}");
                return (await http.GetAsync("/api/health")).StatusCode == HttpStatusCode.OK;
            }, TimeSpan.FromMinutes(4));
            using var api = new SynthPrefApi(http);

            var health = JsonDocument.Parse((await RunAsync("http-health")).Stdout).RootElement;
            Assert.Equal("Healthy", health.GetProperty("status").GetString());
            Assert.Equal("The judge is configured (Replay).", health.GetProperty("checks").GetProperty("judge").GetProperty("description").GetString());

            // The curl quick-start: the replay judge knows its item, so the run judges it, and one label completes it.
            var first = JsonSerializer.Deserialize<StartRunResponse>((await RunAsync("http-start")).Stdout, SynthPrefApi.Json)!;
            Assert.StartsWith($"http://127.0.0.1:7071/api/runs/{first.RunId}/review#token=", first.ReviewUri);
            await api.WaitForAsync(first.RunId, "AwaitingReview");
            await LabelAsync(api, first, 1);
            await api.WaitForAsync(first.RunId, "Completed");
            var firstReport = await api.ReportAsync(first.RunId);
            Assert.Equal(1, firstReport.GetProperty("pairs").GetProperty("total").GetInt32());
            Assert.Equal(0, firstReport.GetProperty("pairs").GetProperty("unparseable").GetInt32());
            Assert.Equal(1, firstReport.GetProperty("agreement").GetProperty("overall").GetProperty("votes").GetInt32());

            // The one block that needs the network: dotnet tool install reads the package registry.
            var install = new ProcessStartInfo("bash") { ArgumentList = { "-c", MarkdownExamples.Checked("tour-install") }, WorkingDirectory = root };
            foreach (var (key, value) in environment) Set(install, key, value);
            Set(install, "DOTNET_CLI_HOME", dotnetHome);
            Set(install, "NUGET_PACKAGES", Path.Combine(scratch, "nuget")); // a package of this very code, never a cached older one
            await using (var installing = CliProcess.Launch(install))
            {
                var installed = await installing.ExitAsync(TimeSpan.FromMinutes(6));
                Assert.True(installed.ExitCode == 0, installed.ToString());
                Assert.Contains("Tool 'synthpref' (version '0.1.0') was successfully installed.", installed.Stdout);
            }

            // The tour's run, followed with --wait while "the reader" labels the five items through the printed link.
            await using (var tour = sandbox.Run(MarkdownExamples.Checked("tour-run"), root, environment))
            {
                var runId = (await tour.WaitForLineAsync("Run     ")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                Assert.Equal($"Status  http://127.0.0.1:7071/api/runs/{runId}", await tour.WaitForLineAsync("Status  "));
                var review = (await tour.WaitForLineAsync("Review  "))["Review  ".Length..];
                Assert.Equal("Review: 0 of 5 items reviewed, 0 votes", await tour.WaitForErrorLineAsync("Review: ", TimeSpan.FromMinutes(2)));
                await LabelAsync(api, new StartRunResponse(runId, "", review, Uri.UnescapeDataString(review[(review.IndexOf("#token=", StringComparison.Ordinal) + 7)..])), 5);
                var done = await tour.ExitAsync();
                Assert.True(done.ExitCode == 0, done.ToString());
                Assert.Contains("Pairs: 20 judged", done.Stdout);
                Assert.Contains("Human review: 5 items, 1 reviewers, 5 votes (ended: complete)", done.Stdout);
                Assert.Contains("Judge-human agreement: ", done.Stdout);
            }

            var outputs = await RunAsync("tour-outputs");
            Assert.Matches(@"(?m)^run-\S+\s+Completed\s+.*\stour\s+http$", outputs.Stdout);
            var folder = Path.Combine(root, ".demo", "tour");
            Assert.Contains($"Wrote {Path.Combine(folder, "report.json")} and {Path.Combine(folder, "report.html")}", outputs.Stdout);
            Assert.Equal(Path.Combine(folder, "report.html"), File.ReadAllText(opened));
            // Of the 20 decisive pairs, two have an empty response, so they are judged but never written to the dataset.
            Assert.Contains("synthpref: wrote 18 rows to", outputs.Stderr.Replace("\n", " "));
            using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "report.json"))))
                Assert.Equal(5, report.RootElement.GetProperty("review").GetProperty("votes").GetInt32());

            var noInstall = await RunAsync("cli-no-install");
            Assert.Matches(@"(?m)^run-\S+\s+Completed\s+.*\stour\s+http$", noInstall.Stdout);

            var upload = await RunAsync("cli-upload");
            Assert.Matches(@"(?m)^Run     blob-\S+$", upload.Stdout);
            Assert.Contains("it replaces any earlier link", upload.Stdout);
            Assert.Contains("Human review: 0 items, 0 reviewers, 0 votes (ended: nothing-to-review)", upload.Stdout);

            var script = await RunAsync("cli-script");
            var lines = script.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains(lines[0], new[] { "Pending", "Loading", "Judging", "Auditing", "Reporting", "Completed" });
            Assert.Equal("exit code 4", lines[^1]);
            Assert.Contains("synthpref: no run has the id or the name 'no-such-run'", script.Stderr);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }

        static void Set(ProcessStartInfo info, string key, string? value)
        {
            if (value is null) info.Environment.Remove(key);
            else info.Environment[key] = value;
        }
    }

    static async Task LabelAsync(SynthPrefApi api, StartRunResponse run, int expected)
    {
        var items = await api.ReviewItemsAsync(run);
        Assert.Equal(expected, items.Length);
        foreach (var item in items)
        {
            var answer = await api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "reader", preference = "first" });
            Assert.Equal(HttpStatusCode.Accepted, answer.StatusCode);
        }
    }

    static async Task WaitForAsync(string what, Func<Task<bool>> ready, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                if (await ready()) return;
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > until) throw new TimeoutException($"Waited in vain for {what}.");
            await Task.Delay(250);
        }
    }
}
