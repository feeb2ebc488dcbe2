using Azure.Data.Tables;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

[Collection(PipelineCollection.Name)]
public sealed class LargeInputTests(PipelineFixture fixture)
{
    [Fact]
    public async Task Ten_megabytes_of_inline_items_run_with_only_references_in_the_orchestration()
    {
        const int items = 31;
        var tag = Guid.NewGuid().ToString("N")[..8];
        // ~170K characters per response: each pair is split over several Table properties on the way in.
        static string Text(int i, char fill) =>
            (fill == 'a' ? "[[good]] " : "plain ") + $"{i} " + string.Join(' ', Enumerable.Repeat(new string(fill, 99), 1_700));
        var body = new
        {
            items = Enumerable.Range(0, items).Select(i => new
            {
                id = $"big-{i}", prompt = $"{tag} big {i}", response_a = Text(i, 'a'), response_b = Text(i, 'b'),
            }).ToArray(),
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        };
        var json = System.Text.Json.JsonSerializer.Serialize(body);
        Assert.True(json.Length > 10_000_000, $"the request is only {json.Length} bytes");

        var run = await fixture.Api.StartAsync(body);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var rows = await fixture.PairRowsAsync(run.RunId);
        Assert.Equal(items, rows.Count);
        var dataset = await fixture.Api.DatasetAsync(run.RunId);
        Assert.Equal(items, dataset.Length);
        Assert.All(dataset, d => Assert.Equal(Text(int.Parse(d.GetProperty("id").GetString()![4..]), 'a'), d.GetProperty("chosen").GetString()));

        // The durable instance's input holds the blob reference and options, not the items.
        var instance = await fixture.Table("e2eInstances").GetEntityAsync<TableEntity>(run.RunId, "");
        var input = instance.Value.GetString("Input") ?? "";
        Assert.Contains("synthpref-runs/", input);
        Assert.True(input.Length < 2_000, $"orchestration input is {input.Length} characters");
    }

    [Fact]
    public async Task A_run_longer_than_one_execution_continues_as_new_and_loses_nothing()
    {
        var items = 2 * PipelineFixture.ItemsPerExecution + 7;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Enumerable.Range(0, items).Select(i => new
            {
                id = $"n{i}", prompt = $"{tag} {i}", category = $"c{i % 7}", response_a = $"[[good]] {i}", response_b = $"{i}",
            }).ToArray(),
            options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");

        Assert.Equal(items, done.GetProperty("progress").GetProperty("itemsDone").GetInt32());
        Assert.Equal(items, done.GetProperty("progress").GetProperty("pairsWritten").GetInt32());
        Assert.Equal(items, (await fixture.PairRowsAsync(run.RunId)).Count);
        Assert.Equal(items, (await fixture.Api.DatasetAsync(run.RunId)).Length);

        // The final execution started from counters past the first two executions' items, and carried nothing else.
        var instance = await fixture.Table("e2eInstances").GetEntityAsync<TableEntity>(run.RunId, "");
        var input = System.Text.Json.JsonDocument.Parse(instance.Value.GetString("Input")!).RootElement;
        var judging = input.GetProperty("Judging");
        Assert.Equal(2 * PipelineFixture.ItemsPerExecution, judging.GetProperty("NextItem").GetInt32());
        Assert.Equal(2, judging.GetProperty("Generation").GetInt32());
        Assert.Equal(2 * PipelineFixture.ItemsPerExecution, judging.GetProperty("PairsWritten").GetInt32());
        Assert.True(instance.Value.GetString("Input")!.Length < 2_000);
    }
}
