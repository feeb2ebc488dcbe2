using Microsoft.Extensions.AI;
using SynthPref.Orchestration.Judging;

namespace SynthPref.Tests.Infrastructure;

/// <summary>The production judge prompt's user message, for tests that talk to an LLM client directly.</summary>
public static class JudgeText
{
    public static string Of(string query, string responseA, string responseB) =>
        JudgePrompt.Build(query, responseA, responseB).Single(m => m.Role == ChatRole.User).Text;
}
