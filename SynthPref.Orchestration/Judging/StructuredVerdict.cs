using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Judging;

/// <summary>
/// The JSON schema a structured-output judge request asks for: <c>{preference: "A"|"B"|"TIE", confidence:
/// "high"|"medium"|"low", reasoning: string}</c>, sent as OpenAI's <c>response_format</c> of type json_schema.
/// </summary>
public static class StructuredVerdict
{
    public const string SchemaName = "judge_verdict";

    static readonly JsonElement Schema = JsonDocument.Parse("""
        {
          "type": "object",
          "properties": {
            "preference": { "type": "string", "enum": ["A", "B", "TIE"] },
            "confidence": { "type": "string", "enum": ["high", "medium", "low"] },
            "reasoning": { "type": "string" }
          },
          "required": ["preference", "confidence", "reasoning"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    public static ChatResponseFormat Format { get; } =
        ChatResponseFormat.ForJsonSchema(Schema, SchemaName, "Which response is better, how sure the judge is, and why.");

    /// <summary>
    /// Whether a failed call was the endpoint refusing <c>response_format</c> itself (a model or server without JSON
    /// schema support), as OpenAI, Azure OpenAI, vLLM and Ollama word it, rather than any other bad request. Only
    /// that makes the judge fall back to the text template; anything else stays the failure it is.
    /// </summary>
    public static bool IsRejection(Exception e) => e switch
    {
        ClientResultException { Status: 400 or 415 or 422 } c => MentionsResponseFormat(c.Message),
        AggregateException a => a.InnerExceptions.Any(IsRejection),
        _ => false,
    };

    static bool MentionsResponseFormat(string message) =>
        message.Contains("response_format", StringComparison.OrdinalIgnoreCase)
        || message.Contains("json_schema", StringComparison.OrdinalIgnoreCase)
        || message.Contains("structured output", StringComparison.OrdinalIgnoreCase);
}
