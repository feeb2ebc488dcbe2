using System.Diagnostics;
using System.Net.Sockets;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// A network namespace of the test's own (with its own PID namespace), so commands that use fixed ports (Azurite's
/// 10000-10002, the host's 7071) run exactly as a user types them without meeting anything else on this machine.
/// Its only network is its own loopback. Everything started inside dies with it: the PID namespace's first process is
/// killed on dispose, and the kernel then kills the rest. The test reaches a port inside through a Unix socket,
/// which crosses network namespaces.
/// </summary>
public sealed class NetworkSandbox : IAsyncDisposable
{
    readonly Process holder;
    readonly int initPid;
    readonly string sockets = Directory.CreateTempSubdirectory("synthpref-sandbox-").FullName;
    readonly List<CliProcess> started = [];

    NetworkSandbox(Process holder, int initPid)
    {
        this.holder = holder;
        this.initPid = initPid;
    }

    public static async Task<NetworkSandbox> StartAsync()
    {
        // -r maps the caller to root in a user namespace, which lets anyone (root or not) make the other namespaces.
        var start = new ProcessStartInfo("unshare")
        {
            ArgumentList = { "-r", "-n", "-p", "-m", "--fork", "--mount-proc", "--kill-child=SIGKILL", "bash", "-c", "ip link set lo up && echo ready && exec sleep infinity" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process holder;
        try
        {
            holder = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("These tests need util-linux's unshare and nsenter (and iproute2's ip) to run commands in a network namespace.", e);
        }
        var ready = await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (ready != "ready")
            throw new InvalidOperationException($"No network namespace: unshare said {ready} {await holder.StandardError.ReadToEndAsync()}");
        var children = (await File.ReadAllTextAsync($"/proc/{holder.Id}/task/{holder.Id}/children")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new NetworkSandbox(holder, int.Parse(children.Single()));
    }

    /// <summary>Runs <paramref name="script"/> with bash inside the sandbox, in <paramref name="workingDirectory"/>.</summary>
    public CliProcess Run(string script, string workingDirectory, IDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("nsenter")
        {
            ArgumentList = { "-t", initPid.ToString(), "-U", "-n", "-p", "-m", "--preserve-credentials", $"--wd={workingDirectory}", "bash", "-c", script },
        };
        foreach (var (key, value) in environment)
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        var process = CliProcess.Launch(start);
        started.Add(process);
        return process;
    }

    /// <summary>An HTTP client for a port inside the sandbox. Requests keep the address a user would type
    /// (http://127.0.0.1:port), so the links the host makes are the ones the README shows.</summary>
    public async Task<HttpClient> ClientAsync(int port)
    {
        var socket = Path.Combine(sockets, $"{port}.sock");
        const string forward = "const net=require('net');const [sock,port]=process.argv.slice(1);" +
            "net.createServer(c=>{const u=net.connect(+port,'127.0.0.1');c.pipe(u).pipe(c);u.on('error',()=>c.destroy());c.on('error',()=>u.destroy());}).listen(sock);";
        Run($"exec node -e \"{forward}\" '{socket}' {port}", sockets, new Dictionary<string, string?>());
        var until = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(socket))
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"The forwarder to port {port} did not start.");
            await Task.Delay(100);
        }
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await unix.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(unix, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // The PID namespace's init ignores SIGTERM; SIGKILL ends it and, with it, everything started inside.
            using var init = Process.GetProcessById(initPid);
            init.Kill();
        }
        catch (ArgumentException)
        {
        }
        foreach (var process in started) await process.DisposeAsync();
        if (!holder.HasExited) holder.Kill();
        await holder.WaitForExitAsync();
        holder.Dispose();
        Directory.Delete(sockets, recursive: true);
    }
}
