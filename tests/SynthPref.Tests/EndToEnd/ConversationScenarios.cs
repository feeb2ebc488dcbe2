using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Microsoft.Playwright;
using SynthPref.FakeLlm;
using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Runs;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// Conversation items and reference answers (issue 16) through the real entry points of both hosts: inline items and a
/// blob upload, the judge prompts as the fake OpenAI server received them, the pairs, the TRL rows, the report's
/// reference block, the response cache on a rerun, and the review page in Chromium with a three-turn dialogue.
/// </summary>
public abstract class ConversationScenarios(TestPipeline fixture)
{
    [Collection(PipelineCollection.Name)]
    public sealed class OnLocalHost(PipelineFixture fixture) : ConversationScenarios(fixture);

    [Collection(FunctionsHostCollection.Name), Trait("Host", HostKinds.Functions)]
    public sealed class OnFunctionsHost : ConversationScenarios
    {
        public OnFunctionsHost(FunctionsPipelineFixture fixture) : base(fixture) => FunctionsPipelineFixture.SkipUnlessAvailable();
    }

    static object Turn(string role, string content) => new { role, content };

    /// <summary>Three user turns; the sides' earlier answers differ, and A's final answer is the better one by the fake's rule.</summary>
    static (object[] A, object[] B) ThreeTurns(string tag) => (
        [Turn("system", "Be brief."), Turn("user", $"{tag} Plan a trip to Rome."), Turn("assistant", "Day 1: Colosseum."),
         Turn("user", "Add a museum."), Turn("assistant", "Day 2: Vatican Museums."), Turn("user", "And food?"),
         Turn("assistant", "[[good]] Try cacio e pepe in Trastevere.")],
        [Turn("system", "Be brief."), Turn("user", $"{tag} Plan a trip to Rome."), Turn("assistant", "See the Colosseum first."),
         Turn("user", "Add a museum."), Turn("assistant", "The Borghese Gallery."), Turn("user", "And food?"),
         Turn("assistant", "Eat pizza.")]);

    IEnumerable<JudgeSubject> JudgePromptsWith(string text) => fixture.Llm.Requests
        .Where(r => r.Messages.Count == 2 && r.Messages[^1].Text.Contains(text, StringComparison.Ordinal))
        .Select(r => JudgePrompt.TryRead(r.Messages[^1].Text, out var subject) ? subject : null)
        .OfType<JudgeSubject>();

    static string Texts(JsonElement messages) =>
        string.Join(" | ", messages.EnumerateArray().Select(m => $"{m.GetProperty("role").GetString()}: {m.GetProperty("content").GetString()}"));

