// Planted for ArchitectureTests.The_rules_fail_on_planted_violations: Storage below Pairs below Reporting, and each
// type here breaks that order in a way a scan of using lines would not see. Nothing else loads these types.

namespace SynthPref.Tests.Unit.Planted.Storage
{
    public sealed class UsesReportInABody
    {
        // Only a method body names the type above, and in full: no using line, no member of that type.
        public override string ToString() => new SynthPref.Tests.Unit.Planted.Reporting.Report().Title;
    }

    public sealed class NamesPairsRelatively
    {
        // Pairs.Pair resolves against the enclosing namespaces, as Sampling.StableHash did in the core.
        public Pairs.Pair? Pair { get; init; }
    }
}

namespace SynthPref.Tests.Unit.Planted.Pairs
{
    public sealed class Pair;

    public sealed class ReadsTheReport
    {
        public int Length() => new Reporting.Report().Title.Length;
    }
}

namespace SynthPref.Tests.Unit.Planted.Reporting
{
    public sealed class Report
    {
        public string Title => nameof(Report);

        // Reporting may read Pairs; with ReadsTheReport above, the two namespaces form a cycle.
        public Pairs.ReadsTheReport Source { get; } = new();
    }
}
