using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Docs;

/// <summary>The figures the README quotes from <c>bash scripts/demo.sh</c> are what the demo prints: its first run, on
/// the script's defaults (100 items, seed 42, 20 reviewed by the three recorded annotators), against the replay judge.</summary>
[Collection(PipelineCollection.Name)]
public sealed partial class ReadmeFiguresTests(PipelineFixture fixture)
{
    [Fact]
    public async Task The_readme_headline_is_what_the_demo_prints_on_its_defaults()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")).ReplaceLineEndings(" ");
        var quoted = Headline().Match(readme);
        Assert.True(quoted.Success, "README.md no longer quotes the demo's headline in the expected words.");

        var work = Directory.CreateTempSubdirectory("synthpref-figures-").FullName;
        try
        {
            // The demo script's own defaults, read from it rather than repeated here.
            var script = File.ReadAllText(Path.Combine(RepoPaths.Root, "scripts", "demo.sh"));
            string Default(string knob) => Regex.Match(script, $@"{knob}:-(\d+)").Groups[1].Value;
            var (count, seed, sample) = (Default("DEMO_COUNT"), Default("DEMO_SEED"), Default("DEMO_SAMPLE"));
            Assert.Equal(("100", "42", "20"), (count, seed, sample));

            var prepare = await DemoAsync(["prepare", "--data", RepoPaths.PandaLmData, "--out", work, "--count", count, "--seed", seed]);
            Assert.True(prepare.ExitCode == 0, prepare.ToString());

            await using var host = fixture.CreateHost("figures", fixture.Llm.BaseUrl, new Dictionary<string, string>
            {
                ["Llm__Provider"] = "Replay",
                ["Llm__ReplayFile"] = Path.Combine(work, "replay.jsonl"),
                ["Llm__Model"] = "gpt-3.5-turbo",
                ["BlobTrigger__Enabled"] = "false",
            });
            await host.StartAsync();
            var run = await DemoAsync(["run", "--host", host.BaseAddress.ToString(), "--data", RepoPaths.PandaLmData,
                "--input", Path.Combine(work, "input.jsonl"), "--out", Path.Combine(work, "out"), "--storage", fixture.StorageConnectionString,
                "--start", "http", "--sample", sample, "--seed", seed]);
            Assert.True(run.ExitCode == 0, run.ToString());

            var g = quoted.Groups;
            Assert.Contains($"Judge-human agreement: {g["rate"].Value} of {g["votes"].Value} votes, 95% CI [{g["lo"].Value}, {g["hi"].Value}], " +
                            $"excluding ties {g["excl"].Value} of ", run.Stdout);
            var printed = Printed().Match(run.Stdout);
            Assert.True(printed.Success, run.Stdout);
            Assert.Equal(double.Parse(g["kappa"].Value, CultureInfo.InvariantCulture),
                Math.Round(double.Parse(printed.Groups["kappa"].Value, CultureInfo.InvariantCulture), g["kappa"].Value.Split('.')[1].Length));
            Assert.Equal(double.Parse(g["alpha"].Value, CultureInfo.InvariantCulture),
                double.Parse(printed.Groups["alpha"].Value, CultureInfo.InvariantCulture));
            Assert.Contains($"Human review: {sample} items, 3 reviewers, {g["votes"].Value} votes", run.Stdout);
            Assert.Contains($"Pairs: {count} judged", run.Stdout);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static async Task<CliResult> DemoAsync(string[] args)
    {
        var configuration = typeof(ReadmeFiguresTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = RepoPaths.Root };
        start.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tools", "SynthPref.Demo", "bin", configuration, "net10.0", "SynthPref.Demo.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        await using var demo = CliProcess.Launch(start);
        return await demo.ExitAsync(TimeSpan.FromMinutes(4));
    }

    [GeneratedRegex(@"On the defaults it prints (?<rate>[\d.]+%) agreement over (?<votes>\d+) votes, 95% CI \[(?<lo>[\d.]+%), (?<hi>[\d.]+%)\], (?<excl>[\d.]+%)\s+excluding ties, κ = (?<kappa>[\d.]+), .*?Krippendorff's α = (?<alpha>[\d.]+)\)")]
    private static partial Regex Headline();

    [GeneratedRegex(@"Judge-human agreement: .*κ = (?<kappa>[\d.]+)\n(?s:.*)Krippendorff's α = (?<alpha>[\d.]+)")]
    private static partial Regex Printed();
}
