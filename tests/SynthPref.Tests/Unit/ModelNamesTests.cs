using SynthPref.Orchestration.Audit;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Tests.Unit;

public class ModelNamesTests
{
    [Theory]
    [InlineData("gpt-4o-mini", "gpt-4o-mini", true)]
    [InlineData("GPT-4o-Mini", "gpt-4o-mini", true)]
    [InlineData("gpt-4o-mini", "gpt-4o-mini-2024-07-18", true)]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini", true)]
    [InlineData("llama3.1", "llama3.1:8b", true)]
    [InlineData(" fake-judge ", "fake-judge", true)]
    [InlineData("gpt-4", "gpt-4o", false)]      // the next character is a letter
    [InlineData("llama3", "llama31", false)]    // or a digit
    [InlineData("gpt-4o-mini", "llama3", false)]
    [InlineData("gpt-4o", "gpt-4o-mini", true)] // known looseness: a family prefix matches its variants
    [InlineData(null, "gpt-4o", false)]
    [InlineData("", "", false)]
    [InlineData("  ", "gpt-4o", false)]
    public void Same_model_rule(string? first, string? second, bool expected) =>
        Assert.Equal(expected, ModelNames.SameModel(first, second));

    [Theory]
    [InlineData(LlmProvider.OpenAICompatible, "llama3.1", "llama3.1")]
    [InlineData(LlmProvider.Replay, "gpt-4o-mini", "gpt-4o-mini")]
    [InlineData(LlmProvider.Replay, null, "replay")]
    [InlineData(LlmProvider.Replay, " ", "replay")]
    [InlineData(LlmProvider.AzureOpenAI, null, null)]
    public void Judge_model_name_comes_from_the_llm_options(LlmProvider provider, string? model, string? expected) =>
        Assert.Equal(expected, new LlmOptions { Provider = provider, Model = model }.JudgeModelName());
}
