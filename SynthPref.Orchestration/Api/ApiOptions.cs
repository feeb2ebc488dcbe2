namespace SynthPref.Orchestration.Api;

/// <summary>Section "Api": what the HTTP surface accepts, on both hosts.</summary>
public sealed class ApiOptions
{
    public const string SectionName = "Api";

    /// <summary>The largest request body any route reads. Larger bodies are answered 413 before they are read.</summary>
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>
    /// The key management routes ask for in the <c>x-functions-key</c> header, the header Azure Functions takes its
    /// function keys in, so one client works with both hosts. The local host reads it; under Functions the host's own
    /// function keys do this job. Without it the local host binds only to loopback addresses.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Review routes carry a label or nothing at all; 16 KB is generous for that.</summary>
    public const int MaxReviewBodyBytes = 16 * 1024;

    public const string KeyHeader = "x-functions-key";
}
