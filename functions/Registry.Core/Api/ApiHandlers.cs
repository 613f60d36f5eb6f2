using Registry.Http;

namespace Registry.Api;

/// <summary>The handlers of /api/v0 and /enzi/v0: each binds the request, calls one service method and maps the result.</summary>
public sealed class ApiHandlers(RepositoryApiService repositories, AccountService accounts, SystemApiService system, ScanApiService scanning)
{
    private const int DefaultPageSize = 10;

    // ---- /api/v0/repositories ------------------------------------------------------------------------------

    public async Task<OciResult> ListRepositoriesAsync(ApiRequest r, CancellationToken ct)
    {
        var ns = r.Route["ns"].Success ? r["ns"] : null;
        var (list, next) = await repositories.ListAsync(r.Principal, ns, r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), ct);
        return WithNext(OciResult.Json(200, list), next);
    }

    public async Task<OciResult> CreateRepositoryAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await repositories.CreateAsync(r.Principal, r["ns"], await r.BodyAsync<RepositoryCreate>(ct), ct));

    public async Task<OciResult> GetRepositoryAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.GetAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<OciResult> UpdateRepositoryAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.UpdateAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<RepositoryCreate>(ct), ct));

    public async Task<OciResult> DeleteRepositoryAsync(ApiRequest r, CancellationToken ct)
    {
        await repositories.DeleteAsync(r.Principal, r["ns"], r["repo"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListTagsAsync(ApiRequest r, CancellationToken ct)
    {
        var (tags, next) = await repositories.ListTagsAsync(r.Principal, r["ns"], r["repo"], r.Query("pageStart"), r.PageSize("pageSize", DefaultPageSize), ct);
        return WithNext(OciResult.Json(200, tags), next);
    }

    public async Task<OciResult> DeleteTagAsync(ApiRequest r, CancellationToken ct)
    {
        await repositories.DeleteTagAsync(r.Principal, r["ns"], r["repo"], r["tag"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListTeamAccessAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.ListTeamAccessAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<OciResult> SetTeamAccessAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.SetTeamAccessAsync(r.Principal, r["ns"], r["repo"], r["team"], await r.BodyAsync<TeamAccessPut>(ct), ct));

    public async Task<OciResult> RemoveTeamAccessAsync(ApiRequest r, CancellationToken ct)
    {
        await repositories.RemoveTeamAccessAsync(r.Principal, r["ns"], r["repo"], r["team"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListNamespaceTeamAccessAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.ListNamespaceTeamAccessAsync(r.Principal, r["ns"], ct));

    public async Task<OciResult> SetNamespaceTeamAccessAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.SetNamespaceTeamAccessAsync(r.Principal, r["ns"], r["team"], await r.BodyAsync<TeamAccessPut>(ct), ct));

    public async Task<OciResult> RemoveNamespaceTeamAccessAsync(ApiRequest r, CancellationToken ct)
    {
        await repositories.RemoveNamespaceTeamAccessAsync(r.Principal, r["ns"], r["team"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListPruningPoliciesAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.ListPruningPoliciesAsync(r.Principal, r["ns"], r["repo"], ct));

    public async Task<OciResult> CreatePruningPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await repositories.SavePruningPolicyAsync(r.Principal, r["ns"], r["repo"], null,
            await r.BodyAsync<PruningPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<OciResult> TestPruningPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.TestPruningPolicyAsync(r.Principal, r["ns"], r["repo"], await r.BodyAsync<PruningPolicyBody>(ct), ct));

    public async Task<OciResult> GetPruningPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.GetPruningPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct));

    public async Task<OciResult> UpdatePruningPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.SavePruningPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"],
            await r.BodyAsync<PruningPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<OciResult> DeletePruningPolicyAsync(ApiRequest r, CancellationToken ct)
    {
        await repositories.DeletePruningPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListPromotionPoliciesAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.ListPromotionPoliciesAsync(r.Principal, r["ns"], r["repo"], r.Flag("source", true), ct));

    public async Task<OciResult> CreatePromotionPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await repositories.SavePromotionPolicyAsync(r.Principal, r["ns"], r["repo"], null,
            await r.BodyAsync<PromotionPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<OciResult> GetPromotionPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.GetPromotionPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct));

    public async Task<OciResult> UpdatePromotionPolicyAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await repositories.SavePromotionPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"],
            await r.BodyAsync<PromotionPolicyBody>(ct), r.Flag("initialEvaluation", true), ct));

    public async Task<OciResult> DeletePromotionPolicyAsync(ApiRequest r, CancellationToken ct)
    {
        await repositories.DeletePromotionPolicyAsync(r.Principal, r["ns"], r["repo"], r["id"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> PromoteTagAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await repositories.PromoteAsync(r.Principal, r["ns"], r["repo"], r["tag"], await r.BodyAsync<PromotionBody>(ct), ct));

    // ---- /api/v0/imagescan ------------------------------------------------------------------------------------

    public async Task<OciResult> ScanImageAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(202, await scanning.ScanAsync(r.Principal, r["ns"], r["repo"], r["reference"], Optional(r, "os"), Optional(r, "arch"), ct));

    public async Task<OciResult> GetScanSummaryAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await scanning.GetSummaryAsync(r.Principal, r["ns"], r["repo"], r["reference"], r.Query("os"), r.Query("arch"), ct));

    public async Task<OciResult> GetLegacyScanSummaryAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await scanning.GetLegacySummaryAsync(r.Principal, r["ns"], r["repo"], r["reference"], r.Flag("detailed", false), ct));

    public async Task<OciResult> GetScanCountsAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await scanning.GetCountsAsync(r.Principal, await r.BodyAsync<BatchCountsRequest>(ct), ct));

    public async Task<OciResult> GetScannerStatusAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await scanning.GetStatusAsync(r.Principal, ct));

    /// <summary>The body is the database itself (any content type), or a multipart form whose <c>file</c> part is.</summary>
    public async Task<OciResult> UpdateVulnerabilityDatabaseAsync(ApiRequest r, CancellationToken ct)
    {
        var online = r.Flag("online", false);
        var upload = online ? null : await r.FileOrBodyAsync("file", ct);
        return OciResult.Json(200, await scanning.UpdateDatabaseAsync(r.Principal, upload, online, ct));
    }

    public async Task<OciResult> ListScanOverridesAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await scanning.ListOverridesAsync(r.Principal, ct));

    public async Task<OciResult> AddScanOverrideAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await scanning.AddOverrideAsync(r.Principal, r["layer"], await r.BodyAsync<ScanOverrideBody>(ct), ct));

    public async Task<OciResult> DeleteScanOverrideAsync(ApiRequest r, CancellationToken ct)
    {
        await scanning.DeleteOverrideAsync(r.Principal, r["id"], ct);
        return OciResult.Empty(204);
    }

    private static string? Optional(ApiRequest r, string group) => r.Route[group].Success ? r[group] : null;

    // ---- /api/v0/crons, /api/v0/jobs --------------------------------------------------------------------------

    public async Task<OciResult> ListCronsAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await system.ListCronsAsync(r.Principal, ct));

    public async Task<OciResult> GetCronAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await system.GetCronAsync(r.Principal, r["action"], ct));

    public async Task<OciResult> UpdateCronAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await system.UpdateCronAsync(r.Principal, r["action"], await r.BodyAsync<CronUpdate>(ct), ct));

    public async Task<OciResult> RunJobAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await system.RunJobAsync(r.Principal, await r.BodyAsync<JobCreate>(ct), ct));

    // ---- /api/v0/api_tokens ----------------------------------------------------------------------------------

    public async Task<OciResult> CreateTokenAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await accounts.CreateTokenAsync(r.Principal, await r.BodyAsync<ApiTokenCreate>(ct), ct)).WithHeader("Cache-Control", "no-store");

    public async Task<OciResult> ListTokensAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.ListTokensAsync(r.Principal, ct));

    public async Task<OciResult> UpdateTokenAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.UpdateTokenAsync(r.Principal, r["token"], await r.BodyAsync<ApiTokenPatch>(ct), ct));

    public async Task<OciResult> RevokeTokenAsync(ApiRequest r, CancellationToken ct)
    {
        await accounts.RevokeTokenAsync(r.Principal, r["token"], ct);
        return OciResult.Empty(204);
    }

    // ---- /enzi/v0/accounts -----------------------------------------------------------------------------------

    public async Task<OciResult> ListAccountsAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.ListAccountsAsync(r.Principal, r.Query("start"), r.PageSize("limit", DefaultPageSize), ct));

    public async Task<OciResult> CreateAccountAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await accounts.CreateAccountAsync(r.Principal, await r.BodyAsync<AccountCreate>(ct), ct));

    public async Task<OciResult> GetAccountAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.GetAccountAsync(r.Principal, r["user"], ct));

    public async Task<OciResult> UpdateAccountAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.UpdateAccountAsync(r.Principal, r["user"], await r.BodyAsync<AccountPatch>(ct), ct));

    public async Task<OciResult> RevokeSessionsAsync(ApiRequest r, CancellationToken ct)
    {
        await accounts.RevokeSessionsAsync(r.Principal, r["user"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> DeleteAccountAsync(ApiRequest r, CancellationToken ct)
    {
        await accounts.DeleteAccountAsync(r.Principal, r["user"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListOrgMembersAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.ListOrgMembersAsync(r.Principal, r["ns"], r.Query("start"), r.PageSize("limit", DefaultPageSize), ct));

    public async Task<OciResult> SetOrgMemberAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.SetOrgMemberAsync(r.Principal, r["ns"], r["user"], await r.BodyAsync<MemberPut>(ct), ct));

    public async Task<OciResult> RemoveOrgMemberAsync(ApiRequest r, CancellationToken ct)
    {
        await accounts.RemoveOrgMemberAsync(r.Principal, r["ns"], r["user"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListTeamsAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.ListTeamsAsync(r.Principal, r["ns"], r.Query("start"), r.PageSize("limit", DefaultPageSize), ct));

    public async Task<OciResult> CreateTeamAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(201, await accounts.CreateTeamAsync(r.Principal, r["ns"], await r.BodyAsync<TeamCreate>(ct), ct));

    public async Task<OciResult> GetTeamAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.GetTeamAsync(r.Principal, r["ns"], r["team"], ct));

    public async Task<OciResult> DeleteTeamAsync(ApiRequest r, CancellationToken ct)
    {
        await accounts.DeleteTeamAsync(r.Principal, r["ns"], r["team"], ct);
        return OciResult.Empty(204);
    }

    public async Task<OciResult> ListTeamMembersAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.ListTeamMembersAsync(r.Principal, r["ns"], r["team"], r.Query("start"), r.PageSize("limit", DefaultPageSize), ct));

    public async Task<OciResult> SetTeamMemberAsync(ApiRequest r, CancellationToken ct) =>
        OciResult.Json(200, await accounts.SetTeamMemberAsync(r.Principal, r["ns"], r["team"], r["user"], await r.BodyAsync<MemberPut>(ct), ct));

    public async Task<OciResult> RemoveTeamMemberAsync(ApiRequest r, CancellationToken ct)
    {
        await accounts.RemoveTeamMemberAsync(r.Principal, r["ns"], r["team"], r["user"], ct);
        return OciResult.Empty(204);
    }

    private static OciResult WithNext(OciResult result, string? next) =>
        next is null ? result : result.WithHeader("X-Next-Page-Start", next);
}
