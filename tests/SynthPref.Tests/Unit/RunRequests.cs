using System.Text.Json;
using SynthPref.Orchestration.Outcomes;
using SynthPref.Orchestration.Runs;
using SynthPref.Orchestration.Settings;

namespace SynthPref.Tests.Unit;

/// <summary>A run's options record as a start builds it: from the options object of POST /api/runs (written here as an
/// anonymous object, serialized as a client sends it) or from a blob's metadata.</summary>
public static class RunRequests
{
    public static readonly JudgingLimits Limits = new(0, 8, 8, 500);

    public static RunSettings FromJson(object options, List<FieldError> errors) =>
        RunOptionsParser.FromJson(JsonSerializer.SerializeToElement(options), "run-x", Limits, errors);

    public static RunSettings FromMetadata(Dictionary<string, string> metadata, List<FieldError> errors) =>
        RunOptionsParser.FromMetadata(metadata, "run-x", Limits, errors);
}
