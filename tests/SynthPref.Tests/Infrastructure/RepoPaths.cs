namespace SynthPref.Tests.Infrastructure;

public static class RepoPaths
{
    /// <summary>The folder holding SynthPref.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SynthPref.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No SynthPref.sln above {AppContext.BaseDirectory}.");
    }
}
