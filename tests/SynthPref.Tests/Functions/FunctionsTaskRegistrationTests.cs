using System.Collections;
using System.Reflection;
using Microsoft.DurableTask;
using SynthPref.Functions.Hosting;
using SynthPref.Orchestration.Hosting;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Tests.Functions;

/// <summary>The Functions app registers exactly the orchestrators and activities the local host registers.</summary>
public sealed class FunctionsTaskRegistrationTests
{
    /// <summary>
    /// Task names held by a registry. DurableTaskRegistry keeps them in internal properties keyed by
    /// <see cref="TaskName"/> (Orchestrators, Activities); they are read by reflection.
    /// </summary>
    static SortedSet<string> Names(DurableTaskRegistry registry, string property)
    {
        var member = typeof(DurableTaskRegistry).GetProperty(property, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        Assert.True(member is not null,
            $"DurableTaskRegistry has no property '{property}'; its properties are: " +
            string.Join(", ", typeof(DurableTaskRegistry).GetProperties(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public).Select(p => p.Name)));
        // A dictionary or a sequence of KeyValuePair<TaskName, factory>, depending on the package version.
        var entries = Assert.IsAssignableFrom<IEnumerable>(member!.GetValue(registry)).Cast<object>().ToList();
        return new SortedSet<string>(entries.Select(e => e.GetType().GetProperty("Key")!.GetValue(e)!.ToString()!), StringComparer.Ordinal);
    }

    static (DurableTaskRegistry Core, DurableTaskRegistry Functions) Registries()
    {
        var core = new DurableTaskRegistry();
        core.AddSynthPrefTasks();
        var functions = new DurableTaskRegistry();
        FunctionsTaskRegistration.Configure(functions);
        return (core, functions);
    }

    [Fact]
    public void Functions_registers_the_same_orchestrators_as_the_core()
    {
        var (core, functions) = Registries();
        var expected = Names(core, "Orchestrators");
        Assert.Contains(nameof(RunOrchestrator), expected);
        Assert.Equal(expected, Names(functions, "Orchestrators"));
    }

    [Fact]
    public void Functions_registers_the_same_activities_as_the_core()
    {
        var (core, functions) = Registries();
        var expected = Names(core, "Activities");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, Names(functions, "Activities"));
    }
}
