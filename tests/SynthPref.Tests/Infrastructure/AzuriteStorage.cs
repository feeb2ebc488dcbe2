using SynthPref.Orchestration.Storage;

namespace SynthPref.Tests.Infrastructure;

/// <summary>One in-memory Azurite for a test class that needs storage and no host, its containers and tables made.</summary>
public sealed class AzuriteStorage : IAsyncLifetime
{
    public AzuriteFixture Azurite { get; } = new();

    public StorageClients Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Azurite.InitializeAsync();
        Storage = StorageClients.FromConnectionString(Azurite.ConnectionString);
        await Storage.EnsureCreatedAsync();
    }

    public Task DisposeAsync() => Azurite.DisposeAsync();
}
