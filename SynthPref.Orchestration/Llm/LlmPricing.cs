using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace SynthPref.Orchestration.Llm;

/// <summary>A model's list price in the currency of the configuration (per million tokens), live and by batch.</summary>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion, decimal BatchInputPerMillion, decimal BatchOutputPerMillion)
{
    /// <summary>Batch prices half the live ones, as OpenAI and Azure OpenAI charge.</summary>
    public ModelPrice(decimal inputPerMillion, decimal outputPerMillion) : this(inputPerMillion, outputPerMillion, inputPerMillion / 2, outputPerMillion / 2)
    {
    }

    /// <summary>Exact in decimal, so a report's total is the sum of its rows to the last digit.</summary>
    public decimal Cost(long inputTokens, long outputTokens) =>
        (inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m;

    /// <summary>A role's tokens: those of batch answers at batch prices, the rest at live prices.</summary>
    public decimal Cost(LlmUsage usage) =>
        Cost(usage.InputTokens - usage.BatchInputTokens, usage.OutputTokens - usage.BatchOutputTokens)
        + (usage.BatchInputTokens * BatchInputPerMillion + usage.BatchOutputTokens * BatchOutputPerMillion) / 1_000_000m;
}

/// <summary>
/// Section <c>Pricing:&lt;model&gt;</c> with <c>InputPerMillion</c> and <c>OutputPerMillion</c>, and optionally
/// <c>BatchInputPerMillion</c> and <c>BatchOutputPerMillion</c> (half the live prices when absent). Models are matched
/// without regard to case, as configuration keys are. A model name with a colon (Ollama's "llama3.1:8b") cannot be a
/// configuration key; price it under its name with the colon replaced by a dash, or by its family name.
/// </summary>
public sealed class LlmPricing(IConfiguration configuration)
{
    public const string SectionName = "Pricing";

    public bool Any => configuration.GetSection(SectionName).GetChildren().Any();

    /// <summary>The price of a model, or null when it has none (or an unreadable one; see <see cref="Problems"/>).</summary>
    public ModelPrice? For(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        foreach (var candidate in new[] { model, model.Replace(':', '-') })
        {
            var entry = configuration.GetSection(SectionName).GetChildren()
                .FirstOrDefault(c => string.Equals(c.Key, candidate, StringComparison.OrdinalIgnoreCase));
            if (entry is not null)
                return Read(entry, out _);
        }
        return null;
    }

    /// <summary>Prices that cannot be read, named by key, so a typo is reported instead of silently costing nothing.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var entry in configuration.GetSection(SectionName).GetChildren())
            if (Read(entry, out var problem) is null)
                problems.Add(problem!);
        return problems;
    }

    static ModelPrice? Read(IConfigurationSection entry, out string? problem)
    {
        problem = null;
        decimal? Value(string key)
        {
            var text = entry[key];
            if (text is null) return 0m;
            if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) && value >= 0) return value;
            return null;
        }
        var input = Value("InputPerMillion");
        var output = Value("OutputPerMillion");
        if (input is null || output is null)
        {
            problem = $"{SectionName}:{entry.Key}: InputPerMillion and OutputPerMillion must be non-negative numbers " +
                      $"(got '{entry["InputPerMillion"]}' and '{entry["OutputPerMillion"]}')";
            return null;
        }
        var batchInput = entry["BatchInputPerMillion"] is null ? input / 2 : Value("BatchInputPerMillion");
        var batchOutput = entry["BatchOutputPerMillion"] is null ? output / 2 : Value("BatchOutputPerMillion");
        if (batchInput is null || batchOutput is null)
        {
            problem = $"{SectionName}:{entry.Key}: BatchInputPerMillion and BatchOutputPerMillion must be non-negative numbers " +
                      $"(got '{entry["BatchInputPerMillion"]}' and '{entry["BatchOutputPerMillion"]}')";
            return null;
        }
        if (entry["InputPerMillion"] is null && entry["OutputPerMillion"] is null)
        {
            problem = $"{SectionName}:{entry.Key} has neither InputPerMillion nor OutputPerMillion";
            return null;
        }
        return new ModelPrice(input.Value, output.Value, batchInput.Value, batchOutput.Value);
    }
}
