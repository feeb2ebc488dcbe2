using System.Net;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using SynthPref.Local.Extensions;
using SynthPref.Orchestration.Api;
using SynthPref.Tests.Infrastructure;

namespace SynthPref.Tests.EndToEnd;

/// <summary>
/// A storage refusal that gets past the checks of every id is still answered as a 4xx ProblemDetails, never a 500:
/// real refusals from Azurite, thrown inside the local host's error handling (the same registration and middleware),
/// over real HTTP.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class StorageProblemTests(PipelineFixture fixture)
{
    [Fact]
    public void The_local_host_registers_the_storage_problem_handler()
    {
        var services = LocalHost.CreateBuilder(["--urls", "http://127.0.0.1:0"]).Services;
        Assert.Contains(services, d => d.ServiceType == typeof(IExceptionHandler) && d.ImplementationType == typeof(StorageProblemHandler));
    }

    [Fact]
    public async Task Storage_4xx_that_escapes_a_handler_is_that_4xx_as_a_ProblemDetails_and_anything_else_stays_a_500()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var tables = new TableServiceClient(fixture.StorageConnectionString);
        var table = tables.GetTableClient("StorageProblems" + tag);
        await table.CreateAsync();
        var entity = new TableEntity("p", "r");
        await table.AddEntityAsync(entity);
        var container = new BlobServiceClient(fixture.StorageConnectionString).GetBlobContainerClient("storage-problems-" + tag);
        await container.CreateAsync();
        var blob = container.GetBlobClient("x.txt");
        await blob.UploadAsync(BinaryData.FromString("x"));
        var wrongKey = new BlobServiceClient(fixture.StorageConnectionString.Replace("AccountKey=", "AccountKey=AAAA"));

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<StorageProblemHandler>();
        await using var app = builder.Build();
        app.UseExceptionHandler();
        app.MapGet("/conflict", async () => { await table.AddEntityAsync(entity); return "added twice"; });
        app.MapGet("/missing", async () => (await new BlobServiceClient(fixture.StorageConnectionString)
            .GetBlobContainerClient("no-such-" + tag).GetBlobClient("x").DownloadContentAsync()).Value.Content.ToString());
        app.MapGet("/precondition", async () =>
        {
            await blob.UploadAsync(BinaryData.FromString("y"), new BlobUploadOptions { Conditions = new() { IfMatch = new ETag("\"0x1\"") } });
            return "uploaded";
        });
        app.MapGet("/credentials", async () => (await wrongKey.GetBlobContainerClient(container.Name).ExistsAsync()).Value.ToString());
        app.MapGet("/bug", string () => throw new InvalidOperationException("a bug, not storage"));
        await app.StartAsync();
        using var http = new HttpClient
        {
            BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()),
        };

        foreach (var (path, status, code) in new[]
                 {
                     ("/conflict", HttpStatusCode.Conflict, "EntityAlreadyExists"),
                     ("/missing", HttpStatusCode.NotFound, "ContainerNotFound"),
                     ("/precondition", HttpStatusCode.Conflict, "ConditionNotMet"),
                     ("/credentials", HttpStatusCode.ServiceUnavailable, "AuthorizationFailure"),
                 })
        {
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{path}: {(int)response.StatusCode} {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
            Assert.Contains(code, problem.GetProperty("detail").GetString());
        }
        Assert.Equal(HttpStatusCode.InternalServerError, (await http.GetAsync("/bug")).StatusCode);

        await table.DeleteAsync();
        await container.DeleteAsync();
    }
}
