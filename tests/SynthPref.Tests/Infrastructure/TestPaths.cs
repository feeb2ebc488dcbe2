namespace SynthPref.Tests.Infrastructure;

public static class TestPaths
{
    /// <summary>The folder holding SynthPref.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The shared PandaLM data, which lives beside the repository rather than in it.</summary>
    public static string PandaLmData => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", "pandalm"));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SynthPref.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No folder containing SynthPref.sln above {AppContext.BaseDirectory}");
    }
}
