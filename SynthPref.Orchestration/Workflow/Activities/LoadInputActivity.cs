using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Input;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Validates the whole input before any LLM call and writes the run's manifest.</summary>
public sealed class LoadInputActivity(InputLoader loader, IOptions<InputOptions> limits, ILogger<LoadInputActivity> logger)
    : TaskActivity<LoadInputRequest, LoadedInput>
{
    public override async Task<LoadedInput> RunAsync(TaskActivityContext context, LoadInputRequest request)
    {
        var loaded = await loader.LoadAsync(request.RunId, request.InputBlob, request.InputName, request.CritiqueRevise,
            limits.Value, progress: null, CancellationToken.None);
        if (loaded.Error is null)
            logger.LogInformation("Run {RunId}: {Count} items loaded from {Input}", request.RunId, loaded.Items, request.InputBlob);
        return loaded;
    }
}
