namespace SynthPref.Orchestration.Settings;

/// <summary>A role a run sends by batch, the section (endpoint) that answers it, and whether a request its batches
/// leave unanswered after the retry is then sent live (else its step fails).</summary>
public sealed record BatchRole(string Role, string Section, bool FallbackLive);

/// <summary>
/// How a run batches, fixed when it starts: which roles, and how long it first waits before asking for its
/// batches' status (each wait after doubles, up to <c>LlmOptions.MaxBatchPollSeconds</c>). Part of the run's options record
/// (<see cref="RunSettings.Batch"/>); the starter decides it with the host's sections (<c>BatchPlanner</c>).
/// </summary>
public sealed record BatchPlan(IReadOnlyList<BatchRole> Roles, int PollSeconds)
{
    public bool Batches(string role) => Roles.Any(r => r.Role == role);

    /// <summary>Roles whose unanswered requests fail instead of going live.</summary>
    public IReadOnlyList<string> NoLiveFallback => Roles.Where(r => !r.FallbackLive).Select(r => r.Role).ToList();

    public IReadOnlyList<string> RoleNames => Roles.Select(r => r.Role).ToList();
}
