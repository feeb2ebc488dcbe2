using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace SynthPref.Orchestration.Input;

public sealed record LoadInputRequest(string RunId, string InputBlob, string InputName, bool CritiqueRevise);

/// <summary>What each item needs; the orchestrator plans its fan-out from this alone.</summary>
public enum ItemWork { GenerateAndJudge, Judge, ReviseOnly }

/// <summary>Either the plan for every item, or the validation errors and no items written.</summary>
public sealed record InputManifest(ItemWork[] Items, string? Error);

/// <summary>Validates the whole input before any LLM call, then splits it into one blob per item.</summary>
public sealed class LoadInputActivity(ItemStore items, ILogger<LoadInputActivity> logger)
    : TaskActivity<LoadInputRequest, InputManifest>
{
    public override async Task<InputManifest> RunAsync(TaskActivityContext context, LoadInputRequest request)
    {
        await using var stream = await items.OpenInputAsync(request.InputBlob, CancellationToken.None);
        if (stream is null)
            return new InputManifest([], $"Input '{request.InputName}' ({request.InputBlob}) does not exist.");

        InputParseResult parsed;
        using (var reader = new StreamReader(stream))
            parsed = InputParser.ParseJsonl(reader);

        var errors = parsed.IsValid ? InputParser.ErrorsForSettings(parsed.Items, request.CritiqueRevise) : parsed.Errors;
        if (errors.Count > 0)
            return new InputManifest([], InputParser.FormatErrors(errors, request.InputName));
        if (parsed.Items.Count == 0)
            return new InputManifest([], $"Input '{request.InputName}' has no items.");

        await Parallel.ForEachAsync(parsed.Items, new ParallelOptions { MaxDegreeOfParallelism = 16 },
            async (item, ct) => await items.SaveItemAsync(request.RunId, item, ct));

        logger.LogInformation("Run {RunId}: {Count} items loaded from {Input}", request.RunId, parsed.Items.Count, request.InputBlob);
        return new InputManifest(parsed.Items.Select(PlanFor).ToArray(), null);
    }

    static ItemWork PlanFor(InputItem item) =>
        item.NeedsGeneration ? ItemWork.GenerateAndJudge
        : item.HasBothResponses ? ItemWork.Judge
        : ItemWork.ReviseOnly;
}
