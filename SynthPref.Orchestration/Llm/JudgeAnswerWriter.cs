namespace SynthPref.Orchestration.Llm;

/// <summary>
/// Puts a recorded verdict block ("PREFERENCE: …\nREASONING: …") into the shape the judge prompt asks for, which
/// depends on that prompt (its verdict line carries the prompt's boundary). A delegate for the same reason as
/// <see cref="JudgePromptReader"/>: the replay provider answers judge prompts without knowing how they are worded.
/// </summary>
public delegate string JudgeAnswerWriter(string userMessage, string verdictBlock);
