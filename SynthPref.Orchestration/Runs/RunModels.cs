using System.Text.Json.Serialization;
using SynthPref.Orchestration.Input;

namespace SynthPref.Orchestration.Runs;

/// <summary>Options after defaults are applied and the seed is fixed, as the orchestration sees them.</summary>
public sealed record RunSettings(
    bool SwapPositions,
    bool CritiqueRevise,
    int ReviewSampleSize,
    int MinReviewsPerItem,
    TimeSpan ReviewDeadline,
    int Seed);

/// <summary>
/// The orchestration input: references only, never the items themselves. A run that continues as new carries
/// its judging checkpoint here. InputName is what the user calls the input (the uploaded blob, or "items"),
/// for error messages; InputBlob is the run's own copy.
/// </summary>
public sealed record RunInput(string RunId, string? Name, string Source, string InputName, string InputBlob, RunSettings Settings,
    JudgingCheckpoint? Checkpoint = null);

/// <summary>The plan per item (small enum values, not item content) and how far judging has come.</summary>
public sealed record JudgingCheckpoint(ItemWork[] Items, int NextItem, int PairsWritten, int FailedItems, string? FirstFailure);

[JsonConverter(typeof(JsonStringEnumConverter<RunStatus>))]
public enum RunStatus { Pending, Judging, Auditing, AwaitingReview, Reporting, Completed, Failed }

/// <summary>Published as the orchestration's custom status, so status reads need no storage round trip.</summary>
public sealed record RunProgress(
    RunStatus Phase,
    int Items = 0,
    int ItemsDone = 0,
    int PairsWritten = 0,
    int FailedItems = 0,
    int SampledItems = 0,
    int Votes = 0,
    int ItemsFullyReviewed = 0,
    DateTime? ReviewDeadline = null);

public sealed record RunResult(
    string RunId,
    int Pairs,
    int FailedItems,
    int DatasetRows,
    string ReportJson,
    string ReportHtml,
    string Dataset);

public static class RunEvents
{
    public const string ReviewSubmitted = "ReviewSubmitted";
    public const string CloseReview = "CloseReview";
}

public sealed record ReviewSubmitted(string ItemId, string Reviewer, Reviews.ReviewLabel Label);
