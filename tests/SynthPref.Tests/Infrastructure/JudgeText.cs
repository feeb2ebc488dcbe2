using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Tests.Infrastructure;

/// <summary>The production judge prompt's user message, for tests that talk to an LLM client directly.</summary>
public static class JudgeText
{
    /// <summary>A fixed key, so a test's prompts are the same on every run.</summary>
    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public static string Of(string query, string responseA, string responseB) =>
        JudgePrompt.Create(query, responseA, responseB, Key).Messages.Single(m => m.Role == ChatRole.User).Text;

    /// <summary>A verdict block as a judge answers the prompt whose user message this is: after its verdict line.</summary>
    public static string Answer(IReadOnlyList<ChatMessage> messages, string verdictBlock) =>
        JudgePrompt.WrapAnswer(messages.Last(m => m.Role == ChatRole.User).Text, verdictBlock);
}
