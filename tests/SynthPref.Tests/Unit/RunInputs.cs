using System.Text;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Storage;

namespace SynthPref.Tests.Unit;

/// <summary>What a run makes of an input, through the code runs use: Items, as the judging lanes read them back, or
/// why the input was refused.</summary>
public sealed record LoadedItems(IReadOnlyList<InputItem> Items, InputRejection? Rejection)
{
    public bool IsValid => Rejection is null;
    public IReadOnlyList<InputError> Errors => Rejection?.Errors ?? [];
}

/// <summary>
/// An input taken the way a run takes it, without storage: a JSONL input is scanned as the loading step scans the
/// run's copy (<see cref="InputLoader.ScanAsync"/>) and its items read back through the manifest as a lane reads them
/// (<see cref="InputStore.ItemsIn"/>); inline items stream through the request reader into <see cref="InlineInput"/>
/// (nothing is committed, so no storage is reached).
/// </summary>
public static class RunInputs
{
    public static LoadedItems Jsonl(params string[] lines) => LoadAsync(string.Join("\n", lines)).GetAwaiter().GetResult();

    public static Task<LoadedItems> LoadAsync(string jsonl, bool critiqueRevise = true, int maxLineBytes = InputReader.DefaultMaxLineBytes) =>
        LoadAsync(Encoding.UTF8.GetBytes(jsonl), critiqueRevise, maxLineBytes);

    public static async Task<LoadedItems> LoadAsync(byte[] jsonl, bool critiqueRevise = true, int maxLineBytes = InputReader.DefaultMaxLineBytes)
    {
        var scan = await InputLoader.ScanAsync(new MemoryStream(jsonl), "test.jsonl", critiqueRevise,
            new InputOptions { MaxLineBytes = maxLineBytes }, null, CancellationToken.None);
        if (scan.Rejection is { } rejection) return new LoadedItems([], rejection);
        return new LoadedItems(
            InputStore.ItemsIn(jsonl, 0, scan.Manifest!, 0, scan.Manifest!.Count, new InputValidator(critiqueRevise), "run-unit"), null);
    }

    /// <summary>An inline <c>items</c> value, as POST /api/runs streams it: the request's refusal of it, if any.</summary>
    public static async Task<InputRejection?> InlineAsync(string items, bool critiqueRevise = true)
    {
        using var sink = new InlineInput(new InputStore(StorageClients.FromConnectionString("UseDevelopmentStorage=true")), "run-unit",
            new InputOptions());
        await StartRunBodyReader.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"items":{{items}}}""")), sink, CancellationToken.None);
        return sink.Finish(critiqueRevise).Rejection;
    }

    /// <summary>Items written back as the run's copy of inline input writes them.</summary>
    public static string AsCopy(IEnumerable<InputItem> items)
    {
        using var copy = new MemoryStream();
        foreach (var item in items)
            InputJsonl.WriteItem(item, copy);
        return Encoding.UTF8.GetString(copy.ToArray());
    }
}
