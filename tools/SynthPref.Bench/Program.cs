using System.CommandLine;
using SynthPref.Bench;

// SynthPref's whole pipeline against a plain loop making the same judge calls to the same fake judge.
var root = new RootCommand("SynthPref benchmarks");
root.Subcommands.Add(PipelineVsLoopCommand.Create());
root.Subcommands.Add(LabelsCommand.Create());
root.Subcommands.Add(BatchCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
return await root.Parse(args).InvokeAsync();
