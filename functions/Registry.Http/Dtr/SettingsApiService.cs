using System.Text.Json;
using Microsoft.Extensions.Options;
using Registry.Options;
using Registry.Services;

namespace Registry.Dtr;

/// <summary>
/// DTR's <c>/meta/settings</c> and <c>/meta/alerts</c>, for system administrators: the registry's settings in DTR's
/// shape, the ones it can change at run time (<c>createRepositoryOnPush</c>, <c>readOnlyRegistry</c>) changeable, and
/// what needs an administrator's attention.
/// </summary>
public sealed class SettingsApiService(
    RegistrySettingsService settings, GcService gc, Scanning.VulnerabilityDatabase database, Stores.ISettingsStore store,
    IOptions<EventOptions> events, IOptions<ScanOptions> scan, TimeProvider time)
{
    /// <summary>The fields a POST may change; every other field of DTR's form must keep the value GET shows.</summary>
    private static readonly string[] Changeable = ["createRepositoryOnPush", "readOnlyRegistry"];

    /// <summary>A vulnerability database older than this is reported.</summary>
    public static readonly TimeSpan StaleDatabase = TimeSpan.FromDays(7);

    public async Task<SettingsView> GetAsync(CancellationToken cancellationToken = default) =>
        View(await settings.GetAsync(cancellationToken));

    /// <summary>
    /// DTR's settings form, whole or in part: the changeable fields are saved; any other field DTR's form has must
    /// equal what GET shows (so a client may send back what it read), and a field DTR does not have is refused.
    /// </summary>
    public async Task UpdateAsync(JsonElement body, CancellationToken cancellationToken = default)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("the settings are a JSON object");
        }

        var current = JsonSerializer.SerializeToElement(await GetAsync(cancellationToken));
        bool? create = null, readOnly = null;
        foreach (var field in body.EnumerateObject())
        {
            if (Changeable.Contains(field.Name))
            {
                var value = field.Value.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Invalid($"{field.Name} must be true or false"),
                };
                if (field.Name == "createRepositoryOnPush")
                {
                    create = value;
                }
                else
                {
                    readOnly = value;
                }
            }
            else if (field.Name is "replicaID" or "replicaSettings")
            {
                // what the instance that answered the GET reported; another instance may take this POST
            }
            else if (field.Name == "webTLSKey")
            {
                if (field.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.String) || field.Value.GetString() is { Length: > 0 })
                {
                    throw Invalid("webTLSKey is not changeable here: TLS ends at the platform's front end, with its own certificate");
                }
            }
            else if (!current.TryGetProperty(field.Name, out var shown))
            {
                throw Invalid($"{Shorten(field.Name)} is not a setting");
            }
            else if (!JsonElement.DeepEquals(shown, field.Value))
            {
                throw Invalid($"{field.Name} is not changeable here: {Reason(field.Name)}");
            }
        }

        await settings.SaveAsync(create, readOnly, cancellationToken);
    }

    /// <summary>
    /// What needs a system administrator: the registry read-only, no or a stale vulnerability database, GC switched
    /// off or its last run stopped at its deadline, and timers whose last run failed.
    /// </summary>
    public async Task<IReadOnlyList<AlertView>> ListAlertsAsync(CancellationToken cancellationToken = default)
    {
        var alerts = new List<AlertView>();
        if ((await settings.GetAsync(cancellationToken)).ReadOnlyRegistry)
        {
            alerts.Add(new AlertView("read-only", "warning", "The registry is read-only: pushes and deletions are refused until readOnlyRegistry is set to false."));
        }

        var info = await database.GetInfoAsync(cancellationToken);
        if (info is null)
        {
            alerts.Add(new AlertView("vuln-db-missing", "info", "No vulnerability database has been imported: scans find components but no vulnerabilities."));
        }
        else if (time.GetUtcNow() - info.UpdatedAt > StaleDatabase)
        {
            alerts.Add(new AlertView("vuln-db-stale", "warning",
                $"The vulnerability database was last updated {info.UpdatedAt:yyyy-MM-dd} (version {info.Version}): scan results miss newer advisories."));
        }

        var gcSettings = await gc.GetSettingsAsync(cancellationToken);
        if (!gcSettings.Enabled)
        {
            alerts.Add(new AlertView("gc-disabled", "info", "Online garbage collection is switched off: deleted content keeps its storage."));
        }
        else if (gcSettings.LastRun is { Complete: false } last)
        {
            alerts.Add(new AlertView("gc-incomplete", "warning",
                $"The garbage collection of {last.StartedAt:u} stopped at its deadline ({GoDuration.Format(gcSettings.Deadline)}) before it finished."));
        }

        foreach (var run in (await store.ListTimerRunsAsync(cancellationToken)).Where(r => r.Outcome is Records.JobRecord.Errored or "failed"))
        {
            alerts.Add(new AlertView($"timer-{run.Name}", "error", $"The timer {run.Name} failed on its last run ({run.LastRunAt:u} on {run.Instance})."));
        }

        return alerts;
    }

    private SettingsView View(RegistrySettings now) => new()
    {
        DtrHost = events.Value.RegistryHost,
        CreateRepositoryOnPush = now.CreateRepositoryOnPush,
        ReadOnlyRegistry = now.ReadOnlyRegistry,
        ReplicaId = Health.ClusterService.InstanceId,
        ScanningSyncOnline = scan.Value.DatabaseUrl is not null,
        JobHistoryMaxAge = GoDuration.Format(Jobs.JobService.Retention),
    };

    private static string Reason(string field) => field switch
    {
        "dtrHost" => "the registry's host is the deployment's setting Registry:Events:RegistryHost",
        "scanningSyncOnline" => "the database's address is the deployment's setting Registry:Scan:DatabaseUrl",
        "jobHistoryMaxAge" or "jobHistoryToKeep" or "jobHistoryCompactionEnabled" => "job records are kept a week",
        "webTLSCert" or "webTLSCA" or "webTLSClientCA" or "clientCertAuthEnabled" => "TLS ends at the platform's front end, with its own certificate",
        _ => "this registry has no such setting to change",
    };

    private static string Shorten(string value) => value.Length > 60 ? value[..60] : value;

    private static DtrException Invalid(string message) => new(DtrError.InvalidSettings, message);
}
