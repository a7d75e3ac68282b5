using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;

namespace CartCall.Functions.Features.Hooks;

/// <summary>The merchant's hooks as the admin API lists them.</summary>
public sealed record HookList(IReadOnlyList<HookRegistrationModel> Hooks);

/// <summary>Maps a registration command's result to its HTTP answer (shared by POST and PUT).</summary>
internal static class HookResults
{
    public const int MaxBody = 16 * 1024;

    public static IResult From(HookCommandResult result, string merchantId, string? hookId = null) => result.Status switch
    {
        HookCommandStatus.Created => TypedResults.Created($"/api/merchants/{merchantId}/hooks/{result.Hook!.HookId}", result.Hook),
        HookCommandStatus.Updated => TypedResults.Ok(result.Hook),
        HookCommandStatus.Deleted => TypedResults.NoContent(),
        HookCommandStatus.Invalid => Problems.BadRequest("The hook is not valid.", result.Problems),
        HookCommandStatus.MerchantNotFound => Problems.NotFound($"There is no merchant '{merchantId}'."),
        HookCommandStatus.NotFound => Problems.NotFound($"The merchant '{merchantId}' has no hook '{hookId}'."),
        _ => throw new InvalidOperationException($"Unknown hook command status {result.Status}."),
    };
}

/// <summary><c>POST /api/merchants/{merchantId}/hooks</c>: register a hook (its id from the body, or a new one).</summary>
public sealed class CreateHook(HookService hooks)
{
    [Function(nameof(CreateHook))]
    [AdminApi]
    [ApiTag("Hooks")]
    [RequestBody(typeof(HookRegistrationModel))]
    [Response(201, typeof(HookRegistrationModel))]
    [Response(200, typeof(HookRegistrationModel))]
    [Problems(400, 401, 404, 413, 415)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "merchants/{merchantId}/hooks")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        var (model, _, problem) = await JsonBody.ReadAsync<HookRegistrationModel>(request, HookResults.MaxBody, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        return HookResults.From(await hooks.CreateAsync(merchantId, model!, cancellationToken).ConfigureAwait(false), merchantId);
    }
}

/// <summary><c>PUT /api/merchants/{merchantId}/hooks/{hookId}</c>: create or replace a hook.</summary>
public sealed class PutHook(HookService hooks)
{
    [Function(nameof(PutHook))]
    [AdminApi]
    [ApiTag("Hooks")]
    [RequestBody(typeof(HookRegistrationModel))]
    [Response(200, typeof(HookRegistrationModel))]
    [Response(201, typeof(HookRegistrationModel))]
    [Problems(400, 401, 404, 413, 415)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}/hooks/{hookId}")] HttpRequest request,
        string merchantId, string hookId, CancellationToken cancellationToken)
    {
        var (model, _, problem) = await JsonBody.ReadAsync<HookRegistrationModel>(request, HookResults.MaxBody, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (!string.IsNullOrEmpty(model!.HookId) && model.HookId != hookId)
        {
            return Problems.BadRequest($"The body's hookId '{model.HookId}' differs from the route's '{hookId}'.");
        }

        model.HookId = hookId;
        return HookResults.From(await hooks.UpsertAsync(merchantId, hookId, model, cancellationToken).ConfigureAwait(false), merchantId, hookId);
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/hooks</c>: the merchant's hooks.</summary>
public sealed class ListHooks(HookService hooks, IMerchantStore merchants)
{
    [Function(nameof(ListHooks))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(200, typeof(HookList))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/hooks")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        if (await merchants.GetAsync(merchantId, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"There is no merchant '{merchantId}'.");
        }

        var list = await hooks.ListAsync(merchantId, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new HookList([.. list.OrderBy(h => h.HookId, StringComparer.Ordinal)]));
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/hooks/{hookId}</c>: one hook.</summary>
public sealed class GetHook(HookService hooks)
{
    [Function(nameof(GetHook))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(200, typeof(HookRegistrationModel))]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "merchants/{merchantId}/hooks/{hookId}")] HttpRequest request,
        string merchantId, string hookId, CancellationToken cancellationToken) =>
        await hooks.GetAsync(merchantId, hookId, cancellationToken).ConfigureAwait(false) is { } hook
            ? TypedResults.Ok(hook)
            : Problems.NotFound($"The merchant '{merchantId}' has no hook '{hookId}'.");
}

/// <summary><c>DELETE /api/merchants/{merchantId}/hooks/{hookId}</c>: remove a hook (its deliveries stay listed).</summary>
public sealed class DeleteHook(HookService hooks)
{
    [Function(nameof(DeleteHook))]
    [AdminApi]
    [ApiTag("Hooks")]
    [Response(204)]
    [Problems(401, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "merchants/{merchantId}/hooks/{hookId}")] HttpRequest request,
        string merchantId, string hookId, CancellationToken cancellationToken) =>
        HookResults.From(await hooks.DeleteAsync(merchantId, hookId, cancellationToken).ConfigureAwait(false), merchantId, hookId);
}
