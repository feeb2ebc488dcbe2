using System.Globalization;
using System.Net;

namespace SynthPref.Tests.Infrastructure;

/// <summary>
/// The kernel's table of listening TCP sockets (/proc/net/tcp and tcp6), so a test can see where a process really
/// listens without sending it a byte. Linux only, as the tests' machine is.
/// </summary>
public static class SocketTable
{
    public sealed record Listener(IPAddress Address, int Port, long Inode)
    {
        public override string ToString() => new IPEndPoint(Address, Port).ToString();
    }

    /// <summary>Every socket in the LISTEN state, optionally only those <paramref name="processId"/> holds open.</summary>
    public static IReadOnlyList<Listener> Listening(int? processId = null)
    {
        var owned = processId is { } pid ? SocketInodes(pid) : null;
        return Read("/proc/net/tcp", ipv6: false).Concat(Read("/proc/net/tcp6", ipv6: true))
            .Where(l => owned is null || owned.Contains(l.Inode)).ToList();
    }

    /// <summary>The sockets on <paramref name="port"/>, whoever holds them.</summary>
    public static IReadOnlyList<Listener> ListeningOn(int port) => Listening().Where(l => l.Port == port).ToList();

    static IEnumerable<Listener> Read(string path, bool ipv6)
    {
        if (!File.Exists(path)) yield break;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 10 || fields[3] != "0A") continue;
            var local = fields[1].Split(':');
            yield return new Listener(ParseAddress(local[0], ipv6), int.Parse(local[1], NumberStyles.HexNumber),
                long.Parse(fields[9], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>The kernel prints each 32-bit word of the address in host (little-endian) order.</summary>
    static IPAddress ParseAddress(string hex, bool ipv6)
    {
        var bytes = new byte[ipv6 ? 16 : 4];
        for (var word = 0; word < bytes.Length / 4; word++)
            for (var b = 0; b < 4; b++)
                bytes[word * 4 + b] = byte.Parse(hex.AsSpan(word * 8 + (3 - b) * 2, 2), NumberStyles.HexNumber);
        return new IPAddress(bytes);
    }

    static HashSet<long> SocketInodes(int pid)
    {
        var inodes = new HashSet<long>();
        var fds = $"/proc/{pid}/fd";
        if (!Directory.Exists(fds)) return inodes;
        foreach (var fd in Directory.EnumerateFileSystemEntries(fds))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    inodes.Add(long.Parse(target["socket:[".Length..^1], CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }
        return inodes;
    }
}
