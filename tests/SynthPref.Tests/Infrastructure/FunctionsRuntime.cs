using System.Diagnostics;
using System.Reflection;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// The real Azure Functions host from <c>../shared/tools/functions-host</c> (see its README) and SynthPref.Functions
/// published for it, each made once per test run and shared by every fixture that starts a Functions host: xUnit's
/// collection fixtures are per collection, these are per process.
/// </summary>
public static class FunctionsRuntime
{
    static readonly Lazy<Task<string>> Installed = new(InstallAsync);
    static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>Where the host's install and start scripts are: beside the repository, read-only.</summary>
    public static string ToolsDirectory => Path.Combine(RepoPaths.Shared, "tools", "functions-host");

    public static string StartScript => Path.Combine(ToolsDirectory, "start.sh");

    /// <summary>Why the Functions-host tests cannot run here, or null when they can. Only a missing tools folder skips
    /// them: once it is there, anything that goes wrong installing, publishing or starting fails the tests.</summary>
    public static string? Unavailable =>
        File.Exists(Path.Combine(ToolsDirectory, "install.sh")) && File.Exists(StartScript)
            ? null
            : $"The Azure Functions host is not available: {ToolsDirectory} (install.sh, start.sh) is missing. It comes with the " +
              "shared folder beside the repository (../shared), as in CI; without it these tests cannot run SynthPref.Functions " +
              "under the Functions runtime.";

    /// <summary>The installed host's folder (what start.sh takes as FUNCTIONS_HOST_DIR).</summary>
    public static Task<string> HostDirectoryAsync() => Installed.Value;

    /// <summary>The published app's folder.</summary>
    public static Task<string> AppDirectoryAsync() => Published.Value;

    /// <summary>install.sh into a cache folder kept across test runs (it unpacks only when the build there is not this
    /// one). Test runs of several checkouts may start at once, so one installs while the others wait.</summary>
    static async Task<string> InstallAsync()
    {
        var cache = Path.Combine(Path.GetTempPath(), "synthpref-functions-host");
        Directory.CreateDirectory(Path.GetTempPath());
        await using var exclusive = await LockAsync(cache + ".lock", TimeSpan.FromMinutes(5));
        var (code, stdout, stderr) = await RunAsync("bash", [Path.Combine(ToolsDirectory, "install.sh"), cache], RepoPaths.Root, TimeSpan.FromMinutes(5));
        if (code != 0)
            throw new InvalidOperationException($"install.sh exited with {code}:\n{stderr}");
        var host = stdout.Trim().Split('\n').Last().Trim();
        if (!File.Exists(Path.Combine(host, "Microsoft.Azure.WebJobs.Script.WebHost")))
            throw new InvalidOperationException($"install.sh printed '{host}', which holds no Functions host");
        return host;
    }

    /// <summary>
    /// <c>dotnet publish</c> of the build the tests run against (same configuration, not rebuilt: the test project
    /// references SynthPref.Functions, so its build is there and current), into a folder of this test run's own.
    /// </summary>
    static async Task<string> PublishAsync()
    {
        var configuration = typeof(FunctionsRuntime).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        RemoveEarlierRunsApps();
        var output = Path.Combine(Path.GetTempPath(), $"{AppFolderPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var project = Path.Combine(RepoPaths.Root, "SynthPref.Functions", "SynthPref.Functions.csproj");
        var (code, stdout, stderr) = await RunAsync("dotnet",
            ["publish", project, "-c", configuration, "--no-build", "-o", output, "-nologo", "-v", "quiet"], RepoPaths.Root, TimeSpan.FromMinutes(5));
        if (code != 0 || !File.Exists(Path.Combine(output, "worker.config.json")))
            throw new InvalidOperationException($"dotnet publish SynthPref.Functions exited with {code}:\n{stdout}\n{stderr}");
        return output;
    }

    const string AppFolderPrefix = "synthpref-functions-app-";

    /// <summary>The test host process is ended without a chance to clean up, so each run removes the published apps
    /// of runs whose process is gone (the folder names the process).</summary>
    static void RemoveEarlierRunsApps()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), AppFolderPrefix + "*"))
        {
            var pid = Path.GetFileName(folder)[AppFolderPrefix.Length..].Split('-')[0];
            if (!int.TryParse(pid, out var id) || id == Environment.ProcessId || Directory.Exists($"/proc/{id}")) continue;
            try { Directory.Delete(folder, recursive: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    /// <summary>An exclusive lock on a file, across processes (advisory on Linux, which every caller here honours).</summary>
    static async Task<FileStream> LockAsync(string path, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(250);
            }
        }
    }

    internal static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, IEnumerable<string> arguments, string directory,
        TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {timeout}:\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}
