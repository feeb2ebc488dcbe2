using SynthPref.Orchestration.Llm;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Orchestration.Batch;

/// <summary>
/// How a run's batch phase went: the cycles it ran, requests sent by batch (a request sent again counts again), those
/// answered and left unanswered, those left out because two batches had already failed them (Exhausted), and why it
/// ended: "nothing-left" (a collecting pass found nothing more to send), "nothing-to-batch" (the first found nothing),
/// "closed", "max-cycles", or "failed: …" (a batch could not be prepared, created or read). CacheOnlyRoles: the roles the
/// stage then takes from the cache only (their fallback is fail, or the run was closed), each miss failing its step
/// with CacheOnlyReason.
/// </summary>
public sealed record BatchSummary(IReadOnlyList<string> Roles, int Cycles, int Requests, int Answered, int Unanswered, int Exhausted, string EndedBy,
    IReadOnlyList<string>? CacheOnlyRoles = null, string? CacheOnlyReason = null)
{
    public bool Closed => EndedBy == "closed";
}

/// <summary>What a run's <c>batch</c> option and the host's sections make of a run's batching, or why they cannot.</summary>
public sealed record BatchDecision(BatchPlan? Plan, IReadOnlyList<string> RequestErrors, IReadOnlyList<string> HostProblems);

/// <summary>
/// Decides, when a run starts, which of the roles it calls go by batch. Without the run's <c>batch</c> option, each
/// section's <c>Batch</c> setting decides; <c>batch: true</c> batches every role whose section has a Batch API (a
/// replay section stays as it is: it costs nothing); <c>batch: false</c> none. Batch answers reach the steps through
/// the response cache, and a batch is paid for whole, so a run with <c>cache: false</c> or a token budget is not
/// batched: asked for by its option, that is the caller's error; configured on the host, the run goes live.
/// </summary>
public sealed class BatchPlanner(LlmSections sections)
{
    /// <summary>The most cycles a run can need: each answer can reveal at most one more request of its item (a
    /// policy sample, a judge's re-ask after an unparseable answer, each critique and revision, the verification's
    /// judge calls and their re-ask), and each request may be sent a second time; one more finds nothing left.</summary>
    public static int MaxCycles(int revisionRounds, bool verify) =>
        BatchStore.MaxAttempts * (1 + 2 + 2 * Math.Clamp(revisionRounds, 1, 4) + (verify ? 2 : 0)) + 1;

    public BatchDecision Decide(bool? option, bool cache, long? budgetTokens, IEnumerable<string> roles)
    {
        var errors = new List<string>();
        if (option == false) return new(null, errors, []);
        if (option == true)
        {
            if (!cache) errors.Add("batch answers reach the run through the response cache, so batch needs cache: true.");
            if (budgetTokens is not null) errors.Add("a batch is paid for as a whole and cannot stop at a token budget: drop budgetTokens or batch: true.");
            if (errors.Count > 0) return new(null, errors, []);
        }
        else if (!cache || budgetTokens is not null)
            return new(null, errors, []);

        var chosen = new List<BatchRole>();
        var problems = new List<string>();
        var poll = LlmOptions.MaxBatchPollSeconds;
        foreach (var role in roles.Distinct(StringComparer.Ordinal))
        {
            var (section, options) = sections.ForRole(role);
            var wanted = option ?? options.Batch;
            if (!wanted || (option == true && !options.CanBatch)) continue;
            var blocked = options.BatchProblems(section);
            if (blocked.Count > 0)
            {
                problems.AddRange(blocked);
                continue;
            }
            chosen.Add(new BatchRole(role, section, options.BatchFallback == BatchFallback.Live));
            poll = Math.Min(poll, Math.Max(1, options.BatchPollSeconds));
        }
        return new(chosen.Count == 0 || problems.Count > 0 ? null : new BatchPlan(chosen, poll), errors, problems.Distinct().ToList());
    }
}
