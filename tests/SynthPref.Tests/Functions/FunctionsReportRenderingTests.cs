using System.Reflection;
using System.Runtime.Loader;
using SynthPref.Orchestration.Reporting;
using SynthPref.Tests.Infrastructure;
using SynthPref.Tests.Unit;

namespace SynthPref.Tests.Functions;

/// <summary>
/// report.html is drawn inside the activity, so each host's own build output must carry what the charts need: ScottPlot,
/// SkiaSharp and HarfBuzzSharp and their native libraries for linux-x64. The Functions worker cannot be run here without
/// Core Tools, so its output is loaded as the worker would load it (its deps.json, through an AssemblyDependencyResolver)
/// into a context of its own, and renders a report there.
/// </summary>
public sealed class FunctionsReportRenderingTests
{
    static string Output(string project)
    {
        var configuration = typeof(FunctionsReportRenderingTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        return Path.Combine(RepoPaths.Root, project, "bin", configuration, "net10.0");
    }

    [Theory]
    [InlineData("SynthPref.Functions")]
    [InlineData("SynthPref.Local")]
    public void Each_host_ships_the_chart_libraries_with_their_linux_x64_native_assets(string project)
    {
        var output = Output(project);
        foreach (var file in new[] { "ScottPlot.dll", "SkiaSharp.dll", "HarfBuzzSharp.dll",
                     "runtimes/linux-x64/native/libSkiaSharp.so", "runtimes/linux-x64/native/libHarfBuzzSharp.so" })
            Assert.True(File.Exists(Path.Combine(output, file)), $"{project} has no {file}");
        var resolver = new AssemblyDependencyResolver(Path.Combine(output, project + ".dll"));
        var native = resolver.ResolveUnmanagedDllToPath("libSkiaSharp");
        Assert.NotNull(native);
        Assert.StartsWith(output, native);
    }

    [Fact]
    public void The_functions_output_renders_a_report_with_its_charts()
    {
        var output = Output("SynthPref.Functions");
        var context = new HostOutputContext(Path.Combine(output, "SynthPref.Functions.dll"));
        try
        {
            var orchestration = context.LoadFromAssemblyName(new AssemblyName("SynthPref.Orchestration"));
            Assert.StartsWith(output, orchestration.Location);
            var reportType = orchestration.GetType("SynthPref.Orchestration.Reporting.RunReport", throwOnError: true)!;
            var jsonType = orchestration.GetType("SynthPref.Orchestration.Reporting.ReportJson", throwOnError: true)!;
            var options = (System.Text.Json.JsonSerializerOptions)jsonType.GetProperty("Options")!.GetValue(null)!;
            var report = System.Text.Json.JsonSerializer.Deserialize(ReportJson.Serialize(ReportFactory.Build()), reportType, options);
            var html = (string)orchestration.GetType("SynthPref.Orchestration.Reporting.HtmlReport", throwOnError: true)!
                .GetMethod("Render")!.Invoke(null, [report])!;

            Assert.Contains("data-chart=\"length-preference\"", html);
            Assert.Contains("<text", html);
            var skia = Assert.Single(context.Assemblies, a => a.GetName().Name == "SkiaSharp");
            Assert.StartsWith(output, skia.Location);
            Assert.Contains(context.Native, path => path.StartsWith(output, StringComparison.Ordinal) && path.EndsWith("libSkiaSharp.so", StringComparison.Ordinal));
        }
        finally
        {
            context.Unload();
        }
    }

    /// <summary>Loads what the host's deps.json lists from its output folder; the shared framework from the process.</summary>
    sealed class HostOutputContext(string mainAssembly) : AssemblyLoadContext(isCollectible: true)
    {
        readonly AssemblyDependencyResolver resolver = new(mainAssembly);
        public List<string> Native { get; } = [];

        protected override Assembly? Load(AssemblyName name) =>
            resolver.ResolveAssemblyToPath(name) is { } path ? LoadFromAssemblyPath(path) : null;

        protected override IntPtr LoadUnmanagedDll(string name)
        {
            if (resolver.ResolveUnmanagedDllToPath(name) is not { } path) return IntPtr.Zero;
            Native.Add(path);
            return LoadUnmanagedDllFromPath(path);
        }
    }
}
