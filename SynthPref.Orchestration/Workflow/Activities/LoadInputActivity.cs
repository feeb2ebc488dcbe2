using Azure;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SynthPref.Orchestration.Input;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Validates the whole input before any LLM call and writes the run's manifest. Its progress goes to a row
/// the status read joins, since an activity cannot set its orchestration's status. A refused input fails the activity
/// with <see cref="InputRejectedException"/>, whose line errors travel as failure properties.</summary>
public sealed class LoadInputActivity(InputLoader loader, LoadProgressStore progress, IOptions<InputOptions> limits,
    ILogger<LoadInputActivity> logger)
    : TaskActivity<LoadInputRequest, LoadedInput>
{
    public override async Task<LoadedInput> RunAsync(TaskActivityContext context, LoadInputRequest request)
    {
        var loaded = await loader.LoadAsync(request.RunId, request.InputBlob, request.InputName, request.CritiqueRevise,
            limits.Value, p => ReportAsync(request.RunId, p), CancellationToken.None);
        logger.LogInformation("Run {RunId}: {Count} items loaded from {Input}", request.RunId, loaded.Items, request.InputBlob);
        return loaded;
    }

    async Task ReportAsync(string runId, InputLoadProgress value)
    {
        try
        {
            await progress.WriteAsync(runId, value, CancellationToken.None);
        }
        catch (RequestFailedException e)
        {
            // Progress is for people watching; loading goes on without it.
            logger.LogWarning("Run {RunId}: loading progress not recorded: {Error}", runId, e.Message);
        }
    }
}
