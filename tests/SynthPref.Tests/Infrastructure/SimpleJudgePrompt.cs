namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// A minimal judge prompt format for tests that must not depend on the production prompt wording.
/// Sections are delimited by lines no response text in the tests contains.
/// </summary>
public static class SimpleJudgePrompt
{
    private const string QueryHeader = "### QUERY\n";
    private const string AHeader = "\n### RESPONSE A\n";
    private const string BHeader = "\n### RESPONSE B\n";
    private const string End = "\n### END";

    public static string Build(string query, string responseA, string responseB) =>
        QueryHeader + query + AHeader + responseA + BHeader + responseB + End;

    public static bool TryRead(string userMessage, out string query, out string responseA, out string responseB)
    {
        query = responseA = responseB = "";
        if (!userMessage.StartsWith(QueryHeader, StringComparison.Ordinal) || !userMessage.EndsWith(End, StringComparison.Ordinal))
            return false;

        var a = userMessage.IndexOf(AHeader, QueryHeader.Length, StringComparison.Ordinal);
        if (a < 0)
            return false;
        var b = userMessage.IndexOf(BHeader, a + AHeader.Length, StringComparison.Ordinal);
        if (b < 0)
            return false;

        query = userMessage[QueryHeader.Length..a];
        responseA = userMessage[(a + AHeader.Length)..b];
        responseB = userMessage[(b + BHeader.Length)..^End.Length];
        return true;
    }
}
