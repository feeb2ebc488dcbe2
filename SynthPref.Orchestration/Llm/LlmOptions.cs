namespace SynthPref.Orchestration.Llm;

public enum LlmProvider { AzureOpenAI, OpenAICompatible, Replay }

/// <summary>What happens to a request the provider's Batch API did not answer, after one retry as a new batch: it is
/// sent live (at live prices), or its step fails.</summary>
public enum BatchFallback { Live, Fail }

/// <summary>Bound from the "Llm" configuration section.</summary>
public sealed class LlmOptions
{
    public const string SectionName = "Llm";

    /// <summary>Replay by default: it is the only provider that works offline with no credentials.</summary>
    public LlmProvider Provider { get; set; } = LlmProvider.Replay;
    public string? Endpoint { get; set; }
    public string? Model { get; set; } = "gpt-4o-mini";
    public string? ApiKey { get; set; }
    /// <summary>A path; a relative one is taken from the current directory, as every .NET host takes its content root
    /// (<see cref="ReplayPath"/>).</summary>
    public string? ReplayFile { get; set; }
    public int MaxConcurrency { get; set; } = 8;
    /// <summary>One attempt at a call.</summary>
    public int TimeoutSeconds { get; set; } = 60;
    /// <summary>Transient failures retried by the SDK pipeline (see <see cref="LlmRetryPolicy"/>). Nine jittered back-offs
    /// (ceilings of 1, 1, 2, 4, 8, 16, 16, 16 and 16 s, each wait at least half its ceiling) add up to at least 40 s, so a
    /// call rides out a 30-second outage however its jitter falls, and to at most 80 s, inside the call budget.</summary>
    public int MaxRetries { get; set; } = 9;
    /// <summary>One call's wall time, retries and back-off included (see <see cref="CallBudgetChatClient"/>).</summary>
    public int CallBudgetSeconds { get; set; } = 90;

    /// <summary>Send this section's requests through the provider's Batch API (half price, answered within 24 hours)
    /// instead of call by call. AzureOpenAI and OpenAICompatible only; a run's <c>batch</c> option overrides it.</summary>
    public bool Batch { get; set; }
    /// <summary>AzureOpenAI: the global-batch deployment that answers this section's batches (a batch deployment is a
    /// deployment of its own, with its own quota).</summary>
    public string? BatchDeployment { get; set; }
    /// <summary>Requests per batch input file; a file is also cut at <see cref="BatchFileMaxBytes"/>.</summary>
    public int BatchMaxRequests { get; set; } = DefaultBatchMaxRequests;
    /// <summary>The first wait before a run asks for its batches' status; each wait after doubles, up to
    /// <see cref="MaxBatchPollSeconds"/>.</summary>
    public int BatchPollSeconds { get; set; } = 60;
    public BatchFallback BatchFallback { get; set; } = BatchFallback.Live;

    /// <summary>OpenAI's limits on one batch input file (Azure OpenAI allows more requests, the same size).</summary>
    public const int DefaultBatchMaxRequests = 50_000;
    public const long BatchFileMaxBytes = 200L * 1024 * 1024;
    public const int MaxBatchPollSeconds = 600;

    /// <summary>Whether this provider has a Batch API SynthPref can use.</summary>
    public bool CanBatch => Provider is LlmProvider.AzureOpenAI or LlmProvider.OpenAICompatible;

    /// <summary>What stops this section from batching when a run asks it to, each problem naming its key; empty when it can.</summary>
    public IReadOnlyList<string> BatchProblems(string section = SectionName)
    {
        var errors = new List<string>();
        if (!CanBatch)
            errors.Add($"{section}:Batch needs a provider with a Batch API (AzureOpenAI or OpenAICompatible), not {Provider}");
        else if (Provider == LlmProvider.AzureOpenAI && string.IsNullOrWhiteSpace(BatchDeployment))
            errors.Add($"{section}:BatchDeployment is required to batch on AzureOpenAI: name a global-batch deployment");
        return errors;
    }

    /// <summary>
    /// The name recorded on judge pairs for the self-preference audit: the configured model (the deployment name on
    /// Azure), or "replay" for the replay judge when no model is configured.
    /// </summary>
    public string? JudgeModelName() =>
        !string.IsNullOrWhiteSpace(Model) ? Model.Trim()
        : Provider == LlmProvider.Replay ? "replay"
        : null;

    /// <summary>
    /// <see cref="ReplayFile"/> as a full path. Relative paths are the user's, so they resolve from the directory the host
    /// was started in, never from the binaries' folder (the local host reads its appsettings.json from there).
    /// </summary>
    public string? ReplayPath() => string.IsNullOrWhiteSpace(ReplayFile) ? null : Path.GetFullPath(ReplayFile.Trim());

    /// <summary>Every problem at once, so a misconfigured deployment is fixed in one pass rather than one error per restart.</summary>
    /// <param name="section">The configuration section these options came from, named in each message.</param>
    public IReadOnlyList<string> Validate(string section = SectionName)
    {
        var errors = new List<string>();
        var p = section;

        if (!Enum.IsDefined(Provider))
            errors.Add($"{p}:Provider '{Provider}' is not one of {string.Join(", ", Enum.GetNames<LlmProvider>())}");

        if (MaxConcurrency < 1)
            errors.Add($"{p}:MaxConcurrency must be at least 1 (was {MaxConcurrency})");
        if (TimeoutSeconds < 1)
            errors.Add($"{p}:TimeoutSeconds must be at least 1 (was {TimeoutSeconds})");
        if (MaxRetries < 0)
            errors.Add($"{p}:MaxRetries must be zero or more (was {MaxRetries})");
        if (CallBudgetSeconds < 1)
            errors.Add($"{p}:CallBudgetSeconds must be at least 1 (was {CallBudgetSeconds})");
        if (BatchMaxRequests < 1)
            errors.Add($"{p}:BatchMaxRequests must be at least 1 (was {BatchMaxRequests})");
        if (BatchPollSeconds is < 1 or > MaxBatchPollSeconds)
            errors.Add($"{p}:BatchPollSeconds must be 1 to {MaxBatchPollSeconds} (was {BatchPollSeconds})");
        if (!Enum.IsDefined(BatchFallback))
            errors.Add($"{p}:BatchFallback '{BatchFallback}' is not one of {string.Join(", ", Enum.GetNames<BatchFallback>())}");
        // Configured on, it must work: a run would otherwise find out only when its first batch is due.
        if (Batch && Enum.IsDefined(Provider))
            errors.AddRange(BatchProblems(section));

        switch (Provider)
        {
            case LlmProvider.AzureOpenAI or LlmProvider.OpenAICompatible:
                if (string.IsNullOrWhiteSpace(Endpoint))
                    errors.Add($"{p}:Endpoint is required when {p}:Provider is {Provider}");
                else if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                    errors.Add($"{p}:Endpoint '{Endpoint}' must be an absolute http or https URL");
                if (string.IsNullOrWhiteSpace(Model))
                    errors.Add($"{p}:Model is required when {p}:Provider is {Provider}");
                break;
            case LlmProvider.Replay:
                if (string.IsNullOrWhiteSpace(ReplayFile))
                    errors.Add($"{p}:ReplayFile is required when {p}:Provider is Replay");
                else if (ReplayPath() is var path && !File.Exists(path))
                    errors.Add(path == ReplayFile!.Trim()
                        ? $"{p}:ReplayFile '{ReplayFile}' does not exist"
                        : $"{p}:ReplayFile '{ReplayFile}' does not exist: looked for {path} (a relative path is taken from the current directory)");
                break;
        }

        return errors;
    }
}
