using System.Net;
using Microsoft.AspNetCore.Http;
using SynthPref.Orchestration.Api;

namespace SynthPref.Local.Extensions;

public static class KestrelEndpointExtensions
{
    public const string DefaultUrls = "http://127.0.0.1:7071";

    /// <summary>
    /// Kestrel ignores --urls once any endpoint is configured in code, and the gRPC endpoint must be, so the API
    /// endpoints from --urls / ASPNETCORE_URLS (else ASPNETCORE_HTTP_PORTS, as ASP.NET Core reads them) are bound here,
    /// and those settings are then cleared, so Kestrel has no addresses of its own to override and says nothing about
    /// it. Without any of them, only loopback is used. Whatever else Kestrel binds (Kestrel:Endpoints) is checked once it
    /// has bound, by <see cref="ListenerGuard"/>.
    /// </summary>
    public static WebApplicationBuilder ListenOnApiUrls(this WebApplicationBuilder builder, int grpcPort)
    {
        var endpoints = ApiUrls(builder.Configuration).Select(Parse).ToList();
        // ";" rather than "": an empty urls makes the web host fall back to the --urls it captured at start-up, and ";"
        // is a list of no addresses. Empty ports are then never consulted.
        builder.WebHost.UseSetting(WebHostDefaults.ServerUrlsKey, ";");
        builder.WebHost.UseSetting(WebHostDefaults.HttpPortsKey, "");
        builder.WebHost.UseSetting(WebHostDefaults.HttpsPortsKey, "");
        // The early, clearer half of the loopback rule; ListenerGuard checks what was really bound.
        if (string.IsNullOrEmpty(builder.Configuration["Api:Key"]) && endpoints.FirstOrDefault(e => !IsLoopback(e.Host)) is { Host: not null } open)
            throw new InvalidOperationException(Refusal($"{open.Host}:{open.Port}"));
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

    /// <summary>The API's URLs, from the settings ASP.NET Core reads them from and in its order: urls (--urls,
    /// ASPNETCORE_URLS), else http_ports / https_ports (ASPNETCORE_HTTP_PORTS, as container images set it), else
    /// <see cref="DefaultUrls"/>.</summary>
    public static IReadOnlyList<string> ApiUrls(IConfiguration configuration)
    {
        var urls = configuration[WebHostDefaults.ServerUrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
            urls = string.Join(';', Ports(configuration[WebHostDefaults.HttpPortsKey], "http").Concat(Ports(configuration[WebHostDefaults.HttpsPortsKey], "https")));
        if (string.IsNullOrWhiteSpace(urls)) urls = DefaultUrls;
        return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        static IEnumerable<string> Ports(string? ports, string scheme) =>
            (ports ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}");
    }

    /// <summary>Why the host will not listen on <paramref name="address"/> without a key; the same words whether the
    /// address came from a setting or from what Kestrel bound.</summary>
    public static string Refusal(string address) =>
        $"Refusing to listen on {address}: it is not a loopback address, and without an API key anyone who can reach it " +
        $"could start runs and read every run's outputs. Set Api:Key (clients send it in the {ApiOptions.KeyHeader} header, as for " +
        "Azure Functions), or listen on 127.0.0.1.";

    /// <summary>Loopback only when it surely is: a name other than localhost, or a wildcard, may reach any interface.</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

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
