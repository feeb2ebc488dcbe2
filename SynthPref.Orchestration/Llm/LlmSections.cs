using Microsoft.Extensions.Configuration;

namespace SynthPref.Orchestration.Llm;

/// <summary>
/// The roles LLM calls are made and counted under, and the configuration section each reads. Every section has the
/// keys of <see cref="LlmOptions"/>. Judges named in <c>Judges:&lt;name&gt;</c> count as <c>judge:&lt;name&gt;</c>; the
/// reviser (<c>Reviser</c>) and the policy model (<c>Policy</c>) fall back to <c>Llm</c> when their section is absent.
/// </summary>
public static class LlmRoles
{
    public const string Judge = "judge";
    public const string Reviser = "reviser";
    public const string Policy = "policy";

    /// <summary>The judge model writing its own answer to an item it will grade against it (section <c>Llm</c>).</summary>
    public const string Reference = "reference";
    const string JudgePrefix = "judge:";

    public static string ForJudge(string name) => JudgePrefix + name;

    /// <summary>The judge name in a role ("judge:gpt" → "gpt"), or null for other roles and the default judge.</summary>
    public static string? JudgeNameOf(string role) =>
        role.StartsWith(JudgePrefix, StringComparison.Ordinal) ? role[JudgePrefix.Length..] : null;
}

/// <summary>Reads the LLM sections of the host's configuration by role.</summary>
public sealed class LlmSections(IConfiguration configuration)
{
    public const string JudgesSection = "Judges";
    public const string ReviserSection = "Reviser";

    /// <summary>The judges configured under <c>Judges:</c>, as the configuration spells them.</summary>
    public IReadOnlyList<string> JudgeNames =>
        configuration.GetSection(JudgesSection).GetChildren().Select(c => c.Key).OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>A configured judge's own spelling of <paramref name="name"/> (configuration keys ignore case), or null.</summary>
    public string? FindJudge(string name) =>
        JudgeNames.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The section a role's client is built from, and its options.</summary>
    public (string Section, LlmOptions Options) ForRole(string role)
    {
        var section = role switch
        {
            LlmRoles.Reviser when configuration.GetSection(ReviserSection).Exists() => ReviserSection,
            LlmRoles.Policy when configuration.GetSection(PolicyModel.SectionName).Exists() => PolicyModel.SectionName,
            _ when LlmRoles.JudgeNameOf(role) is { } judge => $"{JudgesSection}:{judge}",
            _ => LlmOptions.SectionName,
        };
        return (section, Bind(section));
    }

    /// <summary>The model a role's calls go to, as pricing and the self-preference audit name it.</summary>
    public string? ModelOf(string role) => ForRole(role).Options.JudgeModelName();

    public LlmOptions Bind(string section) => configuration.GetSection(section).Get<LlmOptions>() ?? new LlmOptions();
}
