using Azure.Data.Tables;
using SynthPref.Orchestration.Pairs;
using SynthPref.Orchestration.Storage;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Storage;

/// <summary>
/// A pass over a run's pairs reads row-key ranges of <see cref="PairStore.ItemsPerRange"/> items, not one paged query:
/// in real storage (Azurite) it still returns every row of the run, and only those, in row-key order, across a full
/// range, empty ranges, a long jump, the last seven-digit index, and keys no item index names.
/// </summary>
public sealed class PairRangeTests(AzuriteStorage azurite) : IClassFixture<AzuriteStorage>
{
    readonly StorageClients storage = azurite.Storage;

    [Fact]
    public async Task Every_row_of_the_run_comes_once_in_row_key_order_whatever_the_gaps()
    {
        var runId = "run-ranges-" + Guid.NewGuid().ToString("N")[..8];
        var keys = new List<string>
        {
            PreferencePair.KeyFor(0, PairSource.Judge), PreferencePair.KeyFor(0, PairSource.Revision),
            PreferencePair.KeyFor(499, PairSource.Judge), PreferencePair.KeyFor(500, PairSource.Judge),
            PreferencePair.KeyFor(3_700, PairSource.Judge), // 1,000 to 1,999 and 4,000 to 4,999 stay empty
            PreferencePair.KeyFor(5_000_123, PairSource.Judge), // thousands of empty ranges passed over at once
            PreferencePair.KeyFor(9_999_999, PairSource.Revision), // the last range, read open-ended
            "10000000-judge", // eight digits: string order puts it among the 1,000,000s
            "zzz", // no item index at all
        };
        // A range holding more than a page: 500 items with both sources, and one more.
        for (var i = 2_000; i < 2_500; i++)
        {
            keys.Add(PreferencePair.KeyFor(i, PairSource.Judge));
            keys.Add(PreferencePair.KeyFor(i, PairSource.Revision));
        }
        keys.Add(PreferencePair.KeyFor(2_500, PairSource.Judge));

        var table = storage.Table(StorageNames.PairsTable);
        foreach (var chunk in keys.Chunk(100))
            await table.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(runId, k))));
        // Another run's rows, before and after this one's partition, stay out.
        await table.AddEntityAsync(new TableEntity(runId[..^1], PreferencePair.KeyFor(1, PairSource.Judge)));
        await table.AddEntityAsync(new TableEntity(runId + "x", PreferencePair.KeyFor(1, PairSource.Judge)));

        var read = new List<string>();
        await foreach (var key in new PairStore(storage).ReadKeysAsync(runId, CancellationToken.None))
            read.Add(key);

        Assert.Equal(keys.Order(StringComparer.Ordinal).ToList(), read);
    }

    [Fact]
    public async Task A_run_without_pairs_reads_as_empty()
    {
        var read = new List<string>();
        await foreach (var key in new PairStore(storage).ReadKeysAsync("run-empty-" + Guid.NewGuid().ToString("N")[..8], CancellationToken.None))
            read.Add(key);
        Assert.Empty(read);
    }
}
