using Microsoft.Extensions.AI;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// The model that writes both responses for prompt-only items: section "Policy" (same keys as "Llm") when
/// configured, else the judge's own client.
/// </summary>
public sealed class PolicyModel(IChatClient chat, string? name)
{
    public const string SectionName = "Policy";
    public const string Role = "policy";

    public IChatClient Chat => chat;
    public string? Name => name;
}
