using System.Diagnostics;
using System.Net.Http.Json;
using SynthPref.FakeLlm;

namespace SynthPref.Tests.Llm;

/// <summary>The fake's benchmark knobs: fixed latency, request counters, and turning request recording off.</summary>
public sealed class FakeOpenAiServerTests
{
    static readonly object Body = new { model = "m", messages = new[] { new { role = "user", content = "hi" } } };

    [Fact]
    public async Task Latency_delays_each_answer_and_counters_see_concurrent_requests()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("ok"));
        server.Latency = TimeSpan.FromMilliseconds(300);
        using var http = new HttpClient { BaseAddress = server.RootUrl };

        var watch = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => http.PostAsJsonAsync("v1/chat/completions", Body)));
        watch.Stop();

        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(5));
        Assert.Equal(4, server.ChatRequests);
        Assert.Equal(4, server.PeakInFlight);
        Assert.Equal(0, server.InFlight);

        server.ResetCounters();
        Assert.Equal(0, server.ChatRequests);
        Assert.Equal(0, server.PeakInFlight);
    }

    [Fact]
    public async Task A_cancelled_request_stops_waiting_and_leaves_no_request_in_flight()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("ok"));
        server.Latency = TimeSpan.FromSeconds(30);
        using var http = new HttpClient { BaseAddress = server.RootUrl };

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => http.PostAsJsonAsync("v1/chat/completions", Body, cts.Token));

        var until = DateTime.UtcNow.AddSeconds(10);
        while (server.InFlight > 0 && DateTime.UtcNow < until)
            await Task.Delay(20);
        Assert.Equal(0, server.InFlight);
        Assert.Equal(1, server.ChatRequests);
    }

    [Fact]
    public async Task Requests_are_not_kept_when_recording_is_off()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("ok"));
        server.RecordRequests = false;
        using var http = new HttpClient { BaseAddress = server.RootUrl };

        (await http.PostAsJsonAsync("v1/chat/completions", Body)).EnsureSuccessStatusCode();

        Assert.Empty(server.Requests);
        Assert.Equal(1, server.ChatRequests);
    }
}
