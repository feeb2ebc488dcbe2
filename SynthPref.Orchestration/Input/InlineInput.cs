using System.Text.Json;

namespace SynthPref.Orchestration.Input;

/// <summary>An inline input went past a host limit; <see cref="TooLarge"/> is a 413 rather than a 400.</summary>
public sealed class InputLimitExceededException(string field, string message, bool tooLarge) : Exception(message)
{
    public string Field { get; } = field;
    public bool TooLarge { get; } = tooLarge;
}

/// <summary>What streaming an inline input came to: its item count, and why it was refused when it was.</summary>
public sealed record InlineInputResult(int Items, InputRejection? Rejection)
{
    public bool IsValid => Rejection is null;
}

/// <summary>
/// Inline items as they stream in, one array element at a time: each is validated as it arrives and, while the input
/// is still valid, written to the run's input copy, so memory holds one item and one block however many items come.
/// An item's line is its 1-based position in the array. The options may come after the items in the body, so items
/// are validated with critique-revise allowed, and <see cref="Finish"/> adds the one error that depends on it.
/// </summary>
public sealed class InlineInput(InputStore store, string runId, InputOptions limits) : IDisposable
{
    /// <summary>Errors kept for the answer; all are counted.</summary>
    public const int ErrorsKept = 50;

    readonly InputValidator validator = new(critiqueRevise: true, "its position in the array");
    readonly List<InputError> kept = [];
    readonly List<InputError> lineErrors = [];
    readonly List<int> reviseOnly = [];
    InputCopyWriter? writer;
    int count, totalErrors, invalidLines, reviseOnlyCount;

    public int MaxItemBytes => limits.MaxLineBytes;
    public int Count => count;

    public async ValueTask AddAsync(ReadOnlyMemory<byte> json, CancellationToken ct)
    {
        if (count == limits.MaxItems)
            throw new InputLimitExceededException("items",
                $"'items' has more than {limits.MaxItems} items, the limit (Input:MaxItems).", tooLarge: true);
        var line = ++count;
        if (json.Length > limits.MaxLineBytes)
            throw TooLong(line);

        lineErrors.Clear();
        InputItem? item;
        using (var document = JsonDocument.Parse(json))
            item = validator.Validate(document.RootElement, line, line - 1, lineErrors);
        if (item is null)
        {
            invalidLines++;
            totalErrors += lineErrors.Count;
            kept.AddRange(lineErrors.Take(ErrorsKept - kept.Count));
            return;
        }
        if (item is { ResponseA: not null, ResponseB: null })
        {
            reviseOnlyCount++;
            if (reviseOnly.Count < ErrorsKept) reviseOnly.Add(line);
        }
        if (totalErrors > 0) return; // refused anyway; only its errors still matter
        writer ??= store.CreateInputWriter(runId);
        await writer.WriteAsync(item, ct);
    }

    /// <summary>An item longer than Input:MaxLineBytes ends the request: skipping it would mean holding it.</summary>
    public InputLimitExceededException TooLong(int line) => new($"line {line}.{InputValidator.LineField}",
        $"Item {line} of 'items' has more than {limits.MaxLineBytes} bytes, the limit for one item (Input:MaxLineBytes).", tooLarge: false);

    public InlineInputResult Finish(bool critiqueRevise)
    {
        var errors = new List<InputError>(kept);
        int total = totalErrors, lines = invalidLines;
        if (!critiqueRevise && reviseOnlyCount > 0)
        {
            errors.AddRange(reviseOnly.Select(InputValidator.ReviseOnlyWithoutCritique));
            total += reviseOnlyCount;
            lines += reviseOnlyCount;
        }
        return new InlineInputResult(count,
            total == 0 ? null : new InputRejection("items", errors.OrderBy(e => e.Line).Take(ErrorsKept).ToList(), total, lines));
    }

    /// <summary>Commits the copy of a valid input and returns its reference.</summary>
    public Task<string> CommitAsync(CancellationToken ct) =>
        (writer ?? throw new InvalidOperationException("No valid item was written.")).CommitAsync(ct);

    public void Dispose() => writer?.Dispose();
}
