using System.Collections.Concurrent;
using SynthPref.FakeLlm;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// Holds the fake judge's answers to requests that mention a marker until the test releases them, so a test can act
/// while a run is certainly still judging (a slow judge, made deterministic). Requests without a held marker are
/// answered at once, so tests sharing the judge are not disturbed.
/// </summary>
public sealed class JudgeGate
{
    readonly ConcurrentDictionary<string, Hold> holds = new(StringComparer.Ordinal);

    public Hold HoldAnswersFor(string marker) => holds.GetOrAdd(marker, m => new Hold(m, this));

    public async Task WaitAsync(FakeChatRequest request, CancellationToken ct)
    {
        foreach (var hold in holds.Values)
            if (request.Messages.Any(m => m.Text.Contains(hold.Marker, StringComparison.Ordinal)))
            {
                hold.Arrived();
                await hold.Released.WaitAsync(ct);
            }
    }

    public sealed class Hold(string marker, JudgeGate gate)
    {
        readonly TaskCompletionSource first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Marker => marker;
        internal Task Released => released.Task;
        internal void Arrived() => first.TrySetResult();

        /// <summary>Completes once a request with the marker is being held: the run is judging and cannot move on.</summary>
        public Task WaitUntilHoldingAsync(TimeSpan timeout) => first.Task.WaitAsync(timeout);

        public void Release()
        {
            gate.holds.TryRemove(marker, out _);
            released.TrySetResult();
        }
    }
}
