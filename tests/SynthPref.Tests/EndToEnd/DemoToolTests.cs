using System.Text.Json;
using SynthPref.Demo;
using SynthPref.Functions.Functions;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The demo tool, from its command line, as an external client of a running host.</summary>
[Collection(PipelineCollection.Name)]
public sealed class DemoToolTests(PipelineFixture fixture)
{
    [Fact]
    public async Task The_demo_prepares_a_sample_and_drives_a_run_over_http_to_its_report()
    {
        var work = Directory.CreateTempSubdirectory("synthpref-demo-").FullName;
        try
        {
            Assert.Equal(0, await DemoCommand.Create().Parse(
                ["prepare", "--data", RepoPaths.PandaLmData, "--out", work, "--count", "6", "--seed", "3"]).InvokeAsync());
            Assert.Equal(6, File.ReadAllLines(Path.Combine(work, "input.jsonl")).Length);

            var exit = await DemoCommand.Create().Parse(
            [
                "run", "--host", fixture.Host.BaseAddress.ToString(), "--data", RepoPaths.PandaLmData,
                "--input", Path.Combine(work, "input.jsonl"), "--out", Path.Combine(work, "out"),
                "--storage", fixture.StorageConnectionString, "--start", "http", "--sample", "3", "--seed", "3",
                "--function-key", "ignored-by-the-local-host",
            ]).InvokeAsync();

            Assert.Equal(0, exit);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "out", "report.json")));
            var review = report.RootElement.GetProperty("review");
            Assert.Equal(3, review.GetProperty("sampledItems").GetInt32());
            Assert.Equal(9, review.GetProperty("votes").GetInt32()); // three recorded annotators per sampled item
            Assert.Equal("complete", review.GetProperty("endedBy").GetString());
            Assert.True(File.Exists(Path.Combine(work, "out", "dataset.jsonl")));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public async Task The_demo_labels_an_adaptive_run_round_by_round_through_the_review_routes()
    {
        var work = Directory.CreateTempSubdirectory("synthpref-demo-").FullName;
        try
        {
            Assert.Equal(0, await DemoCommand.Create().Parse(
                ["prepare", "--data", RepoPaths.PandaLmData, "--out", work, "--count", "40", "--seed", "5"]).InvokeAsync());

            var exit = await DemoCommand.Create().Parse(
            [
                "run", "--host", fixture.Host.BaseAddress.ToString(), "--data", RepoPaths.PandaLmData,
                "--input", Path.Combine(work, "input.jsonl"), "--out", Path.Combine(work, "out"),
                "--storage", fixture.StorageConnectionString, "--start", "upload", "--sample", "4", "--seed", "5",
                "--target-ci-width", "0.6", "--max-review-sample-size", "12", "--trust-target", "0.6",
            ]).InvokeAsync();

            Assert.Equal(0, exit);
            using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "out", "report.json")));
            var review = report.RootElement.GetProperty("review");
            var rounds = review.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("sampledItems").GetInt32()).ToList();
            // Four items cannot cover the categories of 40, so at least one more round is drawn; the cap bounds them.
            Assert.True(rounds.Count >= 2, review.ToString());
            Assert.Equal(4, rounds[0]);
            Assert.Equal(rounds.Sum(), review.GetProperty("sampledItems").GetInt32());
            Assert.True(rounds.Sum() <= 12, review.ToString());
            Assert.Equal(3 * rounds.Sum(), review.GetProperty("votes").GetInt32()); // every item of every round labelled
            Assert.Equal("complete", review.GetProperty("endedBy").GetString());
            Assert.Equal(0.6, review.GetProperty("adaptive").GetProperty("targetCiWidth").GetDouble());
            Assert.Contains("round 2:", DemoRun.RoundsText(report.RootElement));
            // The trust target calibrates on the first sample of 4; the summary says what it came to, and escalated.jsonl is copied.
            var trust = report.RootElement.GetProperty("trust");
            Assert.Equal(0.6, trust.GetProperty("target").GetDouble());
            Assert.True(trust.GetProperty("calibrationItems").GetInt32() <= 4);
            Assert.Contains("Trust: " + trust.GetProperty("statement").GetString(), SynthPref.Cli.ReportSummary.Render(report.RootElement));
            Assert.Equal(trust.GetProperty("dataset").GetProperty("escalatedRows").GetInt32(),
                File.ReadAllLines(Path.Combine(work, "out", "escalated.jsonl")).Length);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void The_demo_refuses_an_event_grid_start_without_the_blobs_extension_key()
    {
        Environment.SetEnvironmentVariable("SYNTHPREF_BLOBS_EXTENSION_KEY", null);
        var parse = DemoCommand.Create().Parse(
            ["run", "--host", "http://127.0.0.1:1", "--data", "d", "--input", "i", "--out", "o", "--start", "event-grid"]);
        Assert.Contains(parse.Errors, e => e.Message.Contains("--blobs-extension-key", StringComparison.Ordinal));
    }

    [Fact]
    public void The_demo_sends_the_function_key_and_addresses_the_blob_function_by_its_metadata_name()
    {
        using var http = DemoRun.CreateClient(new DemoSettings(new Uri("http://127.0.0.1:7072/prefix"), "", "", "", "", 0, 0, "k3y",
            StartMode.EventGrid, "b"));
        Assert.Equal(["k3y"], http.DefaultRequestHeaders.GetValues("x-functions-key"));
        Assert.Equal("http://127.0.0.1:7072/prefix/api/runs", new Uri(http.BaseAddress!, "api/runs").ToString());
        Assert.Equal(BlobInputFunction.FunctionName, DemoRun.BlobFunctionName);
    }
}
