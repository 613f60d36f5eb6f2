using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Stores;
using Registry.Records;

namespace Registry.Auth;

/// <summary>
/// Creates the bootstrap system administrator (Registry:Auth:AdminUser with Registry:Auth:AdminPassword) at start
/// when no account of that name exists. An existing account is left as it is: change its password through the API.
/// Registered after <see cref="StorageInitializer"/>, which has created the tables by then. In Azure the password is
/// a Key Vault reference that the platform resolves; one it could not resolve arrives as the literal
/// <c>@Microsoft.KeyVault(...)</c>, which is refused rather than made the password.
/// </summary>
public sealed partial class AdminBootstrap(IAccountStore accounts, IOptions<AuthOptions> options, TimeProvider time, ILogger<AdminBootstrap> logger)
    : IHostedService
{
    private const string KeyVaultReferencePrefix = "@Microsoft.KeyVault(";
    private readonly CancellationTokenSource _stopping = new();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!settings.Enabled || string.IsNullOrEmpty(settings.AdminPassword))
        {
            return;
        }

        if (settings.AdminPassword.TrimStart().StartsWith(KeyVaultReferencePrefix, StringComparison.OrdinalIgnoreCase))
        {
            LogUnresolvedReference(logger, settings.AdminUser);
            return;
        }

        try
        {
            await CreateAdminAsync(settings, cancellationToken);
        }
        catch (Exception e) when (StorageOutage.Is(e))
        {
            // Storage is down at start: the host starts anyway, and the administrator is made once storage answers.
            _ = StorageOutage.RetryUntilDoneAsync(ct => CreateAdminAsync(settings, ct), _stopping.Token);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    private async Task CreateAdminAsync(AuthOptions settings, CancellationToken cancellationToken)
    {
        if (await accounts.GetAccountOrNullAsync(settings.AdminUser, cancellationToken) is null)
        {
            await accounts.AddAccountAsync(new Account
            {
                Name = settings.AdminUser,
                Id = Guid.NewGuid().ToString(),
                IsAdmin = true,
                IsActive = true,
                FullName = "System administrator",
                PasswordHash = Authenticator.HashPassword(settings.AdminPassword!),
                CreatedAt = time.GetUtcNow(),
            }, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Registry:Auth:AdminPassword is an unresolved Key Vault reference; the administrator " +
        "{User} was not created. Give the app's identity a role that reads the vault's secrets (the template grants Key Vault Secrets " +
        "Officer) and restart the app.")]
    private static partial void LogUnresolvedReference(ILogger logger, string user);
}
