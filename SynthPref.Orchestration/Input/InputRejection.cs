using System.Globalization;
using System.Text;

namespace SynthPref.Orchestration.Input;

/// <summary>
/// Why an input was refused, the same for inline items and for a blob: each bad line's problems (the first ones kept),
/// how many there were in all and on how many lines; or, with <see cref="Problem"/>, what is wrong with the input as a
/// whole (it is missing, empty or too large). Input is what the user calls it: "items", or the blob.
/// </summary>
public sealed record InputRejection(string Input, IReadOnlyList<InputError> Errors, int TotalErrors, int InvalidLines, string? Problem = null)
{
    public static InputRejection Whole(string input, string problem) => new(input, [], 0, 0, problem);

    /// <summary>"Input 'x' has N invalid line(s):" and each kept error on a line of its own, "... and N more" for the rest;
    /// or the problem with the whole input.</summary>
    public string Message
    {
        get
        {
            if (Problem is not null) return Problem;
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"Input '{Input}' has {InvalidLines} invalid line(s):\n");
            foreach (var error in Errors)
                text.Append(error.ToString()).Append('\n');
            if (TotalErrors > Errors.Count)
                text.Append(CultureInfo.InvariantCulture, $"... and {TotalErrors - Errors.Count} more\n");
            return text.ToString().TrimEnd('\n');
        }
    }
}

/// <summary>The input of a run was refused; <see cref="Rejection"/> says why, line by line. Thrown by the loading step,
/// so its failure carries the rejection as failure properties to the orchestration (see Workflow's FailureProperties).</summary>
public sealed class InputRejectedException(InputRejection rejection) : Exception(rejection.Message)
{
    public InputRejection Rejection { get; } = rejection;
}
