using System.ClientModel;

namespace SynthPref.Orchestration.Llm;

public static class LlmErrors
{
    /// <summary>One line a user can act on: the HTTP status and the provider's message when there is one.</summary>
    public static string Describe(Exception e) => e switch
    {
        ClientResultException { Status: > 0 } c => $"HTTP {c.Status} from the LLM endpoint: {ProviderMessage(c)}",
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

    /// <summary>
    /// What the provider said: the message of an OpenAI-style error body (<c>{"error": {"message", "type", "code"}}</c>,
    /// with its type and code when given), else the body's own first line, else the reason phrase. The SDK's message
    /// alone can say no more than "HTTP 500 (: )" when the error's type and code are not strings.
    /// </summary>
    static string ProviderMessage(ClientResultException c)
    {
        var response = c.GetRawResponse();
        string? body = null;
        try
        {
            body = response?.Content?.ToString();
        }
        catch (InvalidOperationException)
        {
            // A streamed body not buffered: only the reason phrase is left.
        }
        if (!string.IsNullOrWhiteSpace(body))
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && document.RootElement.TryGetProperty("error", out var error))
                {
                    if (error.ValueKind == System.Text.Json.JsonValueKind.String) return FirstLine(error.GetString()!);
                    if (error.ValueKind == System.Text.Json.JsonValueKind.Object)
                    {
                        var message = Field(error, "message");
                        var details = string.Join(", ", new[] { ("type", Field(error, "type")), ("code", Field(error, "code")) }
                            .Where(d => !string.IsNullOrEmpty(d.Item2)).Select(d => $"{d.Item1} {d.Item2}"));
                        if (!string.IsNullOrWhiteSpace(message))
                            return FirstLine(details.Length > 0 ? $"{message} ({details})" : message);
                    }
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // Not JSON: the body's own text says what it says.
            }
            return FirstLine(body);
        }
        return string.IsNullOrWhiteSpace(response?.ReasonPhrase) ? FirstLine(c.Message) : response.ReasonPhrase;
    }

    static string? Field(System.Text.Json.JsonElement error, string name) =>
        error.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            System.Text.Json.JsonValueKind.String => value.GetString(),
            System.Text.Json.JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;

    static string FirstLine(string text)
    {
        var line = text.Split('\n', 2)[0].Trim();
        return line.Length <= 500 ? line : line[..500] + "…";
    }
}
