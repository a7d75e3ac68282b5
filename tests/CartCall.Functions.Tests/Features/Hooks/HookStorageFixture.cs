using CartCall.Functions.Features.Hooks;
using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Storage;
using CartCall.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Tests.Features.Hooks;

/// <summary>A real Azurite with the hooks' tables, for the store and the service; independent of the app fixtures.</summary>
public sealed class HookStorageFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;

    public StorageClients Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Azurite = await Azurite.StartAsync();
        Storage = new StorageClients(Options.Create(new StorageOptions { ConnectionString = Azurite.ConnectionString }));
        foreach (var table in new[] { StorageNames.HooksTable, StorageNames.HookDeliveriesTable, StorageNames.MerchantsTable })
        {
            await Storage.Table(table).CreateIfNotExistsAsync();
        }
    }

    public async Task DisposeAsync() => await Azurite.DisposeAsync();

    public static string NewMerchantId() => "m-" + Guid.NewGuid().ToString("N")[..12];

    public TableHookStore Store() => new(Storage);

    /// <summary>A service wired as the app wires it, over this Azurite, with a merchant that has a signing secret.</summary>
    public async Task<(HookService Service, string MerchantId)> ServiceAsync(HooksOptions? options = null)
    {
        options ??= HookTestSupport.Options();
        var merchants = new TableMerchantStore(Storage, Options.Create(new CartCall.Functions.Hosting.CacheOptions()), TimeProvider.System);
        var merchantId = NewMerchantId();
        await merchants.UpsertAsync(new Merchant { Id = merchantId, DisplayName = "Hooks test", SigningSecrets = [HookTestSupport.Secret] }, CancellationToken.None);
        IHookRunner[] runners = [HookTestSupport.WebhookRunner(options), HookTestSupport.ProcessRunner(options)];
        return (new HookService(Store(), merchants, runners, Options.Create(options), TimeProvider.System, NullLogger<HookService>.Instance), merchantId);
    }
}

[CollectionDefinition(Name)]
public sealed class HookStorageCollection : ICollectionFixture<HookStorageFixture>
{
    public const string Name = "Hook storage";
}
