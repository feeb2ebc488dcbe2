using Microsoft.DurableTask;
using SynthPref.Orchestration.Hosting;

namespace SynthPref.Functions.Hosting;

/// <summary>
/// The Functions app's task registration, kept apart from Program.cs so a test can compare it with the
/// core's <see cref="DurableTaskRegistryExtensions.AddSynthPrefTasks"/> (the local host's registration).
/// </summary>
public static class FunctionsTaskRegistration
{
    public static void Configure(DurableTaskRegistry registry) => registry.AddSynthPrefTasks();
}
