namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Where LLM calls report to OpenTelemetry: Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> publishes the
/// GenAI semantic conventions (<c>gen_ai.client.token.usage</c>, <c>gen_ai.client.operation.duration</c> and one
/// span per call) under this name, as both an ActivitySource and a Meter. Hosts subscribe to it when an exporter
/// is configured; with none, nothing listens and the instruments cost next to nothing.
/// </summary>
public static class LlmTelemetry
{
    public const string SourceName = "SynthPref.Llm";
}
