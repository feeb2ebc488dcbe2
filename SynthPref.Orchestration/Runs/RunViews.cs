using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

public sealed record StartedRun(string RunId, string ReviewToken, bool AlreadyExisted);

/// <summary>Review progress as storage has it: labels are never counted in the orchestration.</summary>
public sealed record ReviewProgress(string Phase, int SampledItems, int Votes, int ItemsFullyReviewed, string? EndedBy);

public sealed record RunView(
    string RunId,
    string? Name,
    string Source,
    DateTimeOffset CreatedAt,
    RunStatus Status,
    RunProgress Progress,
    ReviewProgress? Review,
    string? Error,
    RunResult? Result);

public sealed record ReviewItemView(string ItemId, string InputId, string Prompt, string Category, string First, string Second);
