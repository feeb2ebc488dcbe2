using Microsoft.DurableTask;
using SynthPref.Orchestration.Pairs;

namespace SynthPref.Orchestration.Workflow.Activities;

/// <summary>One item, input to stored pairs; see <see cref="ItemProcessor"/> for how failures are split.</summary>
public sealed class ProcessItemActivity(ItemProcessor processor) : TaskActivity<ItemRequest, ItemResult>
{
    public override Task<ItemResult> RunAsync(TaskActivityContext context, ItemRequest request) =>
        processor.ProcessAsync(request.RunId, request.Index, request.Settings, CancellationToken.None);
}
