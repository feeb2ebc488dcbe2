using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Functions.Hosting;
using SynthPref.Local.Extensions;
using SynthPref.Orchestration.Workflow;

namespace SynthPref.Tests.Functions;

/// <summary>
/// Both hosts can create every orchestrator and activity the core defines, under the same names and as the same
/// classes. Each host's task factory is the one its worker runs with, built from the host's own composition: the
/// Functions extension's <see cref="IDurableTaskFactory"/> from its container, and for the local host the factory its
/// worker builder hands the worker it builds. Nothing is read through the SDK's internals.
/// </summary>
public sealed class FunctionsTaskRegistrationTests
{
    /// <summary>Any judge that passes validation: the activities' constructors build the LLM clients, nothing calls them.</summary>
    static readonly Dictionary<string, string?> Judge = new()
    {
        ["Llm:Provider"] = "OpenAICompatible",
        ["Llm:Endpoint"] = "http://127.0.0.1:9/v1",
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
    };

    static readonly Type[] Orchestrators = CoreTasks(typeof(TaskOrchestrator<,>));
    static readonly Type[] Activities = CoreTasks(typeof(TaskActivity<,>));

    [Fact]
    public void The_core_defines_the_tasks_the_orchestrator_runs()
    {
        // Guards the discovery below: without it an empty list would make every host agree.
        Assert.Equal([typeof(RunOrchestrator)], Orchestrators);
        Assert.Contains(Activities, t => t.Name == "ProcessItemsActivity");
    }

    [Fact]
    public void The_local_host_creates_every_core_task_under_its_class_name()
    {
        var builder = LocalHost.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Configuration.AddInMemoryCollection(Judge);
        using var services = builder.Services.BuildServiceProvider();
        // The same builder the host configured (one per worker name); only what it builds is swapped for a probe.
        var worker = builder.Services.AddDurableTaskWorker();
        worker.UseBuildTarget<FactoryProbe>();
        var factory = ((FactoryProbe)worker.Build(services)).Tasks;

        AssertCreatesEveryCoreTask(factory, services);
    }

    [Fact]
    public void The_Functions_app_creates_every_core_task_under_its_class_name()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(Judge);
        FunctionsHost.Configure(builder);
        using var services = builder.Services.BuildServiceProvider();

        AssertCreatesEveryCoreTask(services.GetRequiredService<IDurableTaskFactory>(), services);
    }

    [Fact]
    public void Both_hosts_give_their_durable_worker_the_failure_properties()
    {
        // The local host's gRPC worker and the Functions worker's executor each take the provider from the container.
        var local = LocalHost.CreateBuilder(["--urls", "http://127.0.0.1:0"]);
        local.Configuration.AddInMemoryCollection(Judge);
        using var localServices = local.Services.BuildServiceProvider();
        Assert.IsType<FailureProperties>(localServices.GetService<IExceptionPropertiesProvider>());

        var functions = FunctionsApplication.CreateBuilder([]);
        functions.Configuration.AddInMemoryCollection(Judge);
        FunctionsHost.Configure(functions);
        using var functionServices = functions.Services.BuildServiceProvider();
        Assert.IsType<FailureProperties>(functionServices.GetService<IExceptionPropertiesProvider>());
    }

    static void AssertCreatesEveryCoreTask(IDurableTaskFactory factory, IServiceProvider services)
    {
        foreach (var type in Orchestrators)
        {
            Assert.True(factory.TryCreateOrchestrator(type.Name, services, out var orchestrator), $"no orchestrator {type.Name}");
            Assert.IsType(type, orchestrator);
        }
        foreach (var type in Activities)
        {
            Assert.True(factory.TryCreateActivity(type.Name, services, out var activity), $"no activity {type.Name}");
            Assert.IsType(type, activity);
        }
        Assert.False(factory.TryCreateActivity("NoSuchActivity", services, out _));
    }

    static Type[] CoreTasks(Type generic) => typeof(RunOrchestrator).Assembly.GetTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && IsSubclassOfGeneric(t, generic))
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    static bool IsSubclassOfGeneric(Type type, Type generic)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
            if (t.IsGenericType && t.GetGenericTypeDefinition() == generic)
                return true;
        return false;
    }

    /// <summary>A worker that runs nothing and shows the task factory a worker builder gives it.</summary>
    public sealed class FactoryProbe(string name, IDurableTaskFactory factory) : DurableTaskWorker(name, factory)
    {
        public IDurableTaskFactory Tasks => Factory;

        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.CompletedTask;
    }
}
