using SynthPref.Orchestration.Storage;

namespace SynthPref.Orchestration.Input;

/// <summary>What loading found: the item counts by kind. Error: why the run could not start, as builds before typed
/// failures answered (they returned a refused input; this one throws <see cref="InputRejectedException"/>), so a result
/// such a worker wrote still reads.</summary>
public sealed record LoadedInput(int Items, int ToGenerate, int ReviseOnly, string? Error = null);

/// <summary>One pass over an input: where each item sits in it (null when it was refused), the items by kind, or why it
/// was refused.</summary>
public sealed record InputScan(InputManifest? Manifest, int ToGenerate, int ReviseOnly, InputRejection? Rejection);

/// <summary>
/// Validates a run's whole input before any LLM call, streaming, so memory stays flat however large it is, and
/// writes the manifest the items are read back through. Nothing is written for an input with any bad line.
/// </summary>
public sealed class InputLoader(InputStore store)
{
    /// <summary>Errors kept for the message; all are counted.</summary>
    public const int ErrorsKept = 50;

    /// <summary>Lines between two progress reports.</summary>
    public const int ProgressEvery = 10_000;

    /// <summary>The run's input, validated and indexed; <see cref="InputRejectedException"/> when it is refused.</summary>
    public async Task<LoadedInput> LoadAsync(string runId, string inputBlob, string inputName, bool critiqueRevise,
        InputOptions limits, Func<InputLoadProgress, Task>? progress, CancellationToken ct)
    {
        await using var stream = await store.OpenInputAsync(inputBlob, ct)
            ?? throw new InputRejectedException(InputRejection.Whole(inputName, $"Input '{inputName}' ({inputBlob}) does not exist."));
        var scan = await ScanAsync(stream, inputName, critiqueRevise, limits, progress, ct);
        if (scan.Rejection is { } rejection)
            throw new InputRejectedException(rejection);
        await store.WriteManifestAsync(runId, scan.Manifest!, ct);
        return new LoadedInput(scan.Manifest!.Count, scan.ToGenerate, scan.ReviseOnly);
    }

    /// <summary>
    /// Every line of a JSONL input, validated as one input (ids unique across it): the manifest of its items, or every
    /// bad line's errors (the first <see cref="ErrorsKept"/>, all counted). The stream is read once, front to back.
    /// </summary>
    public static async Task<InputScan> ScanAsync(Stream stream, string inputName, bool critiqueRevise, InputOptions limits,
        Func<InputLoadProgress, Task>? progress, CancellationToken ct)
    {
        var totalBytes = stream.CanSeek ? stream.Length : 0;
        if (progress is not null) await progress(new InputLoadProgress(0, 0, totalBytes));
        long lines = 0, bytes = 0;

        var validator = new InputValidator(critiqueRevise);
        var entries = new List<ManifestEntry>();
        var kept = new List<InputError>();
        var lineErrors = new List<InputError>();
        int totalErrors = 0, invalidLines = 0, toGenerate = 0, reviseOnly = 0, index = 0;
        await foreach (var line in JsonlLines.ReadAsync(stream, limits.MaxLineBytes, ct))
        {
            lines = line.Number;
            bytes = line.Offset + line.Length;
            if (progress is not null && lines % ProgressEvery == 0) await progress(new InputLoadProgress(lines, bytes, totalBytes));
            if (line.IsBlank) continue;
            if (index == limits.MaxItems)
                return Refused(InputRejection.Whole(inputName, $"Input '{inputName}' has more than {limits.MaxItems} items, the limit (Input:MaxItems)."));
            lineErrors.Clear();
            var item = InputReader.ParseLine(line, index, validator, lineErrors, limits.MaxLineBytes);
            index++;
            if (item is null)
            {
                invalidLines++;
                totalErrors += lineErrors.Count;
                kept.AddRange(lineErrors.Take(ErrorsKept - kept.Count));
                continue;
            }
            if (totalErrors > 0) continue; // the input is refused anyway; only its errors still matter
            entries.Add(new ManifestEntry(line.Offset, line.Length, line.Number));
            if (item.NeedsGeneration) toGenerate++;
            else if (!item.HasBothResponses) reviseOnly++;
        }
        if (progress is not null) await progress(new InputLoadProgress(lines, totalBytes > 0 ? totalBytes : bytes, totalBytes));

        if (totalErrors > 0)
            return Refused(new InputRejection(inputName, kept, totalErrors, invalidLines));
        if (entries.Count == 0)
            return Refused(InputRejection.Whole(inputName, $"Input '{inputName}' has no items."));
        return new InputScan(new InputManifest(entries.ToArray()), toGenerate, reviseOnly, null);
    }

    static InputScan Refused(InputRejection rejection) => new(null, 0, 0, rejection);
}

/// <summary>Host limits on one input (section <c>Input</c>).</summary>
public sealed class InputOptions
{
    public const string SectionName = "Input";

    /// <summary>The most items one input may hold, inline or in a blob.</summary>
    public int MaxItems { get; set; } = 1_000_000;

    /// <summary>The longest JSONL line, or the longest element of an inline <c>items</c> array, in bytes.</summary>
    public int MaxLineBytes { get; set; } = InputReader.DefaultMaxLineBytes;

    /// <summary>The containers <c>inputBlob</c> may name, comma-separated. Never a run's own copies or outputs.</summary>
    public string Containers { get; set; } = $"{StorageNames.InputContainer},{StorageNames.UploadsContainer}";

    public IReadOnlyList<string> InputContainers() =>
        Containers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(c => c is not (StorageNames.WorkContainer or StorageNames.OutputContainer))
            .ToList();
}
