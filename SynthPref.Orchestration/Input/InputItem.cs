namespace SynthPref.Orchestration.Input;

/// <summary>One validated input line. <see cref="Index"/> is zero-based and is what storage keys use,
/// because <see cref="Id"/> is user text and may be long or contain characters Table keys reject.</summary>
public sealed record InputItem(
    int Index,
    string Id,
    string Prompt,
    string Category,
    string? ResponseA,
    string? ResponseB,
    string? ModelA,
    string? ModelB)
{
    public bool HasBothResponses => ResponseA is not null && ResponseB is not null;
    public bool NeedsGeneration => ResponseA is null && ResponseB is null;
}

/// <summary>A problem with one input line (1-based) or inline item (1-based position in the array).</summary>
public sealed record InputError(int Line, string Field, string Message)
{
    public override string ToString() => $"line {Line}, field '{Field}': {Message}";
}

public sealed record InputParseResult(IReadOnlyList<InputItem> Items, IReadOnlyList<InputError> Errors)
{
    public bool IsValid => Errors.Count == 0;
}
