namespace SynthPref.Orchestration.Input;

/// <summary>One validated input line. <see cref="Index"/> is zero-based and is what storage keys use,
/// because <see cref="Id"/> is user text and may be long or contain characters Table keys reject.
/// <see cref="Line"/> is where the item came from, for messages: the 1-based physical line of a JSONL file, or the
/// 1-based position in an inline array (0 when unknown). It is not an input field, so it is never written back as one.
/// Conversation: what each side's judged answer follows, for <c>conversation_a</c>/<c>conversation_b</c> and
/// <c>messages</c> items (null for single-turn ones); then <see cref="Prompt"/> is the last user message, and
/// ResponseA/ResponseB are the judged final assistant turns. Reference: the correct answer the input gives.</summary>
public sealed record InputItem(
    int Index,
    string Id,
    string Prompt,
    string Category,
    string? ResponseA,
    string? ResponseB,
    string? ModelA,
    string? ModelB,
    int Line = 0,
    Conversation? Conversation = null,
    string? Reference = null)
{
    public bool HasBothResponses => ResponseA is not null && ResponseB is not null;
    public bool NeedsGeneration => ResponseA is null && ResponseB is null;
}

/// <summary>A problem with one input line (1-based) or inline item (1-based position in the array).</summary>
public sealed record InputError(int Line, string Field, string Message)
{
    public override string ToString() => $"line {Line}, field '{Field}': {Message}";
}
