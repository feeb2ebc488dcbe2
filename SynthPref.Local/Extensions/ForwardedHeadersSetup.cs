using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace SynthPref.Local.Extensions;

/// <summary>
/// Links in API answers (statusUri, reviewUri) point where the caller came from. Behind a proxy the request's own
/// scheme and host are the proxy's, so X-Forwarded-* are honoured, but only from proxies this host was told to
/// trust (section "ForwardedHeaders": KnownProxies, KnownNetworks, ForwardLimit); without them, only from loopback,
/// ASP.NET Core's default. The Functions worker does the same for the Functions host in front of it.
/// </summary>
public static class ForwardedHeadersSetup
{
    public const string SectionName = "ForwardedHeaders";

    public static WebApplicationBuilder AddForwardedHeaders(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(SectionName);
        builder.Services.Configure<ForwardedHeadersOptions>(options => Configure(options, section));
        return builder;
    }

    public static void Configure(ForwardedHeadersOptions options, IConfiguration section)
    {
        options.ForwardedHeaders = ForwardedHeaders.All;
        var proxies = section.GetSection("KnownProxies").Get<string[]>() ?? [];
        var networks = section.GetSection("KnownNetworks").Get<string[]>() ?? [];
        if (proxies.Length + networks.Length > 0)
        {
            // Configured proxies replace the loopback default: a host behind a known ingress trusts that one alone.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies)
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address) ? address
                    : throw new InvalidOperationException($"{SectionName}:KnownProxies: '{proxy}' is not an IP address."));
            foreach (var network in networks)
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed) ? parsed
                    : throw new InvalidOperationException($"{SectionName}:KnownNetworks: '{network}' is not a CIDR range such as 10.0.0.0/8."));
        }
        if (section.GetValue<int?>("ForwardLimit") is { } limit)
            options.ForwardLimit = limit;
    }
}
