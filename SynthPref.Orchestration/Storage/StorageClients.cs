using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;

namespace SynthPref.Orchestration.Storage;

/// <summary>
/// The blob and table clients for the run's storage account. They read the same setting the Functions
/// runtime reads (AzureWebJobsStorage), so one account holds the task hub and the product's data.
/// </summary>
public sealed class StorageClients
{
    public StorageClients(BlobServiceClient blobs, TableServiceClient tables)
    {
        Blobs = blobs;
        Tables = tables;
    }

    public BlobServiceClient Blobs { get; }
    public TableServiceClient Tables { get; }

    public static StorageClients FromConfiguration(IConfiguration configuration)
    {
        var connectionString = configuration["AzureWebJobsStorage"];
        if (!string.IsNullOrWhiteSpace(connectionString))
            return FromConnectionString(connectionString);

        // Identity-based connections, as Functions documents them: AzureWebJobsStorage__accountName (+ optional endpoints).
        var section = configuration.GetSection("AzureWebJobsStorage");
        var account = section["accountName"];
        if (string.IsNullOrWhiteSpace(account))
            return FromConnectionString("UseDevelopmentStorage=true");

        TokenCredential credential = section["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        var blobUri = new Uri(section["blobServiceUri"] ?? $"https://{account}.blob.core.windows.net");
        var tableUri = new Uri(section["tableServiceUri"] ?? $"https://{account}.table.core.windows.net");
        return new StorageClients(new BlobServiceClient(blobUri, credential), new TableServiceClient(tableUri, credential));
    }

    public static StorageClients FromConnectionString(string connectionString) =>
        new(new BlobServiceClient(connectionString), new TableServiceClient(connectionString));

    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);
    public TableClient Table(string name) => Tables.GetTableClient(name);

    /// <summary>Creates every container and table the product uses; safe to call on each start.</summary>
    public async Task EnsureCreatedAsync(CancellationToken ct = default)
    {
        foreach (var container in StorageNames.Containers)
            await Container(container).CreateIfNotExistsAsync(cancellationToken: ct);
        foreach (var table in StorageNames.Tables)
            await Tables.CreateTableIfNotExistsAsync(table, ct);
    }
}
