using System.Globalization;
using System.Text.Json;
using Azure;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using SynthPref.Orchestration.Input;

namespace SynthPref.Orchestration.Workflow;

/// <summary>
/// What a failed task's failure details carry besides its message, as durabletask-dotnet's ExceptionPropertiesSample
/// does it: the storage status of a storage failure (so the retry policy need not read it out of the message) and the
/// line errors of a refused input (so the run reports them as data). Both hosts register it (<c>AddSynthPrefCore</c>):
/// the local host's gRPC worker and the Functions worker each take it from the container.
/// Values are numbers and strings only: every backend keeps those as they are, while a list inside a property comes
/// back from the Azure Storage history as something else. The line errors are therefore one JSON string.
/// </summary>
public sealed class FailureProperties : IExceptionPropertiesProvider
{
    public const string StorageStatus = "storageStatus";
    public const string StorageErrorCode = "storageErrorCode";
    public const string Input = "input";
    public const string InputProblem = "inputProblem";
    public const string InputErrors = "inputErrors";
    public const string InputTotalErrors = "inputTotalErrors";
    public const string InputInvalidLines = "inputInvalidLines";

    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public IDictionary<string, object?>? GetExceptionProperties(Exception exception) => exception switch
    {
        RequestFailedException e => new Dictionary<string, object?>
        {
            [StorageStatus] = e.Status,
            [StorageErrorCode] = e.ErrorCode,
        },
        InputRejectedException { Rejection: var r } => new Dictionary<string, object?>
        {
            [Input] = r.Input,
            [InputProblem] = r.Problem,
            [InputErrors] = JsonSerializer.Serialize(r.Errors, Json),
            [InputTotalErrors] = r.TotalErrors,
            [InputInvalidLines] = r.InvalidLines,
        },
        _ => null,
    };

    /// <summary>The HTTP status storage answered a failed task with; null when it was not a storage answer, or when the
    /// failure was recorded without properties.</summary>
    public static int? StorageStatusOf(TaskFailureDetails failure) => Number(failure, StorageStatus);

    /// <summary>Why the loading step refused the run's input; null unless that is how it failed and the failure kept its
    /// properties.</summary>
    public static InputRejection? InputRejectionOf(TaskFailureDetails failure)
    {
        if (!failure.IsCausedBy<InputRejectedException>() || Text(failure, Input) is not { } input) return null;
        var errors = Text(failure, InputErrors) is { } json ? JsonSerializer.Deserialize<List<InputError>>(json, Json) ?? [] : [];
        return new InputRejection(input, errors, Number(failure, InputTotalErrors) ?? errors.Count, Number(failure, InputInvalidLines) ?? 0,
            Text(failure, InputProblem));
    }

    static object? Value(TaskFailureDetails failure, string key) =>
        failure.Properties is { } properties && properties.TryGetValue(key, out var value) ? value : null;

    static string? Text(TaskFailureDetails failure, string key) => Value(failure, key) as string;

    // A number comes back as an int, a long or a double, depending on which serializer the backend put it through.
    static int? Number(TaskFailureDetails failure, string key) => Value(failure, key) switch
    {
        int n => n,
        long n => (int)n,
        double n => (int)n,
        string text when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };
}
