using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// 20,000 inline items and a 200,000-line blob load with the host's memory inside the 600 MB target, and the
/// status shows loading as it goes. Judging is not the point here: the judge takes a minute per call, so the host
/// only loads, and it is stopped once both inputs are loaded.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class LargeLoadTests(PipelineFixture fixture, ITestOutputHelper output)
{
    const long PeakTarget = 600L * 1024 * 1024;

    [Fact]
    public async Task Twenty_thousand_inline_items_and_a_200000_line_blob_load_inside_600_MB_with_progress_shown()
    {
        await using var judge = await FakeOpenAiServer.StartAsync(async (_, ct) =>
        {
            await Task.Delay(TimeSpan.FromMinutes(1), ct);
            return FakeReply.Answer("PREFERENCE: A\nCONFIDENCE: high\nREASONING: slow");
        });
        await using var host = fixture.CreateHost("load" + Guid.NewGuid().ToString("N")[..6], judge.BaseUrl, new Dictionary<string, string>
        {
            ["BlobTrigger__Enabled"] = "false",
            ["Llm__MaxConcurrency"] = "2",
        });
        await host.StartAsync();
        using var api = new SynthPrefApi(host.CreateClient());
        var baseline = host.PeakResidentBytes();
        var tag = Guid.NewGuid().ToString("N")[..8];

        // 20,000 inline items, streamed to the host as they are generated.
        var inline = new StringBuilder("{\"options\":{\"critiqueRevise\":false,\"reviewSampleSize\":0},\"items\":[");
        for (var i = 0; i < 20_000; i++)
            inline.Append(i == 0 ? "" : ",").Append(JsonSerializer.Serialize(Item(tag, i)));
        inline.Append("]}");
        using var content = new StringContent(inline.ToString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var post = await api.Http.PostAsync("/api/runs", content);
        Assert.True(post.StatusCode == HttpStatusCode.Accepted, await post.Content.ReadAsStringAsync());
        var inlineRun = JsonDocument.Parse(await post.Content.ReadAsStringAsync()).RootElement.GetProperty("runId").GetString()!;
        await WaitForItemsAsync(api, inlineRun, 20_000);
        var afterInline = host.PeakResidentBytes();

        // 200,000 one-line items in a blob.
        var lines = new StringBuilder();
        for (var i = 0; i < 200_000; i++)
            lines.Append(JsonSerializer.Serialize(Item(tag, i))).Append('\n');
        var name = $"big-{tag}.jsonl";
        await fixture.Container(StorageNames.UploadsContainer).GetBlobClient(name).UploadAsync(BinaryData.FromString(lines.ToString()));
        var blobRun = await api.StartAsync(new
        {
            inputBlob = $"{StorageNames.UploadsContainer}/{name}", options = new { critiqueRevise = false, reviewSampleSize = 0 },
        });

        // Loading is visible while it happens: lines and bytes read of the total.
        var partial = false;
        var until = DateTime.UtcNow.AddMinutes(8);
        JsonElement status;
        while (true)
        {
            status = await api.StatusAsync(blobRun.RunId);
            var progress = status.GetProperty("progress");
            if (status.GetProperty("status").GetString() == "Loading" && progress.TryGetProperty("loading", out var loading)
                && loading.ValueKind == JsonValueKind.Object)
            {
                var read = loading.GetProperty("lines").GetInt64();
                Assert.True(loading.GetProperty("totalBytes").GetInt64() >= lines.Length);
                partial |= read > 0 && read < 200_000;
            }
            if (progress.GetProperty("items").GetInt32() == 200_000) break;
            Assert.NotEqual("Failed", status.GetProperty("status").GetString());
            Assert.True(DateTime.UtcNow < until, $"the blob did not load in time: {status}");
            await Task.Delay(100);
        }
        Assert.True(partial, "loading progress was never shown part way");
        var peak = host.PeakResidentBytes();
        output.WriteLine($"host peak RSS: {baseline / 1048576} MiB at start, {afterInline / 1048576} MiB after 20,000 inline items, " +
                         $"{peak / 1048576} MiB after the 200,000-line blob");
        Assert.True(peak < PeakTarget, $"host peak RSS {peak / 1048576} MiB is over the 600 MB target");
    }

    static object Item(string tag, int i) => new
    {
        id = $"item-{i}", prompt = $"{tag} question number {i}: explain the difference between a list and a tuple",
        category = $"c{i % 10}", response_a = $"A list is mutable; a tuple is not ({i}).", response_b = $"They are the same thing ({i}).",
    };

    static async Task WaitForItemsAsync(SynthPrefApi api, string runId, int items)
    {
        var until = DateTime.UtcNow.AddMinutes(5);
        while (DateTime.UtcNow < until)
        {
            var status = await api.StatusAsync(runId);
            if (status.GetProperty("progress").GetProperty("items").GetInt32() == items) return;
            Assert.NotEqual("Failed", status.GetProperty("status").GetString());
            await Task.Delay(250);
        }
        throw new TimeoutException($"Run {runId} never loaded {items} items.");
    }
}
