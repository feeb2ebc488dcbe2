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

    /// <summary>Lowest first. The foundations every stage may use (Settings: the run's one options record); the stages in the order data flows through them
    /// (Generation, Judging and Revision make the pairs, so they come before Pairs, and the verdicts belong to Judging);
    /// then the orchestration, the use cases, health, the HTTP contract and the composition that drive them.</summary>
    static readonly string[][] Layers =
    [
        ["Statistics"], ["Storage"], ["Llm"], ["Settings"],
        ["Input"], ["Generation"], ["Judging"], ["Revision"], ["Pairs"], ["Audit"], ["Sampling"], ["Reviews"], ["Agreement"],
        ["Trust"], ["Reporting"],
        ["Workflow"], ["Runs"], ["Health"], ["Api"], ["Hosting"],
    ];

    /// <summary>Review-area types that sit in Sampling today and read Reviews: the review stage's rework moves them into
    /// it. Named here so nothing else may cross the line, and the test fails once they no longer do, so the exception goes.</summary>
    static readonly string[] KnownCrossings =
    [
        $"{Core}.Sampling.ReviewRounds",
        $"{Core}.Sampling.RoundPlan",
        $"{Core}.Sampling.ReviewSample",
    ];

    static readonly Lazy<Architecture> CoreArchitecture = new(() =>
        new ArchLoader().LoadAssemblies(typeof(RunOrchestrator).Assembly).Build());

    static readonly Lazy<Architecture> PlantedArchitecture = new(() =>
        new ArchLoader().LoadNamespacesWithinAssembly(typeof(ArchitectureTests).Assembly, PlantedRoot).Build());

    [Fact]
    public void Every_layer_uses_only_the_layers_below_it()
    {
        var failures = Violations(LayerRules(Core, Layers), CoreArchitecture.Value, KnownCrossings);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void No_namespace_of_the_core_is_in_a_cycle()
    {
        var failures = Violations([CycleRule(Core)], CoreArchitecture.Value, []);
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
    public void The_known_crossings_still_cross_and_nothing_else_does()
    {
        // Each named exception must still be needed: once the type is moved (or stops reading a later layer), it goes.
        var crossing = Violations(LayerRules(Core, Layers), CoreArchitecture.Value, []);
        foreach (var type in KnownCrossings)
            Assert.True(crossing.Any(f => f.StartsWith(type + " ", StringComparison.Ordinal)),
                $"{type} no longer reaches a later layer (or is gone): remove it from {nameof(KnownCrossings)}.");
    }

    /// <summary>The same rules, run on a few planted types with every kind of reference the old source scan missed: the
    /// rules must report each, so a green run above means the core has none.</summary>
    [Fact]
    public void The_rules_fail_on_planted_violations()
    {
        var layers = new[] { new[] { "Storage" }, ["Pairs"], ["Reporting"] };
        var failures = Violations(LayerRules(PlantedRoot, layers), PlantedArchitecture.Value, []);

        Assert.Contains(failures, f => f.StartsWith($"{PlantedRoot}.Storage.{nameof(Planted.Storage.UsesReportInABody)} ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith($"{PlantedRoot}.Storage.{nameof(Planted.Storage.NamesPairsRelatively)} ", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith($"{PlantedRoot}.Pairs.{nameof(Planted.Pairs.ReadsTheReport)} ", StringComparison.Ordinal));
        Assert.DoesNotContain(failures, f => f.StartsWith($"{PlantedRoot}.Reporting.", StringComparison.Ordinal));

        var cycles = Violations([CycleRule(PlantedRoot)], PlantedArchitecture.Value, []);
        var cycle = Assert.Single(cycles);
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

    static IArchRule CycleRule(string root) => Slices().Matching($"{root}.(*)..").Should().BeFreeOfCycles();

    /// <summary>Each failing type (or cycle) with what it reached, one line each; the excepted types left out.</summary>
    static List<string> Violations(IEnumerable<IArchRule> rules, Architecture architecture, IReadOnlyCollection<string> except) =>
        rules.SelectMany(r => r.Evaluate(architecture))
            .Where(r => !r.Passed)
            .Select(r => r.EvaluatedObject is IType type ? $"{type.FullName} {r.Description}" : r.Description)
            .Where(f => !except.Any(e => f.StartsWith(e + " ", StringComparison.Ordinal)))
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
