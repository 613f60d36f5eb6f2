using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Registry.Dtr;
using Registry.Health;
using Registry.Auth;
using Registry.Http;
using Registry.Http.Handlers;
using Registry.Options;
using Registry.Scanning;
using Registry.Scanning.Parsers;
using Registry.Services;
using Registry.Signing;
using Registry.Trust;

namespace Registry;

/// <summary>
/// The one registration of the registry, shared by the Functions host and the standalone host: services, options and
/// the web server's limits. The stores it needs are registered apart (Registry.Storage.Azure's AddAzureStorage). Both hosts run Kestrel (the Functions worker runs its own behind the Functions host), so
/// what is set here holds in both.
/// </summary>
public static class RegistryHostBuilderExtensions
{
    public static IHostApplicationBuilder AddRegistry(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Layers arrive in one request body (docker, podman, skopeo and containerd push them in one PATCH or PUT) and
        // stream to storage; Kestrel's default cap of 30,000,000 bytes would refuse every layer above it. The limit
        // in front is the Functions front end's FUNCTIONS_REQUEST_BODY_SIZE_LIMIT.
        services.Configure<KestrelServerOptions>(k => k.Limits.MaxRequestBodySize = null);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // X-Forwarded-For, -Host and -Proto count from Registry:TrustedProxies only (ASP.NET Core's forwarded-headers
        // middleware, which the Functions worker runs and the standalone host too); the Functions worker adds its host.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<RegistryOptions>>((o, registry) =>
        {
            var networks = registry.Value.TrustedNetworks() ?? [];
            // Empty lists of proxies would make the middleware trust every peer: with none trusted, it reads nothing.
            o.ForwardedHeaders = networks.Count > 0 ? ForwardedHeaders.All : ForwardedHeaders.None;
            o.ForwardLimit = null;
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();
            foreach (var network in networks)
            {
                o.KnownIPNetworks.Add(network);
            }
        });
        services.AddOptions<RegistryOptions>().Bind(builder.Configuration.GetSection(RegistryOptions.Section))
            .Validate(o => o.TrustedNetworks() is not null, "Registry:TrustedProxies must be IP addresses or CIDR networks")
            .Validate(o => o.BlockSize is >= 1024 * 1024 and <= 100 * 1024 * 1024, "Registry:BlockSize must be 1 MiB to 100 MiB")
            .Validate(o => o.UploadParallelism is >= 1 and <= 64, "Registry:UploadParallelism must be 1 to 64")
            .Validate(o => o.MetadataCacheLifetime > TimeSpan.Zero, "Registry:MetadataCacheLifetime must be positive")
            .ValidateOnStart();
        services.AddOptions<PruningOptions>().Bind(builder.Configuration.GetSection(PruningOptions.Section))
            .Validate(o => CronSchedule.TryParse(o.Schedule, out _), "Registry:Pruning:Schedule must be a six-field CRON expression")
            .ValidateOnStart();
        services.AddOptions<GcOptions>().Bind(builder.Configuration.GetSection(GcOptions.Section))
            .Validate(o => CronSchedule.TryParse(o.Schedule, out _), "Registry:Gc:Schedule must be a six-field CRON expression")
            .Validate(o => o.Deadline > TimeSpan.Zero && o.UploadLifetime > TimeSpan.Zero && o.TouchInterval > TimeSpan.Zero
                && o.ManifestGracePeriod >= TimeSpan.Zero && o.BlobGracePeriod >= TimeSpan.Zero, "Registry:Gc durations must be positive")
            .ValidateOnStart();
        services.AddOptions<ScanOptions>().Bind(builder.Configuration.GetSection(ScanOptions.Section))
            .Validate(o => o.MaxLayerBytes > 0 && o.MaxEntries > 0 && o.MaxDatabaseBytes > 0, "Registry:Scan limits must be positive")
            .Validate(o => CronSchedule.TryParse(o.DatabaseSchedule, out _), "Registry:Scan:DatabaseSchedule must be a six-field CRON expression")
            .ValidateOnStart();
        services.AddOptions<AuthOptions>().Bind(builder.Configuration.GetSection(AuthOptions.Section))
            .Validate(o => o.TokenLifetime > TimeSpan.Zero && o.RefreshTokenLifetime > TimeSpan.Zero, "token lifetimes must be positive")
            .Validate(o => o.MaxFailedLogins >= 1 && o.MaxFailedLoginsPerAddress >= 1, "Registry:Auth:MaxFailedLogins and MaxFailedLoginsPerAddress must be at least 1")
            .Validate(o => o.MaxConcurrentPasswordChecks >= 1, "Registry:Auth:MaxConcurrentPasswordChecks must be at least 1")
            .ValidateOnStart();
        services.AddOptions<SigningOptions>().Bind(builder.Configuration.GetSection(SigningOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Queue) && !string.IsNullOrWhiteSpace(o.Certificate) && !string.IsNullOrWhiteSpace(o.Name),
                "Registry:Signing:Queue, Certificate and Name must be set")
            .Validate(o => o.DecisionCacheLifetime > TimeSpan.Zero, "Registry:Signing:DecisionCacheLifetime must be positive")
            .ValidateOnStart();
        services.AddOptions<EventOptions>().Bind(builder.Configuration.GetSection(EventOptions.Section))
            .Validate(o => o.Publisher.ToLowerInvariant() is "queue" or "servicebus" or "none", "Registry:Events:Publisher must be queue, servicebus or none")
            .Validate(o => !string.Equals(o.Publisher, "servicebus", StringComparison.OrdinalIgnoreCase) || !string.IsNullOrWhiteSpace(o.ServiceBusNamespace),
                "Registry:Events:ServiceBusNamespace must be set for the servicebus publisher")
            .ValidateOnStart();
        services.AddOptions<WebhookOptions>().Bind(builder.Configuration.GetSection(WebhookOptions.Section))
            .Validate(o => !string.IsNullOrWhiteSpace(o.Queue), "Registry:Webhooks:Queue must be set")
            .Validate(o => o.MaxAttempts >= 1 && o.DeactivateAfter >= 1, "Registry:Webhooks:MaxAttempts and DeactivateAfter must be at least 1")
            .Validate(o => o.RetryDelay > TimeSpan.Zero && o.MaxRetryDelay >= o.RetryDelay && o.MaxRetryDelay <= TimeSpan.FromDays(6),
                "Registry:Webhooks:RetryDelay must be positive and MaxRetryDelay between it and 6 days")
            .Validate(o => o.Timeout > TimeSpan.Zero && o.LogRetention > TimeSpan.Zero, "Registry:Webhooks:Timeout and LogRetention must be positive")
            .Validate(o => o.AllowedNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)), "Registry:Webhooks:AllowedNetworks must be networks in CIDR notation")
            .ValidateOnStart();
        services.AddOptions<AuditOptions>().Bind(builder.Configuration.GetSection(AuditOptions.Section))
            .Validate(o => o.Retention > TimeSpan.Zero && o.MaxEntries >= 1, "Registry:Audit:Retention must be positive and MaxEntries at least 1")
            .ValidateOnStart();
        services.AddOptions<MirroringOptions>().Bind(builder.Configuration.GetSection(MirroringOptions.Section))
            .Validate(o => o.Timeout > TimeSpan.Zero, "Registry:Mirroring:Timeout must be positive")
            .Validate(o => !string.IsNullOrWhiteSpace(o.Queue), "Registry:Mirroring:Queue must be set")
            .ValidateOnStart();
        services.AddOptions<CacheOptions>().Bind(builder.Configuration.GetSection(CacheOptions.Section))
            .Validate(o => !o.Enabled || o.UpstreamUri() is not null, "Registry:Cache:Upstream must be an http(s) URL")
            .Validate(o => !o.Origin || o.Enabled, "Registry:Cache:Origin needs Registry:Cache:Upstream")
            .Validate(o => o.TagRevalidateAfter >= TimeSpan.Zero && o.FetchWait > TimeSpan.Zero && o.UpstreamTimeout > TimeSpan.Zero
                && o.FetchClaimLifetime > TimeSpan.Zero && o.MaxBytes >= 0, "Registry:Cache durations and sizes must be positive")
            .Validate(o => CronSchedule.TryParse(o.Schedule, out _), "Registry:Cache:Schedule must be a six-field CRON expression")
            .Validate(o => o.Warm.All(w => Caching.CacheMaintenance.TryParseWarm(w, out _, out _)),
                "Registry:Cache:Warm entries must be repository:tag-pattern (a valid regular expression)")
            .ValidateOnStart();
        services.AddOptions<TelemetryOptions>().Bind(builder.Configuration.GetSection(TelemetryOptions.Section))
            .Validate(o => !o.Prometheus || o.PrometheusToken is { Length: >= 16 },
                "Registry:Telemetry:PrometheusToken (16 characters or more) must be set to serve /metrics")
            .ValidateOnStart();
        // The registry's spans and metrics; the hosts add their exporters (Azure Monitor, Prometheus).
        services.AddOpenTelemetry()
            .WithTracing(t => t.AddSource(Telemetry.RegistryTelemetry.Name))
            .WithMetrics(m => m.AddMeter(Telemetry.RegistryTelemetry.Name));

        services.AddMemoryCache();
        services.AddSingleton(TimeProvider.System);

        services.AddSingleton<UploadHashCache>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<PermissionService>();
        services.AddSingleton<GrantService>();
        services.AddHostedService<AdminBootstrap>();

        services.AddSingleton<BlobService>();
        services.AddSingleton<UploadService>();
        services.AddSingleton<TagService>();
        services.AddSingleton<ImageConfigReader>();
        services.AddSingleton<RegistrySettingsService>();
        services.AddSingleton<PruningService>();
        services.AddSingleton<PromotionService>();
        services.AddSingleton<ManifestService>();
        // What follows a manifest push, in this order: the source's promotion policies, the scan on push, signing, counts, events.
        services.AddSingleton<IAfterPushStep, PromotionStep>();
        services.AddSingleton<IAfterPushStep, ScanOnPushStep>();
        services.AddSingleton<IAfterPushStep, SigningStep>();
        services.AddSingleton<IAfterPushStep, MirroringStep>();
        services.AddSingleton<IAfterPushStep, CountStep>();
        services.AddSingleton<IAfterPushStep, EventStep>();
        services.AddSingleton<PushPipeline>();
        services.AddSingleton<GarbageCollector>();
        services.AddSingleton<GcService>();
        services.AddSingleton<DiscoveryService>();
        services.AddSingleton<Caching.UpstreamRegistry>();
        services.AddSingleton<Caching.PullThroughCache>();
        services.AddSingleton<Caching.OriginKeys>();
        services.AddSingleton<Caching.ContentCacheService>();
        services.AddSingleton<Caching.CacheMaintenance>();

        // Layer analysis: the first parser that matches a file reads it, so the Go parser (any executable) is last.
        services.AddSingleton<IPackageFileParser, ApkInstalledParser>();
        services.AddSingleton<IPackageFileParser, DpkgStatusParser>();
        services.AddSingleton<IPackageFileParser, RpmDatabaseParser>();
        services.AddSingleton<IPackageFileParser, NpmParser>();
        services.AddSingleton<IPackageFileParser, PythonParser>();
        services.AddSingleton<IPackageFileParser, DepsJsonParser>();
        services.AddSingleton<IPackageFileParser, JarParser>();
        services.AddSingleton<IPackageFileParser, GoBinaryParser>();
        services.AddSingleton<LayerAnalyzer>();
        services.AddSingleton<VulnerabilityDatabase>();
        services.AddSingleton<ScanResults>();
        services.AddSingleton<ScanQueue>();
        services.AddSingleton<ScanService>();
        services.AddSingleton<SigningCredentials>();
        services.AddSingleton<SignatureService>();
        services.AddSingleton<TrustPolicyService>();
        services.AddSingleton<SigningPolicyService>();
        services.AddSingleton<SigningService>();
        services.AddSingleton<SealingVault>();
        services.AddSingleton<TrustDataService>();

        services.AddSingleton<BlobHandlers>();
        services.AddSingleton<UploadHandlers>();
        services.AddSingleton<ManifestHandlers>();
        services.AddSingleton<DiscoveryHandlers>();
        services.AddSingleton<TrustHandlers>();
        services.AddSingleton<OciHandlers>();
        services.AddSingleton<RequestReport>();
        services.AddSingleton<RequestMeter>();
        services.AddSingleton<HealthService>();
        services.AddSingleton<ClusterService>();
        services.AddSingleton<Jobs.JobService>();
        services.AddSingleton<Audit.AuditService>();
        // what a job logs at Information or above goes into its record, whatever the other providers' levels
        services.AddSingleton<ILoggerProvider, Jobs.JobLogProvider>();
        builder.Logging.AddFilter<Jobs.JobLogProvider>(null, LogLevel.Information);
        services.AddSingleton<Events.EventService>();
        services.AddSingleton<Events.EndpointPolicy>();
        services.AddSingleton<Events.WebhookSender>();
        services.AddSingleton<Events.WebhookService>();
        services.AddSingleton<RepositoryCounters>();
        services.AddSingleton<HealthEndpoints>();
        services.AddSingleton<RegistryAuthorizer>();
        services.AddSingleton<RegistryDispatcher>();
        services.AddSingleton<TokenEndpoint>();

        services.AddSingleton<AccountService>();
        services.AddSingleton<RepositoryApiService>();
        services.AddSingleton<ImageApiService>();
        services.AddSingleton<SettingsApiService>();
        services.AddSingleton<SearchApiService>();
        services.AddSingleton<Mirroring.MirroringPolicyService>();
        services.AddSingleton<Mirroring.MirroringService>();
        services.AddSingleton<MirroringApiService>();
        services.AddSingleton<SystemApiService>();
        services.AddSingleton<ScanApiService>();
        services.AddSingleton<SigningApiService>();
        services.AddSingleton<WebhookApiService>();
        services.AddSingleton<ContentCacheApiService>();
        services.AddSingleton<DtrHandlers>();
        services.AddSingleton<DtrDispatcher>();
        return builder;
    }
}
