using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SynthPref.Local.Extensions;

namespace SynthPref.Tests.Unit;

/// <summary>The local host's --urls parsing and whose X-Forwarded-* headers it believes, through ASP.NET Core's own
/// forwarded-headers middleware.</summary>
public sealed class LocalHostSettingsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:7071", "127.0.0.1", 7071)]
    [InlineData("http://localhost:5000/", "localhost", 5000)]
    [InlineData("http://[::1]:8080", "[::1]", 8080)]
    [InlineData("http://*:80", "*", 80)]
    public void Urls_are_parsed_by_host_and_port(string url, string host, int port)
    {
        var address = KestrelEndpointExtensions.Parse(url);
        Assert.Equal(host, address.Host);
        Assert.Equal(port, address.Port);
    }

    [Theory]
    [InlineData("https://127.0.0.1:7071", "plain http only")]
    [InlineData("http://127.0.0.1", "explicit port")]
    [InlineData("127.0.0.1:7071", "not a URL Kestrel can bind")]
    public void Urls_this_host_cannot_serve_are_refused_saying_why(string url, string reason)
    {
        var error = Assert.Throws<InvalidOperationException>(() => KestrelEndpointExtensions.Parse(url));
        Assert.Contains(reason, error.Message);
        Assert.Contains(url, error.Message);
    }

    [Theory]
    // No setting: loopback only, ASP.NET Core's default.
    [InlineData(null, null, "127.0.0.1", true)]
    [InlineData(null, null, "10.1.2.3", false)]
    // A configured proxy replaces loopback.
    [InlineData("10.1.2.3", null, "10.1.2.3", true)]
    [InlineData("10.1.2.3", null, "127.0.0.1", false)]
    [InlineData(null, "10.0.0.0/8", "10.9.9.9", true)]
    [InlineData(null, "10.0.0.0/8", "192.168.1.1", false)]
    public async Task Forwarded_headers_are_believed_only_from_known_proxies(string? proxy, string? network, string from, bool believed)
    {
        var settings = new Dictionary<string, string?>();
        if (proxy is not null) settings["ForwardedHeaders:KnownProxies:0"] = proxy;
        if (network is not null) settings["ForwardedHeaders:KnownNetworks:0"] = network;
        var options = new ForwardedHeadersOptions();
        ForwardedHeadersSetup.Configure(options,
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(ForwardedHeadersSetup.SectionName));

        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(from);
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("127.0.0.1:7071");
        context.Request.Headers["X-Forwarded-Proto"] = "https";
        context.Request.Headers["X-Forwarded-Host"] = "synthpref.example.com";
        context.Request.Headers["X-Forwarded-For"] = "203.0.113.7";
        await new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance, Options.Create(options)).Invoke(context);

        Assert.Equal(believed ? "https" : "http", context.Request.Scheme);
        Assert.Equal(believed ? "synthpref.example.com" : "127.0.0.1:7071", context.Request.Host.Value);
    }

    [Fact]
    public void A_proxy_that_is_not_an_address_is_refused_naming_the_setting()
    {
        var section = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "proxy.internal" })
            .Build().GetSection(ForwardedHeadersSetup.SectionName);
        var error = Assert.Throws<InvalidOperationException>(() => ForwardedHeadersSetup.Configure(new ForwardedHeadersOptions(), section));
        Assert.Contains("ForwardedHeaders:KnownProxies", error.Message);
    }
}
