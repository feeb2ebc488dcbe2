using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace SynthPref.Tests.Infrastructure;

/// <summary>The built <c>synthpref</c> CLI run as a child process, as a user or a script runs it: its arguments, its
/// environment, its standard output and error, and its exit code. Other commands can be run the same way.</summary>
public sealed class CliProcess : IAsyncDisposable
{
    readonly Process process;
    readonly StringBuilder stdout = new(), stderr = new();
    readonly List<string> lines = [], errorLines = [];
    readonly SemaphoreSlim lineArrived = new(0);

    CliProcess(Process process) => this.process = process;

    public string Stdout { get { lock (stdout) return stdout.ToString(); } }
    public string Stderr { get { lock (stderr) return stderr.ToString(); } }

    /// <summary>The environment a CLI run gets: the host's URL, and nothing of the test process's own storage or key
    /// settings unless a test gives them.</summary>
    public static CliProcess Start(Uri? url, IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath());
        foreach (var arg in args) start.ArgumentList.Add(arg);
        foreach (var variable in new[] { "AzureWebJobsStorage", "SYNTHPREF_URL", "SYNTHPREF_KEY" })
            start.Environment.Remove(variable);
        if (url is not null) start.Environment["SYNTHPREF_URL"] = url.ToString();
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
            start.Environment[key] = value;
        return Launch(start);
    }

    /// <summary>Any command, its output read line by line as it comes (the sandboxed README commands run through this).</summary>
    public static CliProcess Launch(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var cli = new CliProcess(Process.Start(start)!);
        cli.process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli.stdout)
            {
                cli.stdout.AppendLine(e.Data);
                cli.lines.Add(e.Data);
            }
            cli.lineArrived.Release();
        };
        cli.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli.stdout)
            {
                lock (cli.stderr) cli.stderr.AppendLine(e.Data);
                cli.errorLines.Add(e.Data);
            }
            cli.lineArrived.Release();
        };
        cli.process.BeginOutputReadLine();
        cli.process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Runs the CLI to its end.</summary>
    public static async Task<CliResult> RunAsync(Uri? url, params string[] args) => await RunAsync(url, args, null);

    public static async Task<CliResult> RunAsync(Uri? url, IEnumerable<string> args, IDictionary<string, string?>? environment,
        string? workingDirectory = null)
    {
        await using var cli = Start(url, args, environment, workingDirectory);
        return await cli.ExitAsync();
    }

    /// <summary>The first line of standard output starting with <paramref name="prefix"/>, as soon as it is written.</summary>
    public Task<string> WaitForLineAsync(string prefix, TimeSpan? timeout = null) => WaitForAsync(lines, prefix, timeout);

    /// <summary>The same for standard error, where progress goes.</summary>
    public Task<string> WaitForErrorLineAsync(string prefix, TimeSpan? timeout = null) => WaitForAsync(errorLines, prefix, timeout);

    async Task<string> WaitForAsync(List<string> lines, string prefix, TimeSpan? timeout)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        var seen = 0;
        while (true)
        {
            lock (stdout)
            {
                for (; seen < lines.Count; seen++)
                    if (lines[seen].StartsWith(prefix, StringComparison.Ordinal)) return lines[seen];
            }
            if (process.HasExited && lineArrived.CurrentCount == 0)
            {
                process.WaitForExit();
                lock (stdout) if (seen >= lines.Count)
                    throw new InvalidOperationException($"synthpref exited ({process.ExitCode}) without a line starting '{prefix}'.\n{Stdout}\n{Stderr}");
            }
            try
            {
                await lineArrived.WaitAsync(TimeSpan.FromMilliseconds(500), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"synthpref wrote no line starting '{prefix}'.\n{Stdout}\n{Stderr}");
            }
        }
    }

    /// <param name="untilOutputEnds">False for a command that leaves a process running in the background (a shell
    /// line ending in <c>&amp;</c>), which keeps the output open after the command itself has exited.</param>
    public async Task<CliResult> ExitAsync(TimeSpan? timeout = null, bool untilOutputEnds = true)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            if (untilOutputEnds)
                await process.WaitForExitAsync(cts.Token);
            else
                while (!process.HasExited) await Task.Delay(100, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The command did not exit.\n{Stdout}\n{Stderr}");
        }
        if (untilOutputEnds) process.WaitForExit(); // drains the redirected output
        return new CliResult(process.ExitCode, Stdout, Stderr);
    }

    public bool HasExited => process.HasExited;

    public ValueTask DisposeAsync()
    {
        if (disposed) return ValueTask.CompletedTask;
        disposed = true;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        process.Dispose();
        return ValueTask.CompletedTask;
    }

    bool disposed;

    public static string DllPath()
    {
        var configuration = typeof(CliProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var dll = Path.Combine(RepoPaths.Root, "tools", "SynthPref.Cli", "bin", configuration, "net10.0", "synthpref.dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build the solution first.");
        return dll;
    }
}

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
