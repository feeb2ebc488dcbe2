using System.ClientModel;

namespace SynthPref.Orchestration.Llm;

public static class LlmErrors
{
    /// <summary>One line a user can act on: the HTTP status and the provider's message when there is one.</summary>
    public static string Describe(Exception e) => e switch
    {
        ClientResultException { Status: > 0 } c => $"HTTP {c.Status} from the LLM endpoint: {FirstLine(c.Message)}",
        AggregateException { InnerExceptions.Count: > 0 } a => Describe(a.InnerExceptions[^1]),
        // A 200 whose body is empty or cut short reaches us as the SDK's parse error, which alone does not say whose fault it is.
        System.Text.Json.JsonException j => $"The LLM endpoint answered with a body that is not a valid chat completion: {FirstLine(j.Message)}",
        _ => FirstLine(e.Message),
    };

    /// <summary>Whether asking again could change the answer: throttling, server errors, timeouts and dropped
    /// connections. A rejected request, a missing recording or unusable configuration will fail the same way.</summary>
    public static bool IsTransient(Exception e) => e switch
    {
        ClientResultException { Status: 408 or 429 or >= 500 } => true,
        ClientResultException { Status: > 0 } => false,
        ReplayMissException => false,
        AggregateException a => a.InnerExceptions.Any(IsTransient),
        HttpRequestException or TimeoutException or IOException or TaskCanceledException => true,
        _ => false,
    };

    static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 500 ? line : line[..500] + "…";
    }
}
