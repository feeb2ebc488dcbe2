using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SynthPref.Bench;

/// <summary>
/// A child process whose stdout and stderr go straight to a log file (through `sh -c 'exec …'`, so the pid is the
/// program's own and nothing in this process copies its output). Every child is registered, and all are killed
/// on dispose, on Ctrl-C and at process exit.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    static readonly List<ChildProcess> Live = [];

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    readonly Process process;

    ChildProcess(string name, Process process, string logPath)
    {
        Name = name;
        this.process = process;
        LogPath = logPath;
    }

    public string Name { get; }
    public string LogPath { get; }
    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;

    public static ChildProcess Start(string name, string program, IEnumerable<string> arguments, string logPath,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        if (logPath.Contains('\''))
            throw new ArgumentException($"Log path must not contain a quote: {logPath}", nameof(logPath));
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"exec \"$@\" >'{logPath}' 2>&1");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        var child = new ChildProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"Could not start {name}"), logPath);
        lock (Live) Live.Add(child);
        return child;
    }

    /// <summary>Peak resident set (VmHWM) in KiB, from /proc.</summary>
    public long PeakRssKib() => ReadStatusKib("VmHWM");

    public long ReadStatusKib(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{Id}/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0]);
        throw new InvalidOperationException($"/proc/{Id}/status has no {field}");
    }

    /// <summary>User + system CPU time so far, from /proc/pid/stat (clock ticks of 1/100 s).</summary>
    public TimeSpan CpuTime()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Id}/stat");
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11]) + long.Parse(fields[12]);
            return TimeSpan.FromSeconds(ticks / 100.0);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Lines written to the log so far (Azurite writes one access-log line per request).</summary>
    public long LogLines()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[1 << 16];
        long lines = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
        return lines;
    }

    /// <summary>The log's lines from <paramref name="first"/> (0-based) on.</summary>
    public IEnumerable<string> LogLinesFrom(long first)
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        long index = 0;
        while (reader.ReadLine() is { } line)
        {
            if (index++ >= first)
                yield return line;
        }
    }

    public string LogTail(int lines = 40)
    {
        try
        {
            using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    public void Kill()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        lock (Live) Live.Remove(this);
        process.Dispose();
    }

    static void KillAll()
    {
        ChildProcess[] children;
        lock (Live) children = [.. Live];
        foreach (var child in children)
            child.Kill();
    }
}

public static class Ports
{
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task WaitOpenAsync(int port, ChildProcess owner, TimeSpan timeout, CancellationToken ct)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            if (owner.HasExited)
                throw new BenchException($"{owner.Name} exited with {owner.ExitCode} before opening port {port}:\n{owner.LogTail()}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, ct);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < until)
            {
                await Task.Delay(100, ct);
            }
            catch (SocketException e)
            {
                throw new BenchException($"{owner.Name} did not open port {port} within {timeout.TotalSeconds:0} s: {e.Message}\n{owner.LogTail()}");
            }
        }
    }
}

/// <summary>A failure with a message meant for the person running the benchmark.</summary>
public sealed class BenchException(string message) : Exception(message);
