using System.Net;

namespace SynthPref.Local.Extensions;

public static class KestrelEndpointExtensions
{
    public const string DefaultUrls = "http://127.0.0.1:7071";

    /// <summary>
    /// Kestrel ignores --urls once any endpoint is configured in code, and the gRPC endpoint must be, so the
    /// API endpoints from --urls / ASPNETCORE_URLS are bound here too. Without either, only loopback is used.
    /// </summary>
    public static WebApplicationBuilder ListenOnApiUrls(this WebApplicationBuilder builder, int grpcPort)
    {
        var urls = builder.Configuration["urls"] is { Length: > 0 } configured ? configured : DefaultUrls;
        var endpoints = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Parse).ToList();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var (host, port) in endpoints)
            {
                if (host is "localhost") kestrel.ListenLocalhost(port);
                else if (host is "*" or "+" or "0.0.0.0" or "[::]") kestrel.ListenAnyIP(port);
                else kestrel.Listen(IPAddress.Parse(host.Trim('[', ']')), port);
            }
            kestrel.ListenForGrpc(grpcPort);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        return builder;
    }

    static (string Host, int Port) Parse(string url)
    {
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0 || !url[..scheme].Equals("http", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"URL '{url}': the local host serves plain http only (put TLS in front of it).");
        var rest = url[(scheme + 3)..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(rest[(colon + 1)..], out var port))
            throw new InvalidOperationException($"URL '{url}' needs an explicit port, such as http://127.0.0.1:7071.");
        return (rest[..colon], port);
    }
}
