using System.Net;
using Microsoft.AspNetCore.Http;
using SynthPref.Orchestration.Api;

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
        // Without a key, anyone who can reach a non-loopback address could start runs and read every output.
        if (string.IsNullOrEmpty(builder.Configuration["Api:Key"]) && endpoints.FirstOrDefault(e => !IsLoopback(e.Host)) is { Host: not null } open)
            throw new InvalidOperationException(
                $"Refusing to listen on {open.Host}:{open.Port}: it is not a loopback address, and without an API key anyone who can reach it " +
                $"could start runs and read every run's outputs. Set Api:Key (clients send it in the {ApiOptions.KeyHeader} header, as for " +
                "Azure Functions), or listen on 127.0.0.1.");
        var maxRequestBytes = builder.Configuration.GetValue<long?>("Api:MaxRequestBytes") ?? new ApiOptions().MaxRequestBytes;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var address in endpoints)
            {
                if (address.Host is "localhost") kestrel.ListenLocalhost(address.Port);
                else if (address.Host is "*" or "+" or "0.0.0.0" or "[::]") kestrel.ListenAnyIP(address.Port);
                else kestrel.Listen(IPAddress.Parse(address.Host.Trim('[', ']')), address.Port);
            }
            kestrel.ListenForGrpc(grpcPort);
            // The handlers bound each body themselves (RequestBodies), with a 413 naming the setting; this is the backstop.
            kestrel.Limits.MaxRequestBodySize = maxRequestBytes;
        });
        return builder;
    }

    static bool IsLoopback(string host) =>
        host is "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

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
