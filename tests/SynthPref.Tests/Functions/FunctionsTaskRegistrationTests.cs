using System.Collections;
using System.Reflection;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SynthPref.Functions.Hosting;
using SynthPref.Local.Extensions;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The Functions app registers exactly the orchestrators and activities the local host registers. Both
/// registries come from the hosts' own compositions (their DI containers), not from the shared extension.
/// </summary>
public sealed class FunctionsTaskRegistrationTests
{
    [Fact]
    public void Both_hosts_register_the_same_orchestrators_and_activities()
    {
        var local = LocalRegistry();
        var functions = FunctionsRegistry();

        var orchestrators = Names(local, "Orchestrators");
        Assert.Equal([nameof(RunOrchestrator)], orchestrators);
        Assert.Equal(orchestrators, Names(functions, "Orchestrators"));

        var activities = Names(local, "Activities");
        Assert.Equal(7, activities.Count);
        Assert.Equal(activities, Names(functions, "Activities"));
    }

    static DurableTaskRegistry LocalRegistry()
    {
        var builder = LocalHost.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptionsMonitor<DurableTaskRegistry>>().Get(Options.DefaultName);
    }

    static DurableTaskRegistry FunctionsRegistry()
    {
        var builder = FunctionsHost.Configure(FunctionsApplication.CreateBuilder([]));
        using var services = builder.Services.BuildServiceProvider();
        return services.GetRequiredService<IOptionsMonitor<DurableTaskRegistry>>().Get(Options.DefaultName);
    }

    /// <summary>DurableTaskRegistry keeps task names in non-public dictionaries keyed by TaskName.</summary>
    static SortedSet<string> Names(DurableTaskRegistry registry, string property)
    {
        var member = typeof(DurableTaskRegistry).GetProperty(property, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public);
        Assert.True(member is not null, $"DurableTaskRegistry has no property '{property}'.");
        var entries = Assert.IsAssignableFrom<IEnumerable>(member!.GetValue(registry)).Cast<object>().ToList();
        return new SortedSet<string>(entries.Select(e => e.GetType().GetProperty("Key")!.GetValue(e)!.ToString()!), StringComparer.Ordinal);
    }
}
