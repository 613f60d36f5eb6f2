using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Storage;
using Registry.Storage.Entities;

namespace Registry.Auth;

/// <summary>
/// Creates the bootstrap system administrator (Registry:Auth:AdminUser with Registry:Auth:AdminPassword) at start
/// when no account of that name exists. An existing account is left as it is: change its password through the API.
/// Registered after <see cref="StorageInitializer"/>, which has created the tables by then.
/// </summary>
public sealed class AdminBootstrap(AccountStore accounts, IOptions<AuthOptions> options, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled || string.IsNullOrEmpty(settings.AdminPassword))
        {
            return;
        }

        if (await accounts.GetAccountOrNullAsync(settings.AdminUser, cancellationToken) is null)
        {
            await accounts.AddAccountAsync(new AccountEntity
            {
                RowKey = settings.AdminUser,
                Id = Guid.NewGuid().ToString(),
                IsAdmin = true,
                IsActive = true,
                FullName = "System administrator",
                PasswordHash = Authenticator.HashPassword(settings.AdminPassword),
                CreatedAt = time.GetUtcNow(),
            }, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
