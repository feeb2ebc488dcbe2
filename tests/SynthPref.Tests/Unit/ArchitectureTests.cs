using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using SynthPref.Orchestration.Workflow;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using static ArchUnitNET.Fluent.Slices.SliceRuleDefinition;
using Architecture = ArchUnitNET.Domain.Architecture;

namespace SynthPref.Tests.Unit;

/// <summary>
/// Data flows one way, checked on the compiled core (its IL, read by ArchUnitNET): every reference counts, in a
/// signature or a method body, written in full, through a using or relative to the namespace it is in, in C# or in a
/// Razor component. Each folder is a namespace and sits in one layer; a layer may use the layers below it and never
/// one above. And no two namespaces depend on each other, whichever layers they are in.
/// </summary>
public sealed class ArchitectureTests
{
    const string Core = "SynthPref.Orchestration";
    const string PlantedRoot = "SynthPref.Tests.Unit.Planted";

    /// <summary>Lowest first. The foundations every stage may use: the statistics, what an application call came to, the
    /// Razor renderer, storage, the LLM clients, and the run's one options record (Settings). Then the stages in the order
    /// data flows through them (Generation, Judging and Revision make the pairs, so they come before Pairs, and the
    /// verdicts belong to Judging; Batch answers the stages' LLM requests ahead of judging and only the report reads how
    /// it went). Then the orchestration, the use cases, health, the HTTP contract and the composition that drive them. A
    /// folder's sub-namespaces (Reviews.Page, Reporting.Html, Workflow.Activities) are in its layer.</summary>
    static readonly string[][] Layers =
    [
        ["Statistics"], ["Outcomes"], ["Rendering"], ["Storage"], ["Llm"], ["Settings"],
        ["Input"], ["Generation"], ["Judging"], ["Revision"], ["Pairs"], ["Batch"], ["Audit"], ["Sampling"], ["Reviews"],
        ["Agreement"], ["Trust"], ["Reporting"],
        ["Workflow"], ["Runs"], ["Health"], ["Api"], ["Hosting"],
    ];

    static readonly Lazy<Architecture> CoreArchitecture = new(() =>
        new ArchLoader().LoadAssemblies(typeof(RunOrchestrator).Assembly).Build());

    static readonly Lazy<Architecture> PlantedArchitecture = new(() =>
        new ArchLoader().LoadNamespacesWithinAssembly(typeof(ArchitectureTests).Assembly, PlantedRoot).Build());

    [Fact]
    public void Every_layer_uses_only_the_layers_below_it()
    {
        var failures = Violations(LayerRules(Core, Layers), CoreArchitecture.Value);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void No_namespace_of_the_core_is_in_a_cycle()
    {
        // A folder's own sub-namespace (the review stage and its page's components, the report and its page's) is one
        // unit with it; any other cycle fails.
        var failures = Violations([CycleRule(Core)], CoreArchitecture.Value).Where(c => !WithinOneFolder(c)).ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_namespace_of_the_core_is_in_a_layer()
    {
        // A new folder outside every layer would be outside the rule too.
        var layered = Layers.SelectMany(l => l).Select(n => $"{Core}.{n}").ToList();
        var outside = CoreArchitecture.Value.Types
            .Where(t => t.Namespace.FullName.StartsWith(Core, StringComparison.Ordinal))
            .Where(t => !layered.Any(n => t.Namespace.FullName == n || t.Namespace.FullName.StartsWith(n + ".", StringComparison.Ordinal)))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(outside);
    }

    [Fact]
    public void Every_layer_names_a_namespace_of_the_core()
    {
        // A folder renamed or removed would leave its layer checking nothing.
        var namespaces = CoreArchitecture.Value.Namespaces.Select(n => n.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.All(Layers.SelectMany(l => l), n => Assert.Contains($"{Core}.{n}", namespaces));
    }

    /// <summary>The same rules, run on a few planted types with every kind of reference the old source scan missed: the
    /// rules must report each, so a green run above means the core has none.</summary>
    [Fact]
    public void The_rules_fail_on_planted_violations()
    {
        var layers = new[] { new[] { "Storage" }, ["Pairs"], ["Reporting"] };
        var failures = Violations(LayerRules(PlantedRoot, layers), PlantedArchitecture.Value);

        Assert.Contains(failures, f => f.StartsWith($"{PlantedRoot}.Storage.{nameof(Planted.Storage.UsesReportInABody)} ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith($"{PlantedRoot}.Storage.{nameof(Planted.Storage.NamesPairsRelatively)} ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith($"{PlantedRoot}.Pairs.{nameof(Planted.Pairs.ReadsTheReport)} ", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.StartsWith($"{PlantedRoot}.Reporting.", StringComparison.Ordinal));

        var cycles = Violations([CycleRule(PlantedRoot)], PlantedArchitecture.Value);
        var cycle = Assert.Single(cycles);
        Assert.False(WithinOneFolder(cycle));
        Assert.Contains($"{PlantedRoot}.Pairs.{nameof(Planted.Pairs.ReadsTheReport)}", cycle);
        Assert.Contains($"{PlantedRoot}.Reporting.{nameof(Planted.Reporting.Report)}", cycle);
    }

    /// <summary>One rule per layer: its types depend on no type of a layer above it.</summary>
    static IEnumerable<IArchRule> LayerRules(string root, string[][] layers)
    {
        for (var i = 0; i < layers.Length - 1; i++)
        {
            var above = layers.Skip(i + 1).SelectMany(l => l).ToList();
            foreach (var name in layers[i])
                yield return Types().That().ResideInNamespaceOrBelow($"{root}.{name}").Should()
                    .NotDependOnAny(Types().That().ResideInNamespacesOrBelow(root, above))
                    .Because($"{name} sits below {string.Join(", ", above)}");
        }
    }

    /// <summary>Whether every namespace of a reported cycle ("A.B -> A" lines, each followed by its type references) is in
    /// one top-level folder.</summary>
    static bool WithinOneFolder(string cycle) =>
        cycle.Split('\n')
            .Where(line => line.Contains(" -> ", StringComparison.Ordinal) && !line.StartsWith('\t'))
            .SelectMany(line => line.Split(" -> ", StringSplitOptions.TrimEntries))
            .Select(slice => slice.Split('.')[0])
            .Distinct(StringComparer.Ordinal)
            .Count() == 1;

    static IArchRule CycleRule(string root) => Slices().Matching($"{root}.(*)..").Should().BeFreeOfCycles();

    /// <summary>Each failing type (or cycle) with what it reached, one line each.</summary>
    static List<string> Violations(IEnumerable<IArchRule> rules, Architecture architecture) =>
        rules.SelectMany(r => r.Evaluate(architecture))
            .Where(r => !r.Passed)
            .Select(r => r.EvaluatedObject is IType type ? $"{type.FullName} {r.Description}" : r.Description)
            .ToList();
}

static class ArchitecturePredicates
{
    /// <summary>Types in any of these namespaces of <paramref name="root"/>, or below them.</summary>
    public static ArchUnitNET.Fluent.Syntax.Elements.Types.GivenTypesConjunction ResideInNamespacesOrBelow(
        this ArchUnitNET.Fluent.Syntax.Elements.Types.GivenTypesThat that, string root, IReadOnlyList<string> names)
    {
        var given = that.ResideInNamespaceOrBelow($"{root}.{names[0]}");
        foreach (var name in names.Skip(1))
            given = given.Or().ResideInNamespaceOrBelow($"{root}.{name}");
        return given;
    }
}
