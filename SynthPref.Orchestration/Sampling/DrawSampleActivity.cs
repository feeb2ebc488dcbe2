using Microsoft.DurableTask;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Sampling;

public sealed record SampleRequest(string RunId, int Size, int Seed);

/// <summary>
/// Draws the blind review sample and fixes, per item, which text is shown first. Both depend only on the
/// run's seed and the stored pairs, so a retry writes the same rows.
/// </summary>
public sealed class DrawSampleActivity(PairStore pairs, ReviewStore reviews) : TaskActivity<SampleRequest, string[]>
{
    public override async Task<string[]> RunAsync(TaskActivityContext context, SampleRequest request)
    {
        var stored = await pairs.ListAsync(request.RunId, CancellationToken.None);
        // Unparseable pairs have no verdict for a human to agree or disagree with.
        var candidates = stored.Where(p => p.Verdict != Preference.Unparseable)
            .Select(p => new SampleCandidate(p.PairId, p.Category)).ToList();
        var chosen = StratifiedSampler.Sample(candidates, request.Size, request.Seed);

        var items = chosen.Select(pairId =>
        {
            var itemId = ItemIdFor(request.RunId, pairId);
            var flipped = new Random(StableHash.Seed(request.Seed, itemId)).Next(2) == 1;
            return new ReviewItem(request.RunId, itemId, pairId, flipped);
        }).ToList();
        await reviews.SaveItemsAsync(items, CancellationToken.None);
        return items.Select(i => i.ItemId).ToArray();
    }

    // An opaque id, so neither the pair's source nor its position in the input leaks to reviewers.
    static string ItemIdFor(string runId, string pairId) => "item-" + StorageKeys.Hash($"{runId}/{pairId}", 12);
}
