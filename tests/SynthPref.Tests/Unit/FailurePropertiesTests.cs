using Azure;
using Microsoft.DurableTask;
using SynthPref.Orchestration.Input;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Unit;

/// <summary>What a failed task carries besides its message, and how the retry policy and the run read it back.</summary>
public sealed class FailurePropertiesTests
{
    static readonly FailureProperties Provider = new();

    static TaskFailureDetails Failure<T>(string message, IDictionary<string, object?>? properties, TaskFailureDetails? inner = null) =>
        new(typeof(T).FullName!, message, null, inner, properties);

    [Fact]
    public void A_storage_failure_carries_its_status_and_error_code()
    {
        var properties = Provider.GetExceptionProperties(new RequestFailedException(404, "The specified blob does not exist.", "BlobNotFound", null));

        Assert.Equal(404, properties![FailureProperties.StorageStatus]);
        Assert.Equal("BlobNotFound", properties[FailureProperties.StorageErrorCode]);
        Assert.Null(Provider.GetExceptionProperties(new InvalidOperationException("a bug")));
    }

    [Theory]
    [InlineData(404, false)]
    [InlineData(403, false)]
    [InlineData(409, false)]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    public void Storage_answers_that_will_not_change_are_not_retried(int status, bool retried)
    {
        // The status as each backend hands it back: an int, a long (Newtonsoft), a double (protobuf).
        foreach (object value in new object[] { status, (long)status, (double)status })
        {
            var failure = Failure<RequestFailedException>("Service request failed.", new Dictionary<string, object?> { [FailureProperties.StorageStatus] = value });
            Assert.Equal(retried, ActivityCalls.IsTransientV2(failure));
        }
        // The SDK's own retries gave up: an AggregateException whose first failure says why.
        var inner = Failure<RequestFailedException>("Service request failed.", new Dictionary<string, object?> { [FailureProperties.StorageStatus] = status });
        Assert.Equal(retried, ActivityCalls.IsTransientV2(Failure<AggregateException>("Retry failed after 6 tries.", null, inner)));
    }

    [Fact]
    public void The_status_is_read_from_the_properties_not_from_the_message()
    {
        // A message that says 404 beside a property that says 503: the property decides.
        var failure = Failure<RequestFailedException>("Service request failed.\nStatus: 404 (Not found)",
            new Dictionary<string, object?> { [FailureProperties.StorageStatus] = 503 });
        Assert.True(ActivityCalls.IsTransientV2(failure));
    }

    [Fact]
    public void A_failure_recorded_before_properties_is_decided_as_it_was_then()
    {
        // A run parked for review replays the failures in its history, written by a build without failure properties:
        // they must come out as they did, or the replay would schedule a retry the history does not have.
        Assert.False(ActivityCalls.IsTransientV2(Failure<RequestFailedException>(
            "Service request failed.\r\nStatus: 404 (The specified blob does not exist.)\r\nErrorCode: BlobNotFound", null)));
        Assert.True(ActivityCalls.IsTransientV2(Failure<RequestFailedException>(
            "Service request failed.\r\nStatus: 503 (Server busy)\r\nErrorCode: ServerBusy", null)));
        Assert.False(ActivityCalls.IsTransientV2(Failure<InvalidOperationException>("Status: 503", null)));
    }

    [Fact]
    public void A_refused_input_carries_its_line_errors_and_reads_back_as_the_same_rejection()
    {
        var rejection = new InputRejection("synthpref-input/x.jsonl",
            [new InputError(2, "prompt", "prompt is required"), new InputError(3, "response_b", "required when critiqueRevise is false: …")],
            TotalErrors: 7, InvalidLines: 5);

        var properties = Provider.GetExceptionProperties(new InputRejectedException(rejection))!;
        // Only numbers and strings, which every backend keeps as they are.
        Assert.All(properties.Values, v => Assert.True(v is null or string or int, $"{v?.GetType()}"));

        var read = FailureProperties.InputRejectionOf(Failure<InputRejectedException>(rejection.Message, properties));
        Assert.NotNull(read);
        Assert.Equal(rejection.Errors, read.Errors);
        Assert.Equal((rejection.Input, rejection.TotalErrors, rejection.InvalidLines, rejection.Problem),
            (read.Input, read.TotalErrors, read.InvalidLines, read.Problem));
        Assert.Equal(rejection.Message, read.Message);

        var whole = InputRejection.Whole("items", "Input 'items' has no items.");
        Assert.Equal(whole.Message, FailureProperties.InputRejectionOf(
            Failure<InputRejectedException>(whole.Message, Provider.GetExceptionProperties(new InputRejectedException(whole))))!.Message);
        // Another failure, or one without properties, is no rejection.
        Assert.Null(FailureProperties.InputRejectionOf(Failure<InvalidOperationException>("x", properties)));
        Assert.Null(FailureProperties.InputRejectionOf(Failure<InputRejectedException>("x", null)));
    }
}
