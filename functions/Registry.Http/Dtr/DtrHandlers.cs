using Registry.Http;

namespace Registry.Dtr;

/// <summary>The handlers of /api/v0 and /enzi/v0: each binds the request, calls one service method and maps the result.</summary>
public sealed class DtrHandlers(
    RepositoryApiService repositories, ImageApiService images, SettingsApiService settings, SearchApiService search, MirroringApiService mirroring, AccountService accounts, SystemApiService system, ScanApiService scanning, SigningApiService signing,
    WebhookApiService webhooks, Health.ClusterService cluster, ContentCacheApiService contentCaches)
{
    private const int DefaultPageSize = 10;

    // ---- /api/v0/repositories ------------------------------------------------------------------------------

    public async Task<HttpResult> ListRepositoriesAsync(DtrRequest r, CancellationToken ct)
    {
        var ns = r.Route["ns"].Success ? r["ns"] : null;
        var (list, next) = await repositories.ListAsync(r.Principal, ns, r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), ct);
        return WithNext(HttpResult.Json(200, list), next);
    }

    public async Task<HttpResult> CreateRepositoryAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await repositories.CreateAsync(r.Principal, r["ns"], await r.BodyAsync<RepositoryCreate>(ct), ct));

    public async Task<HttpResult> GetRepositoryAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.GetAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<HttpResult> UpdateRepositoryAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.UpdateAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<RepositoryCreate>(ct), ct));

    public async Task<HttpResult> DeleteRepositoryAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.DeleteAsync(r.Principal, r["ns"], r["repo"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> PushMirrorTagAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await mirroring.PushTagAsync(r.Principal, r["ns"], r["repo"], r["tag"], await r.BodyAsync<RemoteForm>(ct), ct));

    /// <summary>A repository's push or poll mirroring policies (the route's <c>kind</c>).</summary>
    public async Task<HttpResult> ListMirroringPoliciesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await mirroring.ListPoliciesAsync(r.Principal, r["ns"], r["repo"], r["kind"], ct));

    public async Task<HttpResult> CreateMirroringPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await mirroring.SavePolicyAsync(r.Principal, r["ns"], r["repo"], r["kind"], null,
            await r.BodyAsync<MirroringPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> GetMirroringPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await mirroring.GetPolicyAsync(r.Principal, r["ns"], r["repo"], r["kind"], r["id"], ct));

    public async Task<HttpResult> UpdateMirroringPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await mirroring.SavePolicyAsync(r.Principal, r["ns"], r["repo"], r["kind"], r["id"],
            await r.BodyAsync<MirroringPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> DeleteMirroringPolicyAsync(DtrRequest r, CancellationToken ct)
    {
        await mirroring.DeletePolicyAsync(r.Principal, r["ns"], r["repo"], r["kind"], r["id"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListAllMirroringPoliciesAsync(DtrRequest r, CancellationToken ct)
    {
        var (policies, next) = await mirroring.ListAllPoliciesAsync(r.Principal, r["ns"], r["repo"], r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), ct);
        return WithNext(HttpResult.Json(200, policies), next);
    }

    public async Task<HttpResult> DeleteMirroringPoliciesAsync(DtrRequest r, CancellationToken ct)
    {
        await mirroring.DeletePoliciesAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<List<MirroringPolicyIdBody>>(ct), ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> CheckRemoteRegistryAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await mirroring.CheckAsync(await r.BodyAsync<RemoteForm>(ct), ct));

    public async Task<HttpResult> DeleteNamespaceRepositoriesAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.DeleteAllAsync(r.Principal, r["ns"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListTagsAsync(DtrRequest r, CancellationToken ct)
    {
        var (tags, next) = await images.ListTagsAsync(
            r.Principal, r["ns"], r["repo"], r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), r.Flag("includeManifests", false), ct);
        return WithNext(HttpResult.Json(200, tags), next);
    }

    public async Task<HttpResult> GetTagAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await images.GetTagAsync(r.Principal, r["ns"], r["repo"], r["tag"], r.Query("os"), r.Query("arch"), ct));

    public async Task<HttpResult> DeleteTagAsync(DtrRequest r, CancellationToken ct)
    {
        await images.DeleteTagAsync(r.Principal, r["ns"], r["repo"], r["tag"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListManifestsAsync(DtrRequest r, CancellationToken ct)
    {
        var (manifests, next) = await images.ListManifestsAsync(r.Principal, r["ns"], r["repo"], r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), ct);
        return WithNext(HttpResult.Json(200, manifests), next);
    }

    public async Task<HttpResult> DeleteManifestAsync(DtrRequest r, CancellationToken ct)
    {
        await images.DeleteManifestAsync(r.Principal, r["ns"], r["repo"], r["reference"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListTeamAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.ListTeamAccessAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<HttpResult> SetTeamAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.SetTeamAccessAsync(r.Principal, r["ns"], r["repo"], r["team"], await r.BodyAsync<TeamAccessPut>(ct), ct));

    public async Task<HttpResult> RemoveTeamAccessAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.RemoveTeamAccessAsync(r.Principal, r["ns"], r["repo"], r["team"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListNamespaceTeamAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.ListNamespaceTeamAccessAsync(r.Principal, r["ns"], ct));

    public async Task<HttpResult> GetUserRepositoryAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.GetUserRepositoryAccessAsync(r.Principal, r["user"], r["ns"], r["repo"], ct));

    public async Task<HttpResult> ListTeamRepositoryAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.ListTeamRepositoryAccessAsync(r.Principal, r["ns"], r["team"], ct));

    public async Task<HttpResult> GetNamespaceTeamAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.GetNamespaceTeamAccessAsync(r.Principal, r["ns"], r["team"], ct));

    public async Task<HttpResult> SetNamespaceTeamAccessAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.SetNamespaceTeamAccessAsync(r.Principal, r["ns"], r["team"], await r.BodyAsync<TeamAccessPut>(ct), ct));

    public async Task<HttpResult> RemoveNamespaceTeamAccessAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.RemoveNamespaceTeamAccessAsync(r.Principal, r["ns"], r["team"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListPruningPoliciesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.ListPruningPoliciesAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<HttpResult> CreatePruningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await repositories.SavePruningPolicyAsync(r.Principal, r["ns"], r["repo"], null,
            await r.BodyAsync<PruningPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> TestPruningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.TestPruningPolicyAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<PruningPolicyBody>(ct), ct));

    public async Task<HttpResult> GetPruningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.GetPruningPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct));

    public async Task<HttpResult> UpdatePruningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.SavePruningPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"],
            await r.BodyAsync<PruningPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> DeletePruningPolicyAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.DeletePruningPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListPromotionPoliciesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.ListPromotionPoliciesAsync(r.Principal, r["ns"], r["repo"], r.Flag("source", true), ct));

    public async Task<HttpResult> CreatePromotionPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await repositories.SavePromotionPolicyAsync(r.Principal, r["ns"], r["repo"], null,
            await r.BodyAsync<PromotionPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> GetPromotionPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.GetPromotionPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct));

    public async Task<HttpResult> UpdatePromotionPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.SavePromotionPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"],
            await r.BodyAsync<PromotionPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> DeletePromotionPolicyAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.DeletePromotionPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct);
        return HttpResult.Empty(204);
    }

    // ---- operations ---------------------------------------------------------------------------------------------

    public async Task<HttpResult> AutocompleteAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await search.AutocompleteAsync(r.Principal, r.Query("query"), r.Flag("includeRepositories", true), r.Flag("includeAccounts", true),
            r.Query("namespace"), Math.Min(r.PageSize("limit", 25), SearchApiService.MaxLimit), ct));

    /// <summary>DTR's <c>q</c>; <c>docker search</c> sends <c>n</c> for how many it shows.</summary>
    public async Task<HttpResult> SearchDockerAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await search.SearchAsync(r.Principal, r.Query("q"), Math.Min(r.PageSize("n", 25), SearchApiService.MaxLimit), ct));

    public async Task<HttpResult> GetSettingsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await settings.GetAsync(ct));

    public async Task<HttpResult> UpdateSettingsAsync(DtrRequest r, CancellationToken ct)
    {
        await settings.UpdateAsync(await r.BodyAsync<System.Text.Json.JsonElement>(ct), ct);
        return HttpResult.Empty(202);
    }

    public async Task<HttpResult> ListAlertsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await settings.ListAlertsAsync(ct));

    public async Task<HttpResult> GetFeaturesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await scanning.GetFeaturesAsync(ct));

    public async Task<HttpResult> ToggleScanOnPushAsync(DtrRequest r, CancellationToken ct)
    {
        await repositories.SetScanOnPushForAllAsync(await r.BodyAsync<ScanOnPushToggle>(ct), ct);
        return HttpResult.Empty(200);
    }

    public async Task<HttpResult> GetClusterStatusAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await cluster.GetStatusAsync(ct));

    // ---- content caches ---------------------------------------------------------------------------------------

    public async Task<HttpResult> ListContentCachesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await contentCaches.ListAsync(ct));

    public async Task<HttpResult> CreateContentCacheAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await contentCaches.CreateAsync(await r.BodyAsync<ContentCacheCreate>(ct), ct));

    public async Task<HttpResult> GetContentCacheAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await contentCaches.GetAsync(r["id"], ct));

    public async Task<HttpResult> DeleteContentCacheAsync(DtrRequest r, CancellationToken ct)
    {
        await contentCaches.DeleteAsync(r["id"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> GetUserSettingsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await contentCaches.GetSettingsAsync(r.Principal, r["user"], ct));

    public async Task<HttpResult> UpdateUserSettingsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await contentCaches.UpdateSettingsAsync(r.Principal, r["user"], await r.BodyAsync<UserSettingsPatch>(ct), ct));

    // ---- webhooks -----------------------------------------------------------------------------------------------

    public async Task<HttpResult> CreateWebhookAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await webhooks.CreateAsync(r.Principal, await r.BodyAsync<WebhookCreate>(ct), ct));

    public async Task<HttpResult> ListWebhooksAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await webhooks.ListAsync(r.Principal, ct));

    public async Task<HttpResult> ListRepositoryWebhooksAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await webhooks.ListForRepositoryAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<HttpResult> UpdateWebhookAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await webhooks.UpdateAsync(r.Principal, await r.BodyAsync<WebhookUpdate>(ct), ct));

    public async Task<HttpResult> TestWebhookAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await webhooks.TestAsync(await r.BodyAsync<WebhookTest>(ct), ct));

    public async Task<HttpResult> DeleteWebhookAsync(DtrRequest r, CancellationToken ct)
    {
        await webhooks.DeleteAsync(r.Principal, r["id"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListWebhookDeliveriesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await webhooks.ListDeliveriesAsync(r.Principal, r["id"], r.PageSize("limit", 20), ct));

    // ---- signing and trust -----------------------------------------------------------------------------------

    public async Task<HttpResult> ListSigningPoliciesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.ListPoliciesAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<HttpResult> CreateSigningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await signing.SavePolicyAsync(r.Principal, r["ns"], r["repo"], null,
            await r.BodyAsync<SigningPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> TestSigningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.TestPolicyAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<SigningPolicyBody>(ct), ct));

    public async Task<HttpResult> GetSigningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.GetPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct));

    public async Task<HttpResult> UpdateSigningPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.SavePolicyAsync(r.Principal, r["ns"], r["repo"], r["id"],
            await r.BodyAsync<SigningPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<HttpResult> DeleteSigningPolicyAsync(DtrRequest r, CancellationToken ct)
    {
        await signing.DeletePolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> GetTrustPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.GetRepositoryTrustAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<HttpResult> SetTrustPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.SetRepositoryTrustAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<TrustPolicyBody>(ct), ct));

    public async Task<HttpResult> DeleteTrustPolicyAsync(DtrRequest r, CancellationToken ct)
    {
        await signing.DeleteRepositoryTrustAsync(r.Principal, r["ns"], r["repo"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> GetNamespaceTrustPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.GetNamespaceTrustAsync(r.Principal, r["ns"], ct));

    public async Task<HttpResult> SetNamespaceTrustPolicyAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.SetNamespaceTrustAsync(r.Principal, r["ns"], await r.BodyAsync<TrustPolicyBody>(ct), ct));

    public async Task<HttpResult> DeleteNamespaceTrustPolicyAsync(DtrRequest r, CancellationToken ct)
    {
        await signing.DeleteNamespaceTrustAsync(r.Principal, r["ns"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListSignaturesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await signing.ListSignaturesAsync(r.Principal, r["ns"], r["repo"], r["digest"], ct));

    public async Task<HttpResult> GetSigningCertificateAuthorityAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Empty(200).WithBody(System.Text.Encoding.ASCII.GetBytes(await signing.GetCertificateAuthorityAsync(ct)), "application/x-pem-file");

    public async Task<HttpResult> PromoteTagAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await repositories.PromoteAsync(r.Principal, r["ns"], r["repo"], r["tag"], await r.BodyAsync<PromotionBody>(ct), ct));

    // ---- /api/v0/imagescan ------------------------------------------------------------------------------------

    public async Task<HttpResult> ScanImageAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(202, await scanning.ScanAsync(r.Principal, r["ns"], r["repo"], r["reference"], Optional(r, "os"), Optional(r, "arch"), ct));

    public async Task<HttpResult> GetScanSummaryAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await scanning.GetSummaryAsync(r.Principal, r["ns"], r["repo"], r["reference"], r.Query("os"), r.Query("arch"), ct));

    /// <summary>DTR's export: CSV unless the client asks for JSON only (then the summary itself).</summary>
    public async Task<HttpResult> ExportScanSummaryAsync(DtrRequest r, CancellationToken ct)
    {
        var accept = r.Http.Headers.Accept.ToString();
        if (accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            return await GetScanSummaryAsync(r, ct);
        }

        var csv = await scanning.ExportCsvAsync(r.Principal, r["ns"], r["repo"], r["reference"], r.Query("os"), r.Query("arch"), ct);
        return HttpResult.Empty(200).WithBody(System.Text.Encoding.UTF8.GetBytes(csv), "text/csv; charset=utf-8")
            .WithHeader("Content-Disposition", $"attachment; filename=\"{r["ns"]}-{r["repo"]}-{r["reference"].Replace(':', '-')}.csv\"");
    }

    public async Task<HttpResult> FindScannedImagesAsync(DtrRequest r, CancellationToken ct)
    {
        var (page, next) = await scanning.FindAsync(r.Principal, r["kind"], Uri.UnescapeDataString(r["value"]), r.Query("pageStart"), r.PageSize("pageSize", 10), ct);
        return WithNext(HttpResult.Json(200, page), next);
    }

    public async Task<HttpResult> GetLegacyScanSummaryAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await scanning.GetLegacySummaryAsync(r.Principal, r["ns"], r["repo"], r["reference"], r.Flag("detailed", true), ct));

    public async Task<HttpResult> GetScanCountsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await scanning.GetCountsAsync(r.Principal, await r.BodyAsync<BatchCountsRequest>(ct), ct));

    public async Task<HttpResult> GetScannerStatusAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await scanning.GetStatusAsync(r.Principal, ct));

    /// <summary>The body is the database itself (any content type), or a multipart form whose <c>file</c> part is.</summary>
    public async Task<HttpResult> UpdateVulnerabilityDatabaseAsync(DtrRequest r, CancellationToken ct)
    {
        var online = r.Flag("online", false);
        var upload = online ? null : await r.FileOrBodyAsync("file", ct);
        return HttpResult.Json(200, await scanning.UpdateDatabaseAsync(r.Principal, upload, online, ct));
    }

    public async Task<HttpResult> ListScanOverridesAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await scanning.ListOverridesAsync(r.Principal, ct));

    public async Task<HttpResult> AddScanOverrideAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await scanning.AddOverrideAsync(r.Principal, r["layer"], await r.BodyAsync<ScanOverrideBody>(ct), ct));

    public async Task<HttpResult> DeleteScanOverrideAsync(DtrRequest r, CancellationToken ct)
    {
        await scanning.DeleteOverrideAsync(r.Principal, r["id"], ct);
        return HttpResult.Empty(204);
    }

    private static string? Optional(DtrRequest r, string group) => r.Route[group].Success ? r[group] : null;

    // ---- /api/v0/crons, /api/v0/jobs --------------------------------------------------------------------------

    public async Task<HttpResult> ListCronsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.ListCronsAsync(r.Principal, ct));

    public async Task<HttpResult> GetCronAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.GetCronAsync(r.Principal, r["action"], ct));

    public async Task<HttpResult> UpdateCronAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.UpdateCronAsync(r.Principal, r["action"], await r.BodyAsync<CronUpdate>(ct), ct));

    public async Task<HttpResult> ListAuditAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.ListAuditAsync(r.Query("start"), r.PageSize("limit", 50), ct));

    public async Task<HttpResult> ListRepositoryActivityAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await repositories.ListActivityAsync(r.Principal, r["ns"], r["repo"], r.Query("start"), r.PageSize("limit", 50), ct));

    public async Task<HttpResult> ListJobsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.ListJobsAsync(r.Query("action"), r.Query("running"), r.Query("start"), r.PageSize("limit", 20), ct));

    public async Task<HttpResult> GetJobAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.GetJobAsync(r["id"], ct));

    public async Task<HttpResult> CancelJobAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(202, await system.CancelJobAsync(r["id"], ct));

    public async Task<HttpResult> DeleteJobAsync(DtrRequest r, CancellationToken ct)
    {
        await system.DeleteJobAsync(r["id"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> GetJobLogsAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await system.GetJobLogsAsync(r["id"], int.TryParse(r.Query("offset"), out var offset) ? offset : 0, r.PageSize("limit", Jobs.JobService.MaxLogLines), ct));

    public async Task<HttpResult> RunJobAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(202, await system.RunJobAsync(r.Principal, await r.BodyAsync<JobCreate>(ct), ct));

    // ---- /api/v0/api_tokens ----------------------------------------------------------------------------------

    /// <summary>200 with the new token, as DTR answers.</summary>
    public async Task<HttpResult> CreateTokenAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.CreateTokenAsync(r.Principal, await r.BodyAsync<ApiTokenCreate>(ct), r.Http.Headers.UserAgent.ToString(), ct))
            .WithHeader("Cache-Control", "no-store");

    public async Task<HttpResult> ListTokensAsync(DtrRequest r, CancellationToken ct)
    {
        var (tokens, next) = await accounts.ListTokensAsync(r.Principal, r.Query("username"), r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), ct);
        return WithNext(HttpResult.Json(200, tokens), next);
    }

    public async Task<HttpResult> GetTokenAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.GetTokenAsync(r.Principal, r["token"], ct));

    public async Task<HttpResult> DeleteTokensAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, new TokenCleanupView(await accounts.DeleteTokensAsync(r.Principal, r.Query("username"), r.Query("usedbefore"), r.Query("generatedby"), ct)));

    public async Task<HttpResult> UpdateTokenAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.UpdateTokenAsync(r.Principal, r["token"], await r.BodyAsync<ApiTokenPatch>(ct), ct));

    public async Task<HttpResult> RevokeTokenAsync(DtrRequest r, CancellationToken ct)
    {
        await accounts.RevokeTokenAsync(r.Principal, r["token"], ct);
        return HttpResult.Empty(204);
    }

    // ---- /enzi/v0/accounts -----------------------------------------------------------------------------------

    public async Task<HttpResult> ListAccountsAsync(DtrRequest r, CancellationToken ct)
    {
        var list = await accounts.ListAccountsAsync(r.Principal, r.Query("start"), r.PageSize("limit", DefaultPageSize), r.Query("filter"), ct);
        return WithNext(HttpResult.Json(200, list), list.NextPageStart);
    }

    public async Task<HttpResult> CreateAccountAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await accounts.CreateAccountAsync(r.Principal, await r.BodyAsync<AccountCreate>(ct), ct));

    public async Task<HttpResult> GetAccountAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.GetAccountAsync(r.Principal, r["user"], ct));

    public async Task<HttpResult> UpdateAccountAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.UpdateAccountAsync(r.Principal, r["user"], await r.BodyAsync<AccountPatch>(ct), ct));

    public async Task<HttpResult> RevokeSessionsAsync(DtrRequest r, CancellationToken ct)
    {
        await accounts.RevokeSessionsAsync(r.Principal, r["user"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> DeleteAccountAsync(DtrRequest r, CancellationToken ct)
    {
        await accounts.DeleteAccountAsync(r.Principal, r["user"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListOrgMembersAsync(DtrRequest r, CancellationToken ct)
    {
        var list = await accounts.ListOrgMembersAsync(r.Principal, r["ns"], r.Query("start"), r.PageSize("limit", DefaultPageSize), r.Query("filter"), ct);
        return WithNext(HttpResult.Json(200, list), list.NextPageStart);
    }

    public async Task<HttpResult> SetOrgMemberAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.SetOrgMemberAsync(r.Principal, r["ns"], r["user"], await r.BodyAsync<MemberPut>(ct), ct));

    public async Task<HttpResult> RemoveOrgMemberAsync(DtrRequest r, CancellationToken ct)
    {
        await accounts.RemoveOrgMemberAsync(r.Principal, r["ns"], r["user"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListTeamsAsync(DtrRequest r, CancellationToken ct)
    {
        var list = await accounts.ListTeamsAsync(r.Principal, r["ns"], r.Query("start"), r.PageSize("limit", DefaultPageSize), ct);
        return WithNext(HttpResult.Json(200, list), list.NextPageStart);
    }

    public async Task<HttpResult> CreateTeamAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(201, await accounts.CreateTeamAsync(r.Principal, r["ns"], await r.BodyAsync<TeamCreate>(ct), ct));

    public async Task<HttpResult> GetTeamAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.GetTeamAsync(r.Principal, r["ns"], r["team"], ct));

    public async Task<HttpResult> UpdateTeamAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.UpdateTeamAsync(r.Principal, r["ns"], r["team"], await r.BodyAsync<TeamCreate>(ct), ct));

    public async Task<HttpResult> DeleteTeamAsync(DtrRequest r, CancellationToken ct)
    {
        await accounts.DeleteTeamAsync(r.Principal, r["ns"], r["team"], ct);
        return HttpResult.Empty(204);
    }

    public async Task<HttpResult> ListTeamMembersAsync(DtrRequest r, CancellationToken ct)
    {
        var list = await accounts.ListTeamMembersAsync(r.Principal, r["ns"], r["team"], r.Query("start"), r.PageSize("limit", DefaultPageSize), r.Query("filter"), ct);
        return WithNext(HttpResult.Json(200, list), list.NextPageStart);
    }

    public async Task<HttpResult> SetTeamMemberAsync(DtrRequest r, CancellationToken ct) =>
        HttpResult.Json(200, await accounts.SetTeamMemberAsync(r.Principal, r["ns"], r["team"], r["user"], await r.BodyAsync<MemberPut>(ct), ct));

    public async Task<HttpResult> RemoveTeamMemberAsync(DtrRequest r, CancellationToken ct)
    {
        await accounts.RemoveTeamMemberAsync(r.Principal, r["ns"], r["team"], r["user"], ct);
        return HttpResult.Empty(204);
    }

    private static HttpResult WithNext(HttpResult result, string? next) =>
        string.IsNullOrEmpty(next) ? result : result.WithHeader("X-Next-Page-Start", next);
}
