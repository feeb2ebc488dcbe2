namespace SynthPref.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The folder holding SynthPref.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>Shared data lives beside the repository, read-only, not in it.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string PandaLmData => Path.Combine(Shared, "data", "pandalm");

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SynthPref.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No SynthPref.sln above {AppContext.BaseDirectory}.");
    }
}
