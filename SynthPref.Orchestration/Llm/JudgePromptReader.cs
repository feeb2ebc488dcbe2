namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Recovers the exact query and the two response texts, in presentation order, from a judge user message.
/// A delegate rather than a direct call so the replay provider does not depend on how the judge prompt is worded.
/// </summary>
public delegate bool JudgePromptReader(string userMessage, out string query, out string responseA, out string responseB);
