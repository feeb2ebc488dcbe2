using Microsoft.DurableTask;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Records an item whose activity failed after its durable retries, beside the failed item steps.</summary>
public sealed class RecordItemFailureActivity(FailureStore failures, InputStore input) : TaskActivity<RecordFailureRequest, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RecordFailureRequest request)
    {
        string inputId;
        try
        {
            inputId = (await input.ReadItemAsync(request.RunId, request.Index, critiqueRevise: true, CancellationToken.None)).Id;
        }
        catch (Exception)
        {
            inputId = ""; // the failure may well be that the item cannot be read; it is recorded by index all the same
        }
        await failures.RecordAsync(request.RunId,
            new ItemFailure(request.Index, inputId, ItemSteps.Item, request.Error, DateTimeOffset.UtcNow), CancellationToken.None);
        return true;
    }
}