    [SkippableFact]
    public async Task Conversations_are_judged_on_their_final_turns_in_both_orders_and_written_in_TRLs_conversational_formats()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (a, b) = ThreeTurns(tag);
        var shared = new[] { Turn("user", $"{tag} Name a prime."), Turn("assistant", "2."), Turn("user", "Another one?") };
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "trip", category = "travel", conversation_a = a, conversation_b = b, model_a = "m1", model_b = "m2" },
                new { id = "prime", category = "chat", messages = shared, response_a = "Three.", response_b = "[[good]] 5 is prime." },
                new { id = "asked", category = "chat", messages = new[] { Turn("user", $"{tag} Hello"), Turn("assistant", "Hi!"), Turn("user", $"{tag} Say more") } },
                new { id = "single", category = "chat", prompt = $"{tag} plain", response_a = "[[good]] a", response_b = "b" },
            },
            options = new { reviewSampleSize = 0, critiqueRevise = true },
        });
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        // The trip's judge saw both dialogues in full, each message in its keyed section, in both orders.
        var trip = JudgePromptsWith("Plan a trip to Rome.").Where(s => s.First.Contains("cacio") || s.Second.Contains("cacio")).ToList();
        Assert.Equal(2, trip.Count);
        var forward = Assert.Single(trip, s => s.First.Contains("cacio"));
        var swapped = Assert.Single(trip, s => s.Second.Contains("cacio"));
        Assert.Equal("And food?", forward.Query);
        Assert.Equal(["system", "user", "assistant", "user", "assistant", "user"], forward.FirstContext!.Select(t => t.Role));
        Assert.Equal("Day 2: Vatican Museums.", forward.FirstContext![4].Content);
        Assert.Equal("The Borghese Gallery.", forward.SecondContext![4].Content);
        Assert.Equal(forward.FirstContext!.Select(t => t.Content), swapped.SecondContext!.Select(t => t.Content));
        // The forward order's prompt: side A's dialogue (with the Vatican) comes before side B's, whichever order was sent first.
        var prompt = fixture.Llm.Requests.Select(r => r.Messages)
            .Where(m => m.Count == 2 && m[^1].Text.Contains("Day 2: Vatican Museums.") && m[^1].Text.Contains("The Borghese Gallery."))
            .Select(m => m[^1].Text)
            .First(t => t.IndexOf("Day 2: Vatican Museums.", StringComparison.Ordinal) < t.IndexOf("The Borghese Gallery.", StringComparison.Ordinal));
        var boundary = JudgePrompt.BoundaryOf(prompt)!;
        Assert.Contains($"[A ASSISTANT {boundary}]\nDay 2: Vatican Museums.\n[END A ASSISTANT {boundary}]", prompt);
        Assert.Contains($"[B USER {boundary}]\nAdd a museum.\n[END B USER {boundary}]", prompt);
        Assert.Contains($"[A SYSTEM {boundary}]\nBe brief.\n[END A SYSTEM {boundary}]", prompt);

        // The policy model answered "asked" in its conversation: both samples were asked with every message.
        var policy = fixture.Llm.Requests.Where(r => r.Messages.Count == 3 && r.Messages[^1].Text == $"{tag} Say more").ToList();
        Assert.Equal(2, policy.Count);
        // The critique of the prime's response_a came with the conversation before it.
        var critique = fixture.Llm.Requests.First(r => r.Messages.Any(m => m.Text.StartsWith(FakeJudgeResponder.CritiqueMarker))
            && r.Messages[0].Text == $"{tag} Name a prime.");
        Assert.Equal(["user", "assistant", "user", "assistant", "user"], critique.Messages.Select(m => m.Role));
        Assert.Equal("Three.", critique.Messages[3].Text);

        var rows = (await fixture.PairRowsAsync(run.RunId)).ToDictionary(r => r.RowKey);
        Assert.Equal("A", rows["0000000-judge"].GetString("Verdict"));
        Assert.Equal("B", rows["0000001-judge"].GetString("Verdict"));
        Assert.Equal("And food?", rows["0000000-judge"].GetString("Prompt"));
        Assert.Null(rows["0000003-judge"].GetString("Conversation"));

        var dataset = (await fixture.Api.DatasetAsync(run.RunId)).ToLookup(r => (r.GetProperty("id").GetString(), r.GetProperty("source").GetString()));
        // Earlier answers differ: the two whole conversations, no prompt (TRL's implicit prompt).
        var tripRow = Assert.Single(dataset[("trip", "judge")]);
        Assert.False(tripRow.TryGetProperty("prompt", out _));
        Assert.Equal($"system: Be brief. | user: {tag} Plan a trip to Rome. | assistant: Day 1: Colosseum. | user: Add a museum. | " +
            "assistant: Day 2: Vatican Museums. | user: And food? | assistant: [[good]] Try cacio e pepe in Trastevere.", Texts(tripRow.GetProperty("chosen")));
        Assert.Equal($"system: Be brief. | user: {tag} Plan a trip to Rome. | assistant: See the Colosseum first. | user: Add a museum. | " +
            "assistant: The Borghese Gallery. | user: And food? | assistant: Eat pizza.", Texts(tripRow.GetProperty("rejected")));
        // A shared context: prompt is the message list, chosen and rejected one assistant message each.
        var primeRow = Assert.Single(dataset[("prime", "judge")]);
        Assert.Equal($"user: {tag} Name a prime. | assistant: 2. | user: Another one?", Texts(primeRow.GetProperty("prompt")));
        Assert.Equal("assistant: [[good]] 5 is prime.", Texts(primeRow.GetProperty("chosen")));
        Assert.Equal("assistant: Three.", Texts(primeRow.GetProperty("rejected")));
        // A revision of a conversation's final turn follows side A's conversation.
        var primeRevision = Assert.Single(dataset[("prime", "revision")]);
        Assert.Equal($"user: {tag} Name a prime. | assistant: 2. | user: Another one?", Texts(primeRevision.GetProperty("prompt")));
        Assert.Equal("assistant: (improved) Three.", Texts(primeRevision.GetProperty("chosen")));
        // A single-turn item keeps the string format.
        var single = Assert.Single(dataset[("single", "judge")]);
        Assert.Equal((JsonValueKind.String, $"{tag} plain", "[[good]] a"),
            (single.GetProperty("prompt").ValueKind, single.GetProperty("prompt").GetString(), single.GetProperty("chosen").GetString()));

        // The bias audit measured the final turns, not the dialogues before them.
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.False(report.TryGetProperty("references", out _));
        Assert.DoesNotContain("Reference answers", await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html"));
    }

    [SkippableFact]
    public async Task Math_items_are_graded_against_a_reference_written_once_and_paid_for_once()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var items = new object[]
        {
            new { id = "given", category = "Math", prompt = $"{tag} 6*7?", response_a = "[[good]] 42", response_b = "41", reference = "42" },
            new { id = "written", category = "math", prompt = $"{tag} 2+2?", response_a = "4", response_b = "[[good]] four" },
            new { id = "dialogue", category = "reasoning", messages = new[] { Turn("user", $"{tag} All men are mortal."), Turn("assistant", "Yes."), Turn("user", "Is Socrates mortal?") },
                response_a = "[[good]] Yes", response_b = "No" },
            new { id = "missing", category = "coding", prompt = $"{tag} [[noreference]] sort?", response_a = "[[good]] sorted()", response_b = "loop" },
            new { id = "chat", category = "chat", prompt = $"{tag} hi", response_a = "[[good]] hello", response_b = "yo" },
        };
        var options = new { reviewSampleSize = 10, critiqueRevise = false };
        var run = await fixture.Api.StartAsync(new { items, options });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");

        // One reference request per item of a reference category without one; none for the input's own or the chat item.
        bool IsReference(FakeRequest r) => r.Messages[0].Text.StartsWith(JudgePrompt.ReferenceMarker, StringComparison.Ordinal)
            && r.Messages.Any(m => m.Text.Contains(tag, StringComparison.Ordinal));
        var references = fixture.Llm.Requests.Where(IsReference).ToList();
        Assert.Equal(3, references.Count);
        Assert.Single(references, r => r.Messages[^1].Text == "Is Socrates mortal?" && r.Messages.Count == 4);

        // Each judge prompt carries its reference in its own marked section, in both orders.
        Assert.Equal(["42", "42"], JudgePromptsWith($"{tag} 6*7?").Select(s => s.Reference));
        Assert.Equal([FakeJudgeResponder.ReferencePrefix + $"{tag} 2+2?", FakeJudgeResponder.ReferencePrefix + $"{tag} 2+2?"],
            JudgePromptsWith($"{tag} 2+2?").Select(s => s.Reference));
        var dialogue = JudgePromptsWith("Is Socrates mortal?").ToList();
        Assert.Equal(2, dialogue.Count);
        Assert.All(dialogue, s => Assert.Equal(FakeJudgeResponder.ReferencePrefix + "Is Socrates mortal?", s.Reference));
        Assert.All(JudgePromptsWith("[[noreference]] sort?"), s => Assert.Null(s.Reference));
        Assert.All(JudgePromptsWith($"{tag} hi"), s => Assert.Null(s.Reference));

        var rows = (await fixture.PairRowsAsync(run.RunId)).ToDictionary(r => r.GetString("InputId")!);
        Assert.Equal(("Input", "42"), (rows["given"].GetString("ReferenceSource"), rows["given"].GetString("Reference")));
        Assert.Equal("Generated", rows["written"].GetString("ReferenceSource"));
        Assert.Equal("Unavailable", rows["missing"].GetString("ReferenceSource"));
        Assert.Null(rows["missing"].GetString("Reference"));
        Assert.Null(rows["chat"].GetString("ReferenceSource"));
        Assert.Equal("B", rows["written"].GetString("Verdict"));

        var status = await fixture.Api.StatusAsync(run.RunId);
        Assert.Equal(3, status.GetProperty("progress").GetProperty("llm").GetProperty("byRole").GetProperty("reference").GetProperty("requests").GetInt32());

        // Reviewers see the reference (showReferenceToReviewers defaults to true) and agree with the judge on all but "dialogue".
        var inputs = await fixture.Api.InputIdsAsync(run.RunId);
        foreach (var item in await fixture.Api.ReviewItemsAsync(run))
        {
            var id = inputs[item.ItemId];
            Assert.Equal(id switch
            {
                "given" => "42",
                "written" => FakeJudgeResponder.ReferencePrefix + $"{tag} 2+2?",
                "dialogue" => FakeJudgeResponder.ReferencePrefix + "Is Socrates mortal?",
                _ => null,
            }, item.Reference);
            var good = item.First.Contains("[[good]]") ? "first" : "second";
            var preference = id == "dialogue" ? (good == "first" ? "second" : "first") : good;
            await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "ann", preference });
        }
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var block = (await fixture.Api.ReportAsync(run.RunId)).GetProperty("references");
        Assert.Equal(3, block.GetProperty("guidedPairs").GetInt32());
        Assert.Equal((1, 2), (block.GetProperty("bySource").GetProperty("input").GetInt32(), block.GetProperty("bySource").GetProperty("generated").GetInt32()));
        Assert.Equal(1, block.GetProperty("unavailable").GetInt32());
        // With a reference: given and written agree, dialogue does not (2 of 3); without: missing and chat agree (2 of 2).
        Assert.Equal((3, 2), (block.GetProperty("withReference").GetProperty("votes").GetInt32(), block.GetProperty("withReference").GetProperty("agree").GetInt32()));
        Assert.Equal((2, 2), (block.GetProperty("withoutReference").GetProperty("votes").GetInt32(), block.GetProperty("withoutReference").GetProperty("agree").GetInt32()));
        var html = await fixture.Api.Http.GetStringAsync($"/api/runs/{run.RunId}/report.html");
        Assert.Contains("<h2>Reference answers</h2>", html);
        Assert.Contains("3 (1 from the input, 2 written by the judge model)", html);

        // A rerun of the same input pays for nothing: every reference and judge call is answered from the cache.
        var before = fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag, StringComparison.Ordinal)));
        var rerun = await fixture.Api.StartAsync(new { items, options = new { reviewSampleSize = 0, critiqueRevise = false } });
        await fixture.Api.WaitForAsync(rerun.RunId, "Completed");
        // The reference that could not be written is asked again (a failure is never cached), and nothing else.
        Assert.Equal(before + 1, fixture.Llm.Requests.Count(r => r.Messages.Any(m => m.Text.Contains(tag, StringComparison.Ordinal))));
        var usage = (await fixture.Api.ReportAsync(rerun.RunId)).GetProperty("cost").GetProperty("tokens").GetProperty("reference");
        Assert.Equal((3, 2), (usage.GetProperty("requests").GetInt32(), usage.GetProperty("cacheHits").GetInt32()));
    }

    [SkippableFact]
    public async Task An_uploaded_conversation_jsonl_is_judged_like_inline_items()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (a, b) = ThreeTurns(tag);
        var name = $"conversation-{tag}.jsonl";
        var blob = fixture.Container("synthpref-input").GetBlobClient(name);
        var jsonl = JsonSerializer.Serialize(new { id = "trip", conversation_a = a, conversation_b = b }) + "\n"
            + JsonSerializer.Serialize(new { id = "bad", conversation_a = a, conversation_b = Array.Empty<object>() }) + "\n";
        var upload = await blob.UploadAsync(BinaryData.FromString(jsonl), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" },
        });
        await fixture.Host.AnnounceUploadAsync(blob);
        var runId = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", name, upload.Value.ETag.ToString()));
        var failed = await fixture.Api.WaitForAsync(runId, "Failed");
        Assert.Contains("line 2, field 'conversation_b': conversation_b is empty", failed.GetRawText());

        var fixedUpload = await blob.UploadAsync(BinaryData.FromString(jsonl.Split('\n')[0] + "\n"), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { ["critiqueRevise"] = "false", ["reviewSampleSize"] = "0" },
        });
        await fixture.Host.AnnounceUploadAsync(blob);
        var fixedRun = await fixture.Api.WaitForRunAsync(RunStarter.BlobRunId("synthpref-input", name, fixedUpload.Value.ETag.ToString()));
        await fixture.Api.WaitForAsync(fixedRun, "Completed");
        var row = Assert.Single(await fixture.PairRowsAsync(fixedRun));
        Assert.Equal(("A", "And food?"), (row.GetString("Verdict"), row.GetString("Prompt")));
        var dataset = Assert.Single(await fixture.Api.DatasetAsync(fixedRun));
        Assert.Equal(7, dataset.GetProperty("chosen").GetArrayLength());
    }

    [SkippableFact]
    public async Task The_review_page_shows_a_three_turn_dialogue_turn_by_turn_with_the_judged_answers_set_apart()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (a, b) = ThreeTurns(tag);
        var run = await fixture.Api.StartAsync(new
        {
            items = new object[]
            {
                new { id = "trip", category = "travel", conversation_a = a, conversation_b = b, reference = "Cacio e pepe." },
                new { id = "shared", category = "math", messages = new[] { Turn("user", $"{tag} 1+1?"), Turn("assistant", "2"), Turn("user", "Times 5?") },
                    response_a = "[[good]] 10", response_b = "11", reference = "10" },
            },
            options = new { critiqueRevise = false, reviewSampleSize = 10, showReferenceToReviewers = true },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var items = await fixture.Api.ReviewItemsAsync(run);
        var trip = Assert.Single(items, i => i.Prompt == "And food?");
        var firstIsA = trip.First.Contains("cacio");

        await using var browser = await ReviewBrowser.LaunchAsync();
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{fixture.Host.BaseAddress.ToString().TrimEnd('/')}/api/runs/{run.RunId}/review#token={Uri.EscapeDataString(run.ReviewToken)}");
        await page.Locator("#reviewer-name").FillAsync("ann");
        await page.Locator("#start").ClickAsync();
        if (items[0].ItemId != trip.ItemId)
            await page.Locator("#next").ClickAsync();

        // Each side's own dialogue, turn by turn, in the blind order of its answer; the judged answers set apart.
        var first = page.Locator("#first-dialogue .turn");
        await Assertions.Expect(first).ToHaveCountAsync(6);
        Assert.Equal(["System", "User", "Assistant", "User", "Assistant", "User"], await page.Locator("#first-dialogue .turn .role").AllInnerTextsAsync());
        await Assertions.Expect(page.Locator("#first-dialogue .turn.assistant").Nth(1)).ToContainTextAsync(firstIsA ? "Day 2: Vatican Museums." : "The Borghese Gallery.");
        await Assertions.Expect(page.Locator("#second-dialogue .turn.assistant").Nth(1)).ToContainTextAsync(firstIsA ? "The Borghese Gallery." : "Day 2: Vatican Museums.");
        await Assertions.Expect(page.Locator("#first-judged")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#first-md")).ToContainTextAsync(firstIsA ? "cacio e pepe" : "Eat pizza.");
        Assert.Contains("judged", await page.Locator("#second-response").GetAttributeAsync("class") ?? "");
        await Assertions.Expect(page.Locator("#dialogue")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#prompt")).ToHaveTextAsync("And food?");
        await Assertions.Expect(page.Locator("#reference-md")).ToContainTextAsync("Cacio e pepe.");
        await Assertions.Expect(page.Locator("#question")).ToHaveTextAsync("Which final answer is better, given its conversation?");
        // Blind as ever: nothing on the page names a side, a model or the verdict.
        var body = await page.Locator("body").InnerTextAsync();
        Assert.DoesNotContain("Assistant A", body);
        Assert.DoesNotContain("VERDICT", body);

        // The shared dialogue is shown once, in place of the prompt, above both answers.
        await page.Locator(firstIsA ? "[data-preference=first]" : "[data-preference=second]").ClickAsync();
        await Assertions.Expect(page.Locator("#dialogue .turn")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#dialogue .turn").Nth(2)).ToContainTextAsync("Times 5?");
        await Assertions.Expect(page.Locator("#prompt")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#first-dialogue")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#reference-md")).ToHaveTextAsync("10");
    }
}
