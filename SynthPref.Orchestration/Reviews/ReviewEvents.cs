using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace SynthPref.Orchestration.Reviews;

/// <summary>
/// Every sampled item has its reviewers: raised by the API when the last label needed lands. From orchestration 2.0 the
/// phase counts rounds and the event names the round it completes, so one raised twice, or late, cannot end a round
/// drawn after it: <c>{"Round": 2}</c>. A phase opened by a 1.0 run counts no rounds, and its run is sent what it has
/// always waited for, <c>true</c>: that is this event with no Round. Anything else received is taken as no Round too,
/// so no payload can fail a run.
/// </summary>
[DurableEvent(ReviewsComplete.Name)]
[JsonConverter(typeof(ReviewsCompleteJson))]
public sealed record ReviewsComplete(int? Round)
{
    public const string Name = "ReviewsComplete";
}

/// <summary>Someone closed the review phase; the API has closed it in storage already. Its payload is <c>true</c>, as
/// it has always been, and any payload is read as this event.</summary>
[DurableEvent(ReviewClosed.Name)]
[JsonConverter(typeof(ReviewClosedJson))]
public sealed record ReviewClosed
{
    public const string Name = "ReviewClosed";
}

/// <summary>The review events by type: the methods durabletask's source generator writes for a <see cref="DurableEventAttribute"/>
/// (its package, Microsoft.DurableTask.Generators, is not served here), so each event is named in one place, for the
/// orchestration that waits and the API that raises.</summary>
public static class ReviewEvents
{
    public static Task<ReviewsComplete> WaitForReviewsCompleteAsync(this TaskOrchestrationContext context, CancellationToken ct = default) =>
        context.WaitForExternalEvent<ReviewsComplete>(ReviewsComplete.Name, ct);

    public static Task<ReviewClosed> WaitForReviewClosedAsync(this TaskOrchestrationContext context, CancellationToken ct = default) =>
        context.WaitForExternalEvent<ReviewClosed>(ReviewClosed.Name, ct);

    public static Task RaiseAsync(this DurableTaskClient client, string runId, ReviewsComplete complete, CancellationToken ct = default) =>
        client.RaiseEventAsync(runId, ReviewsComplete.Name, complete, ct);

    public static Task RaiseAsync(this DurableTaskClient client, string runId, ReviewClosed closed, CancellationToken ct = default) =>
        client.RaiseEventAsync(runId, ReviewClosed.Name, closed, ct);
}

sealed class ReviewsCompleteJson : JsonConverter<ReviewsComplete>
{
    public override bool HandleNull => true;

    public override ReviewsComplete Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var payload = JsonDocument.ParseValue(ref reader);
        int? round = payload.RootElement.ValueKind == JsonValueKind.Object
            ? payload.RootElement.EnumerateObject()
                .Where(p => string.Equals(p.Name, nameof(ReviewsComplete.Round), StringComparison.OrdinalIgnoreCase))
                .Select(p => p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var n) ? n : (int?)null)
                .FirstOrDefault()
            : null;
        return new ReviewsComplete(round);
    }

    public override void Write(Utf8JsonWriter writer, ReviewsComplete value, JsonSerializerOptions options)
    {
        if (value?.Round is not { } round)
        {
            writer.WriteBooleanValue(true);
            return;
        }
        writer.WriteStartObject();
        writer.WriteNumber(nameof(ReviewsComplete.Round), round);
        writer.WriteEndObject();
    }
}

sealed class ReviewClosedJson : JsonConverter<ReviewClosed>
{
    public override bool HandleNull => true;

    public override ReviewClosed Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        reader.Skip();
        return new ReviewClosed();
    }

    public override void Write(Utf8JsonWriter writer, ReviewClosed value, JsonSerializerOptions options) => writer.WriteBooleanValue(true);
}
