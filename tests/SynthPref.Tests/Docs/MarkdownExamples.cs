using System.Text.RegularExpressions;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Docs;

/// <summary>A fenced code block of the README or docs/, with the marker comment before it:
/// <c>&lt;!-- check: NAME --&gt;</c> (a test runs it as written) or <c>&lt;!-- no-check: REASON --&gt;</c>.</summary>
public sealed record ExampleBlock(string File, int Line, string Language, string Text, string? Check, string? NoCheckReason)
{
    public bool IsShell => Language is "bash" or "sh" or "shell" or "console" or "zsh";
    public string Where => $"{File}:{Line}";
}

public static partial class MarkdownExamples
{
    /// <summary>The README and every page under docs/, as paths relative to the repository.</summary>
    public static IReadOnlyList<string> Files { get; } =
        new[] { "README.md" }.Concat(Directory.GetFiles(Path.Combine(RepoPaths.Root, "docs"), "*.md")
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f)).Order(StringComparer.Ordinal)).ToList();

    public static IReadOnlyList<ExampleBlock> All { get; } = Files.SelectMany(Parse).ToList();

    /// <summary>The text of the block marked <c>check: name</c>, exactly as the Markdown shows it (less the list indentation).</summary>
    public static string Checked(string name) =>
        All.SingleOrDefault(b => b.Check == name)?.Text ?? throw new InvalidOperationException($"No block is marked 'check: {name}'.");

    public static IEnumerable<ExampleBlock> Parse(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, file));
        for (var i = 0; i < lines.Length; i++)
        {
            var open = Fence().Match(lines[i]);
            if (!open.Success) continue;
            var indent = open.Groups["indent"].Length;
            var body = new List<string>();
            var end = i + 1;
            for (; end < lines.Length && lines[end].Trim() != "```"; end++)
                body.Add(lines[end].Length >= indent && lines[end][..indent].Trim().Length == 0 ? lines[end][indent..] : lines[end].TrimStart());
            if (end == lines.Length) throw new InvalidOperationException($"{file}:{i + 1}: a code fence is never closed.");

            var before = i - 1;
            while (before >= 0 && lines[before].Trim().Length == 0) before--;
            var marker = before >= 0 ? Marker().Match(lines[before]) : Match.Empty;
            yield return new ExampleBlock(file, i + 1, open.Groups["lang"].Value, string.Join('\n', body) + "\n",
                marker.Success && marker.Groups["kind"].Value == "check" ? marker.Groups["value"].Value : null,
                marker.Success && marker.Groups["kind"].Value == "no-check" ? marker.Groups["value"].Value : null);
            i = end;
        }
    }

    /// <summary>Relative links <c>[text](target)</c>, with the line they are on.</summary>
    public static IEnumerable<(string File, int Line, string Target)> Links(string file)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, file));
        var inFence = false;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal)) inFence = !inFence;
            if (inFence) continue;
            foreach (Match link in Link().Matches(lines[i]))
                if (!link.Groups["target"].Value.Contains("://", StringComparison.Ordinal))
                    yield return (file, i + 1, link.Groups["target"].Value);
        }
    }

    /// <summary>The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    public static IReadOnlySet<string> Anchors(string file)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inFence = false;
        foreach (var line in File.ReadAllLines(Path.Combine(RepoPaths.Root, file)))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) inFence = !inFence;
            if (inFence || !line.StartsWith('#')) continue;
            var heading = line.TrimStart('#').Trim().ToLowerInvariant();
            anchors.Add(string.Concat(heading.Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')).Replace(' ', '-'));
        }
        return anchors;
    }

    [GeneratedRegex(@"^(?<indent> *)```(?<lang>[A-Za-z0-9_-]*)\s*$")]
    private static partial Regex Fence();

    [GeneratedRegex(@"^\s*<!--\s*(?<kind>check|no-check):\s*(?<value>.+?)\s*-->\s*$")]
    private static partial Regex Marker();

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();
}
