using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Llm;

/// <summary>What the LLM pipeline reports to OpenTelemetry, and which client each role and judge gets, against the real
/// fake OpenAI-compatible server.</summary>
public sealed class LlmTelemetryAndRolesTests
{
    [Fact]
    public async Task Every_provider_call_reports_its_tokens_duration_and_a_span_under_the_llm_source()
    {
        await using var server = await FakeOpenAiServer.StartAsync(_ => FakeReply.Answer("one two three"));
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "otel-model",
        }, JudgePrompt.TryExtract);

        var measurements = new ConcurrentBag<(string Instrument, double Value, string? TokenType)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == LlmTelemetry.SourceName) listener.EnableMeasurementEvents(instrument);
            },
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? type = null;
            foreach (var tag in tags)
                if (tag.Key == "gen_ai.token.type") type = tag.Value?.ToString();
            measurements.Add((instrument.Name, value, type));
        }
        meters.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        meters.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        meters.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        meters.Start();
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == LlmTelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Add,
        };
        ActivitySource.AddActivityListener(activities);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "four five")]);

        // The fake counts words: two input tokens, three output tokens.
        Assert.Contains(measurements, m => m.Instrument == "gen_ai.client.token.usage" && m.TokenType == "input" && m.Value == 2);
        Assert.Contains(measurements, m => m.Instrument == "gen_ai.client.token.usage" && m.TokenType == "output" && m.Value == 3);
        Assert.Contains(measurements, m => m.Instrument == "gen_ai.client.operation.duration" && m.Value > 0);
        var span = Assert.Single(spans, s => s.GetTagItem("gen_ai.request.model") as string == "otel-model");
        Assert.Equal(2, Convert.ToInt32(span.GetTagItem("gen_ai.usage.input_tokens")));
    }

    [Fact]
    public async Task Named_judges_and_the_reviser_get_their_own_clients_and_fall_back_to_the_llm_section()
    {
        await using var server = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        var endpoint = server.BaseUrl.ToString();
        IServiceProvider Build(Dictionary<string, string?> extra)
        {
            var settings = new Dictionary<string, string?>
            {
                ["Llm:Provider"] = "OpenAICompatible", ["Llm:Endpoint"] = endpoint, ["Llm:Model"] = "fake-judge", ["Llm:MaxConcurrency"] = "3",
            };
            foreach (var (k, v) in extra) settings[k] = v;
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            return new ServiceCollection().AddSynthPrefLlm(configuration, JudgePrompt.TryExtract, JudgePrompt.WrapAnswer)
                .AddSingleton(PromptBoundaryKey.Fixed(JudgeText.Key)).AddSingleton<JudgePanel>().BuildServiceProvider();
        }

        var withSections = Build(new()
        {
            ["Judges:alpha:Provider"] = "OpenAICompatible", ["Judges:alpha:Endpoint"] = endpoint, ["Judges:alpha:Model"] = "fake-alpha",
            ["Judges:alpha:MaxConcurrency"] = "5",
            ["Reviser:Provider"] = "OpenAICompatible", ["Reviser:Endpoint"] = endpoint, ["Reviser:Model"] = "fake-reviser",
        });
        var panel = withSections.GetRequiredService<JudgePanel>();
        Assert.Equal("alpha", panel.Resolve("ALPHA"));
        Assert.Equal(JudgeVerdict.DefaultName, panel.Resolve("Default"));
        Assert.Null(panel.Resolve("nobody"));
        var alpha = panel.Get("alpha");
        Assert.Equal(("judge:alpha", "fake-alpha"), (alpha.Role, alpha.Model));
        Assert.Equal(("judge", "fake-judge"), (panel.Get("default").Role, panel.Get("default").Model));

        var clients = withSections.GetRequiredService<LlmClients>();
        // Each section has its own client, so its own concurrency limit; the default judge shares the Llm client.
        Assert.Equal(5, clients.ForRole("judge:alpha").GetService<ConcurrencyLimitingChatClient>()?.MaxConcurrency);
        Assert.Equal(3, clients.ForRole("judge").GetService<ConcurrencyLimitingChatClient>()?.MaxConcurrency);
        using (var scope = LlmCallScope.Begin(cacheEnabled: false))
        {
            await clients.ForRole(LlmRoles.Reviser).GetResponseAsync([new ChatMessage(ChatRole.User, "rewrite")]);
            var verdict = await alpha.Judge.JudgeAsync("q", "[[good]] a", "b", swapPositions: false, CancellationToken.None);
            Assert.Equal(Preference.A, verdict.Verdict);
            Assert.Equal(["judge:alpha", "reviser"], scope.Snapshot().Keys.Order());
        }
        Assert.Contains(server.Requests, r => r.Model == "fake-reviser");
        Assert.Contains(server.Requests, r => r.Model == "fake-alpha");

        // Without a Reviser section, the reviser is the Llm section's client, counted as the reviser.
        var plain = Build(new()).GetRequiredService<LlmClients>();
        Assert.Equal("Llm", plain.Sections.ForRole(LlmRoles.Reviser).Section);
        Assert.Equal("fake-judge", plain.Sections.ModelOf(LlmRoles.Reviser));
        Assert.Equal(3, plain.ForRole(LlmRoles.Reviser).GetService<ConcurrencyLimitingChatClient>()?.MaxConcurrency);
        Assert.Contains("Judges:ghost:Endpoint is required when Judges:ghost:Provider is OpenAICompatible",
            Build(new() { ["Judges:ghost:Provider"] = "OpenAICompatible" }).GetRequiredService<JudgePanel>().Problems("ghost"));
    }

    [Fact]
    public async Task The_fake_server_passes_the_response_format_to_its_responder_and_a_schema_refusal_is_a_400()
    {
        await using var server = await FakeOpenAiServer.StartAsync(FakeJudgeResponder.Create(JudgePrompt.TryExtract));
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "fake-judge",
        }, JudgePrompt.TryExtract);
        var request = JudgePrompt.Create("q", "[[good]] a", "b", JudgeText.Key, structured: true);

        var answer = await client.GetResponseAsync(request.Messages, new ChatOptions { ResponseFormat = StructuredVerdict.Format });

        Assert.Equal("json_schema", Assert.Single(server.Requests).ResponseFormat?["type"]?.GetValue<string>());
        Assert.Equal("A", JsonNode.Parse(answer.Text)!["preference"]!.GetValue<string>());

        using var refusing = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "fake-noschema", MaxRetries = 0,
        }, JudgePrompt.TryExtract);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() =>
            refusing.GetResponseAsync(request.Messages, new ChatOptions { ResponseFormat = StructuredVerdict.Format }));
        Assert.True(StructuredVerdict.IsRejection(refused), refused.ToString());
    }

    [Fact]
    public async Task Concurrent_identical_requests_make_one_call_unless_the_run_turned_the_cache_off()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await FakeOpenAiServer.StartAsync(async (request, ct) =>
        {
            await release.Task.WaitAsync(ct);
            return FakeReply.Answer("answer to " + request.LastUserText);
        });
        using var client = ChatClientFactory.Create(new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible, Endpoint = server.BaseUrl.ToString(), Model = "coalesce",
        }, JudgePrompt.TryExtract);
        var judge = client.ForRole("judge");

        async Task<(IReadOnlyDictionary<string, LlmUsage> Usage, string[] Answers)> RunAsync(bool cache, params string[] prompts)
        {
            using var scope = LlmCallScope.Begin(cache);
            var calls = prompts.Select(p => judge.GetResponseAsync([new ChatMessage(ChatRole.User, p)])).ToList();
            while (server.InFlight < prompts.Distinct().Count() && calls.All(c => !c.IsCompleted)) await Task.Delay(20);
            // No wait for a duplicate call "were it going to" arrive: each call met the coalescer synchronously, when it
            // was made above, and any call that reaches the server is counted there before its answer can return, so
            // the counts below are exact once every call has answered.
            release.TrySetResult();
            var answers = await Task.WhenAll(calls);
            return (scope.Snapshot(), answers.Select(a => a.Text).ToArray());
        }

        var (usage, answers) = await RunAsync(cache: true, "same", "same", "other");
        Assert.Equal(["answer to same", "answer to same", "answer to other"], answers);
        Assert.Equal(2, server.Requests.Count);
        Assert.Equal(new LlmUsage(Requests: 3, Calls: 2, InputTokens: 2, OutputTokens: 6), usage["judge"]);

        release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (usage, _) = await RunAsync(cache: false, "again", "again");
        Assert.Equal(4, server.Requests.Count);
        Assert.Equal(2, usage["judge"].Calls);
    }
}
