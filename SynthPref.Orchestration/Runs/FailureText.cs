using System.Text.RegularExpressions;

namespace SynthPref.Orchestration.Runs;

public static partial class FailureText
{
    /// <summary>
    /// A failed run's error as a user should read it. Hosts differ in what they keep: the Functions host prefixes the
    /// exception's type name ("SynthPref.…InvalidInputException: Input …"), the local backend does not. Stripped here,
    /// in one place, so both hosts answer with the same text.
    /// </summary>
    public static string Clean(string message) => TypePrefix().Replace(message, "", 1);

    [GeneratedRegex(@"^(?:[A-Za-z_][A-Za-z0-9_]*\.)+[A-Za-z_][A-Za-z0-9_]*(?:Exception|Error): ")]
    private static partial Regex TypePrefix();
}
