using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Orchestration.Runs;

/// <summary>A run as its start left it. ReviewToken is known only to the call that created the run: storage keeps
/// only its hash, so a repeated start (the same upload seen again) has none.</summary>
public sealed record StartedRun(string RunId, string? ReviewToken, bool AlreadyExisted);

/// <summary>Error: why a failed run failed. InputErrors: the bad lines of a run whose input was refused, each naming its
/// line and field (the first ones; Error counts them all).</summary>
public sealed record RunView(
    string RunId,
    string? Name,
    string Source,
    DateTimeOffset CreatedAt,
    RunStatus Status,
    RunProgress Progress,
    ReviewProgress? Review,
    string? Error,
    RunResult? Result,
    IReadOnlyList<Input.InputError>? InputErrors = null)
{
    /// <summary>The run lost at least one item step (a pair it would have had). Beside Completed, this is how a run that
    /// finished with failures says so: the status stays Completed, so its outputs are served as usual.</summary>
    public bool Degraded => Progress.FailedItems > 0;
}
