using System.Collections.Concurrent;
using System.Net;
using Azure.Data.Tables;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// The proof that a label answered 202 is always counted and one answered 409 never is: labels race a close,
/// the automatic end of review (the last needed label), and each other. The label rows in storage, the report's
/// votes and reviewers, and the set of 202 answers must be the same thing.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class LabelRaceTests(PipelineFixture fixture)
{
    static object[] Items(string tag, int count) => Enumerable.Range(0, count).Select(i => (object)new
    {
        id = $"i{i}", prompt = $"{tag} prompt {i}", category = $"c{i % 2}",
        response_a = $"[[good]] answer {i}", response_b = $"answer {i}",
    }).ToArray();

    sealed record Sent(string ItemId, string Reviewer, HttpStatusCode Status);

    [Fact]
    public async Task Labels_sent_while_the_phase_is_closed_are_either_counted_or_refused_never_lost()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Items(tag, 6),
            // No label ends this phase: only the close does.
            options = new { critiqueRevise = false, reviewSampleSize = 6, minReviewsPerItem = 1000, maxReviewersPerItem = 1000 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var items = await fixture.Api.ReviewItemsAsync(run);

        var sent = new ConcurrentBag<Sent>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var closeAfter = 60;
        var closed = new TaskCompletionSource<HttpStatusCode>();
        var senders = Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
        {
            // Each worker is its own stream of new reviewers, so every label is a distinct (item, reviewer) and counts once.
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var item = items[(worker + n) % items.Length];
                var reviewer = $"w{worker} r{n}";
                var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                    new { itemId = item.ItemId, reviewer, preference = n % 3 == 0 ? "tie" : "first" });
                sent.Add(new Sent(item.ItemId, reviewer, response.StatusCode));
                if (sent.Count >= closeAfter && !closed.Task.IsCompleted)
                {
                    // The close goes out while the other workers keep sending.
                    _ = Task.Run(async () => closed.TrySetResult((await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode));
                }
                if (response.StatusCode == HttpStatusCode.Conflict && closed.Task.IsCompleted)
                    return; // the phase is over for this worker
            }
        })).ToArray();
        await Task.WhenAll(senders);
        Assert.Equal(HttpStatusCode.Accepted, await closed.Task);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var all = sent.ToList();
        // 503 is "too contended to commit, send it again": not stored, like a 409, which the set comparison below checks.
        Assert.All(all, s => Assert.True(s.Status is HttpStatusCode.Accepted or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable,
            $"{s.Reviewer} got {s.Status}"));
        var accepted = all.Where(s => s.Status == HttpStatusCode.Accepted).ToList();
        Assert.True(accepted.Count >= closeAfter, $"only {accepted.Count} labels were accepted");
        Assert.Contains(all, s => s.Status == HttpStatusCode.Conflict);
        await AssertCountedExactlyAsync(run.RunId, accepted);
    }

    [Fact]
    public async Task Labels_racing_the_automatic_end_of_review_are_either_counted_or_refused_never_lost()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Items(tag, 5),
            options = new { critiqueRevise = false, reviewSampleSize = 5, minReviewsPerItem = 1, maxReviewersPerItem = 1000 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var items = await fixture.Api.ReviewItemsAsync(run);

        // Every item but the last gets its one needed reviewer; the next label on the last item ends the phase.
        var sent = new ConcurrentBag<Sent>();
        foreach (var item in items[..^1])
        {
            var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer = "first", preference = "first" });
            sent.Add(new Sent(item.ItemId, "first", response.StatusCode));
        }
        Assert.All(sent, s => Assert.Equal(HttpStatusCode.Accepted, s.Status));

        // Now a flood on every item, the last one included, so the ending label lands among many others.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var senders = Enumerable.Range(0, 12).Select(worker => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var item = items[(worker + n) % items.Length];
                var reviewer = $"w{worker} r{n}";
                var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken, new { itemId = item.ItemId, reviewer, preference = "second" });
                sent.Add(new Sent(item.ItemId, reviewer, response.StatusCode));
                if (response.StatusCode == HttpStatusCode.Conflict) return;
            }
        })).ToArray();
        await Task.WhenAll(senders);
        var done = await fixture.Api.WaitForAsync(run.RunId, "Completed");

        var all = sent.ToList();
        Assert.All(all, s => Assert.True(s.Status is HttpStatusCode.Accepted or HttpStatusCode.Conflict or HttpStatusCode.ServiceUnavailable,
            $"{s.Reviewer} got {s.Status}"));
        Assert.Contains(all, s => s.Status == HttpStatusCode.Conflict);
        var report = await fixture.Api.ReportAsync(run.RunId);
        Assert.Equal("complete", report.GetProperty("review").GetProperty("endedBy").GetString());
        Assert.Equal("Closed", done.GetProperty("review").GetProperty("phase").GetString());
        await AssertCountedExactlyAsync(run.RunId, all.Where(s => s.Status == HttpStatusCode.Accepted).ToList());
    }

    [Fact]
    public async Task Fifty_concurrent_relabels_by_one_reviewer_leave_the_table_and_the_report_agreeing()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var run = await fixture.Api.StartAsync(new
        {
            items = Items(tag, 1),
            options = new { critiqueRevise = false, reviewSampleSize = 1, minReviewsPerItem = 2 },
        });
        await fixture.Api.WaitForAsync(run.RunId, "AwaitingReview");
        var item = Assert.Single(await fixture.Api.ReviewItemsAsync(run));

        var preferences = new[] { "first", "second", "tie" };
        var answers = await Task.WhenAll(Enumerable.Range(0, 50).Select(async n =>
        {
            // A 503 means the item row was too contended to commit; the label was not stored and is simply sent again.
            for (var attempt = 0; ; attempt++)
            {
                var response = await fixture.Api.ReviewAsync(run.RunId, run.ReviewToken,
                    new { itemId = item.ItemId, reviewer = "ann", preference = preferences[n % 3] });
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable || attempt == 5) return response.StatusCode;
            }
        }));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Accepted, a));

        var rows = await LabelRowsAsync(run.RunId);
        var row = Assert.Single(rows);
        Assert.Equal("ann", row.GetString("Reviewer"));
        var itemRow = (await fixture.Table(StorageNames.ReviewsTable).GetEntityAsync<TableEntity>(run.RunId, item.ItemId)).Value;
        Assert.Equal(1, itemRow.GetInt32("Reviewers"));

        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Api.CloseAsync(run.RunId, run.ReviewToken)).StatusCode);
        await fixture.Api.WaitForAsync(run.RunId, "Completed");
        var report = await fixture.Api.ReportAsync(run.RunId);
        var overall = report.GetProperty("agreement").GetProperty("overall");
        Assert.Equal(1, overall.GetProperty("votes").GetInt32());
        Assert.Equal(1, report.GetProperty("review").GetProperty("reviewers").GetInt32());
        // The judge chose the [[good]] text; ann agrees exactly when the label standing in the table names that text.
        var standing = row.GetString("Label");
        var agrees = standing switch
        {
            "First" => item.First.Contains("[[good]]"),
            "Second" => item.Second.Contains("[[good]]"),
            _ => false,
        };
        Assert.Equal(agrees ? 1 : 0, overall.GetProperty("agree").GetInt32());
        Assert.Equal(standing == "Tie" ? 0 : 1, overall.GetProperty("votesExcludingTies").GetInt32());
    }

    /// <summary>The label rows are exactly the accepted labels, and the report counts exactly those.</summary>
    async Task AssertCountedExactlyAsync(string runId, List<Sent> accepted)
    {
        var stored = (await LabelRowsAsync(runId)).Select(r => ((string?)r.GetString("ItemId"), (string?)r.GetString("Reviewer"))).ToHashSet();
        var acceptedSet = accepted.Select(a => ((string?)a.ItemId, (string?)a.Reviewer)).ToHashSet();
        Assert.Equal(accepted.Count, acceptedSet.Count);
        Assert.True(acceptedSet.SetEquals(stored),
            $"accepted but not stored: {string.Join(", ", acceptedSet.Except(stored).Take(5))}; stored but refused: {string.Join(", ", stored.Except(acceptedSet).Take(5))}");

        var review = (await fixture.Api.ReportAsync(runId)).GetProperty("review");
        Assert.Equal(accepted.Count, review.GetProperty("votes").GetInt32());
        Assert.Equal(accepted.Select(a => a.Reviewer).Distinct().Count(), review.GetProperty("reviewers").GetInt32());
        var status = await fixture.Api.StatusAsync(runId);
        Assert.Equal(accepted.Count, status.GetProperty("progress").GetProperty("votes").GetInt32());
    }

    async Task<List<TableEntity>> LabelRowsAsync(string runId)
    {
        var rows = new List<TableEntity>();
        await foreach (var row in fixture.Table(StorageNames.ReviewsTable).QueryAsync<TableEntity>(
                           TableClient.CreateQueryFilter($"PartitionKey eq {runId} and RowKey ge {"label-"} and RowKey lt {"label."}")))
            rows.Add(row);
        return rows;
    }
}
