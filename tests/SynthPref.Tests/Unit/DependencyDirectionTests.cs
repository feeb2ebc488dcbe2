using System.Reflection;
using System.Text.RegularExpressions;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

/// <summary>
/// Data flows one way: the stages (Input, Generation, Judging, ..., Storage) and the foundations every stage may use
/// (Statistics, Outcomes, Rendering) never depend on the workflow that drives them, the use cases or the HTTP contract,
/// so each stage can be changed and tested on its own.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    static readonly string[] Stages =
        ["Input", "Generation", "Judging", "Revision", "Pairs", "Batch", "Audit", "Sampling", "Reviews", "Agreement", "Trust", "Reporting", "Llm", "Storage",
            "Statistics", "Outcomes", "Rendering"];

    /// <summary>The stages the trust stage reads from; the report reads it, never the other way.</summary>
    static readonly string[] BeforeTrust = ["Input", "Generation", "Judging", "Revision", "Pairs", "Batch", "Audit", "Sampling", "Reviews", "Agreement"];

    static readonly string[] Above = ["Workflow", "Runs", "Api"];

    [Fact]
    public void No_stage_source_file_names_the_workflow_the_use_cases_or_the_api()
    {
        var offenders = new List<string>();
        foreach (var stage in Stages)
        {
            var folder = Path.Combine(RepoPaths.Root, "SynthPref.Orchestration", stage);
            Assert.True(Directory.Exists(folder), $"{folder} is missing");
            foreach (var file in Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
                foreach (Match m in UpwardReference().Matches(File.ReadAllText(file)))
                    offenders.Add($"{Path.GetRelativePath(RepoPaths.Root, file)}: {m.Value}");
        }
        Assert.Empty(offenders);
    }

    [Fact]
    public void No_stage_type_has_a_member_of_a_workflow_use_case_or_api_type()
    {
        var offenders =
            from type in typeof(RunOrchestrator).Assembly.GetTypes()
            where Stages.Any(s => type.Namespace == $"SynthPref.Orchestration.{s}")
            from used in Signature(type)
            where Above.Any(a => used.Namespace?.StartsWith($"SynthPref.Orchestration.{a}", StringComparison.Ordinal) == true)
            select $"{type.FullName} uses {used.FullName}";
        Assert.Empty(offenders.Distinct());
    }

    [Fact]
    public void Trust_reads_the_stages_before_it_and_is_read_only_by_the_report()
    {
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "SynthPref.Orchestration", "Trust"), "*.cs", SearchOption.AllDirectories))
            if (File.ReadAllText(file).Contains("SynthPref.Orchestration.Reporting", StringComparison.Ordinal))
                offenders.Add($"{Path.GetRelativePath(RepoPaths.Root, file)} names Reporting");
        foreach (var stage in BeforeTrust)
            foreach (var file in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "SynthPref.Orchestration", stage), "*.cs", SearchOption.AllDirectories))
                if (TrustReference().IsMatch(File.ReadAllText(file)))
                    offenders.Add($"{Path.GetRelativePath(RepoPaths.Root, file)} names Trust");
        var types =
            from type in typeof(RunOrchestrator).Assembly.GetTypes()
            from used in Signature(type)
            where (type.Namespace == "SynthPref.Orchestration.Trust" && used.Namespace == "SynthPref.Orchestration.Reporting")
                || (BeforeTrust.Any(s => type.Namespace == $"SynthPref.Orchestration.{s}") && used.Namespace == "SynthPref.Orchestration.Trust")
            select $"{type.FullName} uses {used.FullName}";
        offenders.AddRange(types.Distinct());
        Assert.Empty(offenders);
    }

    static IEnumerable<Type> Signature(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var direct = new List<Type?> { type.BaseType };
        direct.AddRange(type.GetInterfaces());
        direct.AddRange(type.GetFields(all).Select(f => f.FieldType));
        direct.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            if (method is MethodInfo info) direct.Add(info.ReturnType);
            direct.AddRange(method.GetParameters().Select(p => p.ParameterType));
        }
        return direct.OfType<Type>().SelectMany(Unwrap);
    }

    static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType) return Unwrap(type.GetElementType()!);
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap).Prepend(type) : [type];
    }

    [GeneratedRegex(@"SynthPref\.Orchestration\.(Workflow|Runs|Api)\b")]
    private static partial Regex UpwardReference();

    [GeneratedRegex(@"\bTrust\.[A-Z]|SynthPref\.Orchestration\.Trust\b")]
    private static partial Regex TrustReference();
}
