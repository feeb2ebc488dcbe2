namespace SynthPref.Cli;

/// <summary>What a script can rely on: each failure has its own code, and every code but 0 comes with one message
/// on standard error starting "synthpref: ". docs/cli.md lists them.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The run failed (status Failed): its error is printed.</summary>
    public const int RunFailed = 1;
    /// <summary>Bad arguments or bad input, found here or refused by the host (400, 413), with every field error it named.</summary>
    public const int BadInput = 2;
    /// <summary>The host could not be reached (or an upload was never started by its blob trigger).</summary>
    public const int Unreachable = 3;
    /// <summary>No run has that id or name (404).</summary>
    public const int NotFound = 4;
    /// <summary>The run is not where the request needs it (409): a report before the run completed, say.</summary>
    public const int NotReady = 5;
    /// <summary>The host refused the key (401, 403): give --key or SYNTHPREF_KEY.</summary>
    public const int Unauthorized = 6;
    /// <summary>The host failed or is not ready (5xx), for example 503 without a usable judge.</summary>
    public const int HostError = 7;
    /// <summary>Interrupted (Ctrl+C); a run being waited for goes on.</summary>
    public const int Interrupted = 130;
}

/// <summary>A failure with its exit code; the message is what the user reads.</summary>
public sealed class CliException(int exitCode, string message, IReadOnlyList<string>? details = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
    public IReadOnlyList<string> Details { get; } = details ?? [];
}
