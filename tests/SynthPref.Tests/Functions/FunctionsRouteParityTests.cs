using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SynthPref.Functions.Functions;
using SynthPref.Orchestration.Api;
using SynthPref.Orchestration.Health;
using SynthPref.Orchestration.Reviews;
using SynthPref.Orchestration.Runs;

namespace SynthPref.Tests.Functions;

/// <summary>
/// The Functions app must expose exactly the local host's HTTP contract: one function per route of
/// <see cref="RunsApi.MapRunsApi"/> (plus /api/health), same path and method, and the blob trigger on synthpref-input.
/// </summary>
public sealed class FunctionsRouteParityTests
{
    public sealed record Route(string Method, string Path)
    {
        public override string ToString() => $"{Method} {Path}";
    }

    public sealed record HttpFunction(string Name, Route Route, AuthorizationLevel AuthLevel);

    /// <summary>Routes as the local host maps them (minimal API endpoints): the runs API and /api/health.</summary>
    public static IReadOnlyList<Route> LocalHostRoutes()
    {
        var builder = WebApplication.CreateBuilder();
        // Registrations only, so the endpoint factory infers these parameters as services; nothing resolves them.
        builder.Services.AddSingleton<DurableTaskClient>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<RunStarter>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<RunQueries>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<ReviewService>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<HealthCheckService>(_ => throw new NotSupportedException());
        builder.Services.AddSingleton<DurableClientSlot>(_ => throw new NotSupportedException());
        var app = builder.Build();
        app.MapHealthApi();
        app.MapRunsApi();

        var routes = ((IEndpointRouteBuilder)app).DataSources
            .SelectMany(d => d.Endpoints)
            .OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(m => new Route(m.ToUpperInvariant(), Normalize(e.RoutePattern.RawText ?? ""))))
            .ToList();
        return routes;
    }

    /// <summary>HTTP functions of SynthPref.Functions, read from their attributes; route prefix "api" (host.json).</summary>
    public static IReadOnlyList<HttpFunction> FunctionsHttpRoutes() =>
        FunctionMethods()
            .SelectMany(m => m.GetParameters()
                .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
                .OfType<HttpTriggerAttribute>()
                .SelectMany(t => (t.Methods ?? ["*"]).Select(method => new HttpFunction(
                    m.GetCustomAttribute<FunctionAttribute>()!.Name,
                    new Route(method.ToUpperInvariant(), Normalize("/api/" + t.Route)),
                    t.AuthLevel))))
            .ToList();

    public static IEnumerable<MethodInfo> FunctionMethods() =>
        typeof(RunsFunctions).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<FunctionAttribute>() is not null);

    public static string Normalize(string path) => "/" + path.Trim('/');

    [Fact]
    public void The_local_host_has_the_expected_routes()
    {
        // Guards the discovery itself: if it found nothing, the parity test below would pass vacuously.
        var routes = LocalHostRoutes();
        Assert.Contains(new Route("POST", "/api/runs"), routes);
        Assert.Contains(new Route("GET", "/api/runs/{runId}/report.html"), routes);
        Assert.Contains(new Route("GET", "/api/health"), routes);
        Assert.Contains(new Route("GET", "/api/health/live"), routes);
        Assert.Contains(new Route("GET", "/api/health/ready"), routes);
        Assert.Contains(new Route("GET", "/api/runs/{runId}/failures"), routes);
        Assert.Contains(new Route("POST", "/api/runs/{runId}/review-link"), routes);
        Assert.Contains(new Route("GET", "/api/runs/{runId}/escalated"), routes);
    }

    [Fact]
    public void Every_local_host_route_has_exactly_one_function_with_the_same_path_and_method()
    {
        var functions = FunctionsHttpRoutes();
        var local = LocalHostRoutes();

        var missing = local.Where(r => functions.All(f => f.Route != r)).ToList();
        var extra = functions.Where(f => !local.Contains(f.Route)).ToList();
        var duplicated = functions.GroupBy(f => f.Route).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.True(missing.Count == 0, "No function for: " + string.Join(", ", missing));
        Assert.True(extra.Count == 0, "Functions the local host does not have: " + string.Join(", ", extra));
        Assert.True(duplicated.Count == 0, "More than one function for: " + string.Join(", ", duplicated));
    }

    [Theory]
    [InlineData("POST", "/api/runs", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}/report", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}/report.html", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}/dataset", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}/escalated", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}/failures", AuthorizationLevel.Function)]
    [InlineData("POST", "/api/runs/{runId}/review-link", AuthorizationLevel.Function)]
    [InlineData("GET", "/api/runs/{runId}/review-items", AuthorizationLevel.Anonymous)]
    [InlineData("POST", "/api/runs/{runId}/reviews", AuthorizationLevel.Anonymous)]
    [InlineData("POST", "/api/runs/{runId}/reviews/close", AuthorizationLevel.Anonymous)]
    [InlineData("GET", "/api/runs/{runId}/review", AuthorizationLevel.Anonymous)]
    [InlineData("GET", "/api/health", AuthorizationLevel.Anonymous)]
    [InlineData("GET", "/api/health/live", AuthorizationLevel.Anonymous)]
    [InlineData("GET", "/api/health/ready", AuthorizationLevel.Anonymous)]
    public void Management_routes_need_a_function_key_and_review_routes_are_anonymous(string method, string path, AuthorizationLevel expected)
    {
        var function = Assert.Single(FunctionsHttpRoutes(), f => f.Route == new Route(method, path));
        Assert.Equal(expected, function.AuthLevel);
    }

    [Fact]
    public void Route_parameters_are_bound_by_name()
    {
        // The isolated worker binds route values to parameters of the same name; a typo would bind null.
        foreach (var method in FunctionMethods())
        {
            var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).OfType<HttpTriggerAttribute>().SingleOrDefault();
            if (trigger?.Route is null || !trigger.Route.Contains("{runId}")) continue;
            Assert.Contains(method.GetParameters(), p => p.Name == "runId" && p.ParameterType == typeof(string));
        }
    }

    [Fact]
    public void The_blob_trigger_watches_the_input_container_through_Event_Grid()
    {
        var triggers = FunctionMethods()
            .SelectMany(m => m.GetParameters().Select(p => (Method: m, Parameter: p, Trigger: p.GetCustomAttribute<BlobTriggerAttribute>())))
            .Where(x => x.Trigger is not null)
            .ToList();

        var (method, parameter, trigger) = Assert.Single(triggers);
        Assert.Equal("synthpref-input/{name}", trigger!.BlobPath);
        Assert.Equal("AzureWebJobsStorage", trigger.Connection);
        Assert.Equal(BlobTriggerSource.EventGrid, trigger.Source);
        Assert.Equal(typeof(Azure.Storage.Blobs.BlobClient), parameter.ParameterType);
        Assert.Equal(BlobInputFunction.FunctionName, method.GetCustomAttribute<FunctionAttribute>()!.Name);
        Assert.Contains(method.GetParameters(), p => p.Name == "name" && p.ParameterType == typeof(string));
    }
}
