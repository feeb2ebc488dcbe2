using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace SynthPref.Orchestration.Reporting;

/// <summary>The one serializer configuration for report.json, so every writer and reader agrees on its shape.</summary>
public static class ReportJson
{
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static string Serialize(RunReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return JsonSerializer.Serialize(report, Options);
    }

    static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            // Left null on purpose: dictionary keys are category names and must survive verbatim.
            DictionaryKeyPolicy = null,
            // Consumers look fields up by name; a missing key is harder to handle than an explicit null.
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            WriteIndented = true,
            // The file is served as application/json, never inlined into HTML, so readable text wins.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        // Options-level converters take precedence over the PascalCase converters declared on the enums.
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase));
        // Shared and static: freeze it so no caller can change the format for everyone else.
        options.MakeReadOnly();
        return options;
    }
}
