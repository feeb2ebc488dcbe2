using System.Reflection;
using System.Text.RegularExpressions;
using SynthPref.Orchestration.Workflow;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.Unit;

/// <summary>
/// Data flows one way: the stages (Input, Generation, Judging, ..., Storage) never depend on the workflow that drives
/// them, the use cases or the HTTP contract, so each stage can be changed and tested on its own.
/// </summary>
public sealed partial class DependencyDirectionTests
{
    static readonly string[] Stages =
        ["Input", "Generation", "Judging", "Revision", "Pairs", "Batch", "Audit", "Sampling", "Reviews", "Agreement", "Reporting", "Llm", "Storage"];

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
}
