using Microsoft.DurableTask;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>A few consecutive items, input to stored pairs; see <see cref="ItemProcessor"/> for how failures are split.</summary>
public sealed class ProcessItemsActivity(ItemProcessor processor) : TaskActivity<ItemsRequest, ItemsResult>
{
    public override Task<ItemsResult> RunAsync(TaskActivityContext context, ItemsRequest request) =>
        processor.ProcessAsync(request.RunId, request.Start, request.Count, request.Settings, CancellationToken.None);
}
