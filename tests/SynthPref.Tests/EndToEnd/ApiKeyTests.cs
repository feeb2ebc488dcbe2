using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>The local host is open only on loopback unless it has an API key (with one, every management route asks
/// for it: <see cref="ApiKeyScenarios"/>, on both hosts).</summary>
[Collection(PipelineCollection.Name)]
public sealed class ApiKeyTests(PipelineFixture fixture)
{
    const string Key = "local-test-key-0123456789";

    /// <summary>Every way Kestrel can be told where to listen: the early check refuses the settings it reads, and
    /// what Kestrel bound is checked once it has started (Kestrel:Endpoints reaches it by another road).</summary>
    public static TheoryData<string> WaysToListen => new()
    {
        "--urls", "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "Kestrel:Endpoints", "IPv6 any-address in --urls", "IPv6 any-address in Kestrel:Endpoints",
    };

    [Theory]
    [MemberData(nameof(WaysToListen))]
    public async Task Without_a_key_no_way_of_listening_leaves_a_listener_beyond_loopback(string way)
    {
        // Port: where the host is asked to listen (its loopback address is the only one the start-up polls);
        // open: a second, non-loopback endpoint where a way adds one beside a loopback --urls.
        var port = FreePort.Next();
        var open = FreePort.Next();
        var (environment, arguments, refused, boundCheck) = way switch
        {
            "--urls" => (new Dictionary<string, string>(), new[] { "--urls", $"http://0.0.0.0:{port}" }, port, false),
            "ASPNETCORE_URLS" => (new() { ["ASPNETCORE_URLS"] = $"http://0.0.0.0:{port}" }, [], port, false),
            "ASPNETCORE_HTTP_PORTS" => (new() { ["ASPNETCORE_HTTP_PORTS"] = port.ToString() }, [], port, false),
            "Kestrel:Endpoints" => (new() { ["Kestrel__Endpoints__Pub__Url"] = $"http://0.0.0.0:{open}" }, ["--urls", $"http://127.0.0.1:{port}"], open, true),
            "IPv6 any-address in --urls" => (new(), ["--urls", $"http://[::]:{port}"], port, false),
            "IPv6 any-address in Kestrel:Endpoints" => (new() { ["Kestrel__Endpoints__V6__Url"] = $"http://[::]:{open}" }, ["--urls", $"http://127.0.0.1:{port}"], open, true),
            _ => throw new ArgumentOutOfRangeException(nameof(way)),
        };
        environment["BlobTrigger__Enabled"] = "false";
        await using var host = new LocalHostProcess(fixture.StorageConnectionString, fixture.Llm.BaseUrl, "open" + Guid.NewGuid().ToString("N")[..6],
            environment, port)
        {
            Arguments = arguments,
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);
        Assert.Contains("SynthPref.Local exited with", error.Message);
        Assert.NotEqual(0, host.ExitCode);
        Assert.Contains($"Refusing to listen on ", host.Log);
        Assert.Contains($":{refused}: it is not a loopback address", host.Log);
        Assert.Contains("Set Api:Key", host.Log);
        if (boundCheck)
        {
            // Refused from what Kestrel bound, every address named.
            Assert.Contains("Kestrel bound: ", host.Log);
            Assert.Contains($"http://127.0.0.1:{port} (API)", host.Log);
            Assert.Contains($":{open} (API)", host.Log);
        }
        // Nothing is left listening on the refused port.
        Assert.Empty(SocketTable.ListeningOn(refused));
    }

    [Fact]
    public async Task Without_a_key_loopback_endpoints_from_every_source_are_served_and_the_host_listens_on_nothing_else()
    {
        var port = FreePort.Next();
        var extra = FreePort.Next();
        var grpc = FreePort.Next();
        await using var host = new LocalHostProcess(fixture.StorageConnectionString, fixture.Llm.BaseUrl, "loop" + Guid.NewGuid().ToString("N")[..6],
            new Dictionary<string, string>
            {
                ["Kestrel__Endpoints__Extra__Url"] = $"http://127.0.0.1:{extra}",
                ["DurableTask__GrpcPort"] = grpc.ToString(),
                ["BlobTrigger__Enabled"] = "false",
            }, port);
        await host.StartAsync();

        // The kernel's view of the host's own sockets: the API on both endpoints and the durable worker's gRPC, all loopback.
        var listening = SocketTable.Listening(host.ProcessId!.Value);
        Assert.Equal(new[] { port, extra, grpc }.Order(), listening.Select(l => l.Port).Order());
        Assert.All(listening, l => Assert.True(IPAddress.IsLoopback(l.Address), $"{l} is not loopback"));
        using var viaExtra = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{extra}") };
        Assert.Equal(HttpStatusCode.OK, (await viaExtra.GetAsync("/api/health")).StatusCode);

        // One start-up line names every port and what it is for, and Kestrel has no address of its own to override.
        Assert.Contains($"Listening on http://127.0.0.1:{port} (API), http://127.0.0.1:{grpc} (the durable worker's gRPC, in-process), " +
            $"http://127.0.0.1:{extra} (API); no Api:Key, so loopback only.", host.Log);
        Assert.DoesNotContain("Overriding", host.Log);
    }
}
