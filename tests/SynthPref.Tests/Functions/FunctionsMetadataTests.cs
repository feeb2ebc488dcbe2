using System.Reflection;
using System.Text.Json;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The build's functions.metadata is what the Functions host actually indexes. It must list the same HTTP
/// functions the attributes declare and the blob trigger, and no orchestrator or activity functions (the
/// Durable extension adds those at start-up).
/// </summary>
public sealed class FunctionsMetadataTests
{
    static string MetadataPath()
    {
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        return Path.Combine(RepoPaths.Root, "SynthPref.Functions", "bin", configuration, "net10.0", "functions.metadata");
    }

    static JsonElement[] Functions()
    {
        var path = MetadataPath();
        Assert.True(File.Exists(path), $"{path} does not exist; build SynthPref.Functions in the same configuration first.");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    static IEnumerable<JsonElement> Bindings(JsonElement function, string type) =>
        function.GetProperty("bindings").EnumerateArray()
            .Where(b => string.Equals(b.GetProperty("type").GetString(), type, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void Metadata_lists_the_same_http_functions_as_the_attributes()
    {
        var fromMetadata = Functions()
            .SelectMany(f => Bindings(f, "httpTrigger").SelectMany(b => b.GetProperty("methods").EnumerateArray().Select(m =>
                new FunctionsRouteParityTests.Route(m.GetString()!.ToUpperInvariant(),
                    FunctionsRouteParityTests.Normalize("/api/" + b.GetProperty("route").GetString())))))
            .OrderBy(r => r.ToString())
            .ToList();
        var fromAttributes = FunctionsRouteParityTests.FunctionsHttpRoutes().Select(f => f.Route).OrderBy(r => r.ToString()).ToList();
        var local = FunctionsRouteParityTests.LocalHostRoutes().OrderBy(r => r.ToString()).ToList();

        Assert.Equal(fromAttributes, fromMetadata);
        Assert.Equal(local, fromMetadata);
    }

    [Fact]
    public void Metadata_lists_the_blob_trigger_on_the_input_container()
    {
        var blob = Assert.Single(Functions().SelectMany(f => Bindings(f, "blobTrigger")));
        Assert.Equal("synthpref-input/{name}", blob.GetProperty("path").GetString());
        Assert.Equal("AzureWebJobsStorage", blob.GetProperty("connection").GetString());
        Assert.Equal("EventGrid", blob.GetProperty("source").GetString());
    }

    [Fact]
    public void Metadata_has_no_orchestrator_or_activity_functions()
    {
        var durableTriggers = Functions()
            .Where(f => Bindings(f, "orchestrationTrigger").Any() || Bindings(f, "activityTrigger").Any())
            .Select(f => f.GetProperty("name").GetString())
            .ToList();
        Assert.Empty(durableTriggers);
    }
}
