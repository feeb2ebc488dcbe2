using System.Net;
using Microsoft.AspNetCore.Http;

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
            foreach (var address in endpoints)
            {
                if (address.Host is "localhost") kestrel.ListenLocalhost(address.Port);
                else if (address.Host is "*" or "+" or "0.0.0.0" or "[::]") kestrel.ListenAnyIP(address.Port);
                else kestrel.Listen(IPAddress.Parse(address.Host.Trim('[', ']')), address.Port);
            }
            kestrel.ListenForGrpc(grpcPort);
            kestrel.Limits.MaxRequestBodySize = 64 * 1024 * 1024;
        });
        return builder;
    }

    /// <summary>Kestrel's own parser for --urls, with the two limits of this host said plainly.</summary>
    public static BindingAddress Parse(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException e)
        {
            throw new InvalidOperationException($"URL '{url}' is not a URL Kestrel can bind: {e.Message}", e);
        }
        if (!address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"URL '{url}': the local host serves plain http only (put TLS in front of it).");
        if (address.IsUnixPipe || address.IsNamedPipe)
            throw new InvalidOperationException($"URL '{url}': the local host listens on TCP ports only.");
        // BindingAddress reads a missing port as 80; this host wants it said, since 7071 is what everything expects.
        if (!HasExplicitPort(url, address))
            throw new InvalidOperationException($"URL '{url}' needs an explicit port, such as http://127.0.0.1:7071.");
        return address;
    }

    static bool HasExplicitPort(string url, BindingAddress address) =>
        url.TrimEnd('/').EndsWith($":{address.Port}", StringComparison.Ordinal)
        || url.Contains($":{address.Port}/", StringComparison.Ordinal);
}
