namespace SynthPref.Tests.Infrastructure;

/// <summary>One in-memory Azurite for a test class that needs storage and no host.</summary>
public sealed class AzuriteStorage : IAsyncLifetime
{
    public AzuriteFixture Azurite { get; } = new();
    public Task InitializeAsync() => Azurite.InitializeAsync();
    public Task DisposeAsync() => Azurite.DisposeAsync();
}
