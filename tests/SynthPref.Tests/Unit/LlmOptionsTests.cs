using SynthPref.Orchestration.Judging;
using SynthPref.Orchestration.Llm;

namespace SynthPref.Tests.Unit;

public sealed class LlmOptionsTests
{
    [Fact]
    public void Default_options_are_invalid_until_a_replay_file_is_named()
    {
        var errors = new LlmOptions().Validate();
        Assert.Equal(["Llm:ReplayFile is required when Llm:Provider is Replay"], errors);
    }

    [Fact]
    public void Missing_replay_file_is_named()
    {
        var errors = new LlmOptions { ReplayFile = "/nonexistent/replay.jsonl" }.Validate();
        Assert.Equal(["Llm:ReplayFile '/nonexistent/replay.jsonl' does not exist"], errors);
    }

    [Fact]
    public void A_relative_replay_file_is_taken_from_the_current_directory_and_named_by_its_full_path_when_missing()
    {
        var full = Path.Combine(Environment.CurrentDirectory, "no-such-folder", "replay.jsonl");
        var options = new LlmOptions { ReplayFile = "no-such-folder/replay.jsonl" };
        Assert.Equal(full, options.ReplayPath());
        Assert.Equal([$"Llm:ReplayFile 'no-such-folder/replay.jsonl' does not exist: looked for {full} (a relative path is taken from the current directory)"],
            options.Validate());
    }

    [Fact]
    public void Existing_replay_file_is_valid()
    {
        var path = Path.GetTempFileName();
        try
        {
            Assert.Empty(new LlmOptions { ReplayFile = path }.Validate());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(LlmProvider.OpenAICompatible)]
    [InlineData(LlmProvider.AzureOpenAI)]
    public void Endpoint_is_required_for_network_providers(LlmProvider provider)
    {
        var errors = new LlmOptions { Provider = provider }.Validate();
        Assert.Equal([$"Llm:Endpoint is required when Llm:Provider is {provider}"], errors);
    }

    [Theory]
    [InlineData("127.0.0.1:9000/v1")]
    [InlineData("/v1")]
    [InlineData("ftp://example.test/v1")]
    public void Endpoint_must_be_an_absolute_http_url(string endpoint)
    {
        var errors = new LlmOptions { Provider = LlmProvider.OpenAICompatible, Endpoint = endpoint }.Validate();
        Assert.Equal([$"Llm:Endpoint '{endpoint}' must be an absolute http or https URL"], errors);
    }

    [Fact]
    public void All_problems_are_reported_together()
    {
        var errors = new LlmOptions
        {
            Provider = LlmProvider.OpenAICompatible,
            Model = " ",
            MaxConcurrency = 0,
            TimeoutSeconds = 0,
        }.Validate();

        Assert.Equal(
            [
                "Llm:MaxConcurrency must be at least 1 (was 0)",
                "Llm:TimeoutSeconds must be at least 1 (was 0)",
                "Llm:Endpoint is required when Llm:Provider is OpenAICompatible",
                "Llm:Model is required when Llm:Provider is OpenAICompatible",
            ],
            errors);
    }

    [Fact]
    public void Valid_openai_compatible_options_pass()
    {
        Assert.Empty(new LlmOptions { Provider = LlmProvider.OpenAICompatible, Endpoint = "http://127.0.0.1:9000/v1" }.Validate());
    }

    [Fact]
    public void Factory_refuses_invalid_options_with_every_error()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ChatClientFactory.Create(
            new LlmOptions { Provider = LlmProvider.OpenAICompatible, MaxConcurrency = 0 },
            JudgePrompt.TryExtract));

        Assert.Contains("Llm:Endpoint is required when Llm:Provider is OpenAICompatible", ex.Message);
        Assert.Contains("Llm:MaxConcurrency must be at least 1", ex.Message);
    }
}
