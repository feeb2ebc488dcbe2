using Microsoft.DurableTask;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>Records each item of a lane whose activity failed after its durable retries, beside the failed item steps.</summary>
public sealed class RecordItemFailureActivity(FailureStore failures, InputStore input) : TaskActivity<RecordFailureRequest, bool>
{
    public override async Task<bool> RunAsync(TaskActivityContext context, RecordFailureRequest request)
    {
        IReadOnlyList<string> inputIds;
        try
        {
            inputIds = (await input.ReadItemsAsync(request.RunId, request.Start, request.Count, critiqueRevise: true, CancellationToken.None))
                .Select(i => i.Id).ToList();
        }
        catch (Exception)
        {
            // The failure may well be that the items cannot be read; they are recorded by index all the same.
            inputIds = Enumerable.Repeat("", request.Count).ToList();
        }
        for (var i = 0; i < request.Count; i++)
            await failures.RecordAsync(request.RunId,
                new ItemFailure(request.Start + i, inputIds[i], ItemSteps.Item, request.Error, DateTimeOffset.UtcNow), CancellationToken.None);
        return true;
    }
}
