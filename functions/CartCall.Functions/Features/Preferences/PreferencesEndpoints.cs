using CartCall.Functions.Features.Merchants;
using CartCall.Functions.Features.OpenApi;
using CartCall.Functions.Hosting;
using CartCall.Functions.Hosting.Cors;
using CartCall.Domain.Preferences;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Features.Preferences;

/// <summary>Who the shopper is, as far as a request tells: the cookie's profile id, or a fresh anonymous one.</summary>
internal sealed record Shopper(PreferenceCookiePayload Cookie, CookieStatus Presented, ShopperProfile? Profile)
{
    /// <summary>
    /// Reads the cookie; an invalid one is never trusted and is replaced by a new anonymous identity, so whatever
    /// the old profile held stays out of reach of whoever presented it.
    /// </summary>
    public static async Task<Shopper> ResolveAsync(
        HttpRequest request, string merchantId, PreferenceCookie cookies, TableProfileStore profiles, CancellationToken cancellationToken)
    {
        var read = cookies.Read(request, merchantId);
        if (!read.IsValid)
        {
            return new Shopper(cookies.Anonymous(merchantId, ShopperLanguage.Resolve(request, null)), read.Status, null);
        }

        var profile = await profiles.GetAsync(merchantId, read.Payload!.ProfileId, cancellationToken).ConfigureAwait(false);
        return new Shopper(read.Payload, read.Status, profile);
    }

    /// <summary>The anonymous defaults for this cookie's shopper: what is not worth storing.</summary>
    public ShopperProfile Defaults(DateTimeOffset now) => ShopperProfile.Anonymous(Cookie.MerchantId, Cookie.ProfileId, Cookie.Language, now);

    /// <summary>The stored profile, or the defaults an anonymous shopper with this id has.</summary>
    public ShopperProfile ProfileOrDefaults(DateTimeOffset now) => Profile ?? Defaults(now);
}

/// <summary><c>GET /api/merchants/{merchantId}/preferences</c>: the shopper's preferences, anonymous defaults if none; always (re)sets the cookie.</summary>
public sealed class GetPreferences(PreferenceCookie cookies, TableProfileStore profiles, TimeProvider time)
{
    [Function(nameof(GetPreferences))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Preferences")]
    [Response(200, typeof(PreferencesView))]
    [Problems(401, 403)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        if (WidgetRequest.From(request.HttpContext) is null)
        {
            return PublishableKeys.Refused();
        }

        var now = time.GetUtcNow();
        var shopper = await Shopper.ResolveAsync(request, merchantId, cookies, profiles, cancellationToken).ConfigureAwait(false);
        if (shopper.Profile is { } stored)
        {
            // The shopper came back with the profile's cookie: it is in use, and is kept.
            await profiles.MarkUsedAsync(stored, now, cancellationToken).ConfigureAwait(false);
        }

        var profile = shopper.ProfileOrDefaults(now);
        // The copy is rebuilt from the profile, so a cookie never outlives the data it copies (an erased phone stays erased).
        cookies.Write(request.HttpContext.Response, cookies.For(profile));
        return TypedResults.Ok(PreferencesView.From(profile));
    }
}

/// <summary>
/// <c>PUT /api/merchants/{merchantId}/preferences</c>: validates and saves the shopper's preferences; nothing is stored
/// on any problem. The caller is unauthenticated (a cookie is all a shopper has), so a new profile is stored only when
/// the preferences hold something beyond the anonymous defaults the cookie carries anyway, and new profiles are rate
/// limited per client address and per merchant (<see cref="ProfileCreationLimiter"/>); one nobody comes back for is
/// erased later (<see cref="UnusedProfileSweeper"/>).
/// </summary>
public sealed class PutPreferences(
    PreferenceCookie cookies, TableProfileStore profiles, ShopperPreferencesService preferences, ProfileCreationLimiter creations,
    IOptions<PreferencesOptions> options, TimeProvider time)
{
    [Function(nameof(PutPreferences))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Preferences")]
    [RequestBody(typeof(PreferencesUpdate))]
    [Response(200, typeof(PreferencesView))]
    [Problems(400, 401, 403, 413, 415, 429)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(creations);
        ArgumentNullException.ThrowIfNull(options);
        if (WidgetRequest.From(request.HttpContext) is not { } widget)
        {
            return PublishableKeys.Refused();
        }

        var (update, _, problem) = await JsonBody.ReadAsync<PreferencesUpdate>(request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var shopper = await Shopper.ResolveAsync(request, merchantId, cookies, profiles, cancellationToken).ConfigureAwait(false);
        var current = shopper.ProfileOrDefaults(now);
        var (next, problems) = preferences.Check(current, update!, widget.Origin);
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The preferences are not valid; nothing was saved.", problems);
        }

        if (shopper.Profile is null)
        {
            if (next!.HoldsNothingBeyond(shopper.Defaults(now)))
            {
                // Nothing to keep that the cookie does not carry: store nothing.
                cookies.Write(request.HttpContext.Response, cookies.For(next));
                return TypedResults.Ok(PreferencesView.From(next));
            }

            if (creations.TryCreate(merchantId, ClientAddress.Of(request.HttpContext)) is { } wait)
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                request.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Problems.TooManyRequests(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"Too many new shopper profiles from this address or for this merchant; nothing was saved. Retry after {seconds} s."));
            }
        }
        else
        {
            // Saving with the profile's own cookie is coming back for it.
            next!.UsedAt ??= now;
        }

        await preferences.StoreAsync(next!, cancellationToken).ConfigureAwait(false);
        cookies.Write(request.HttpContext.Response, cookies.For(next!));
        return TypedResults.Ok(PreferencesView.From(next!));
    }
}

/// <summary><c>DELETE /api/merchants/{merchantId}/preferences</c>: right to erasure. The profile is deleted and the cookie expired.</summary>
public sealed class DeletePreferences(PreferenceCookie cookies, TableProfileStore profiles)
{
    [Function(nameof(DeletePreferences))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Preferences")]
    [Response(204)]
    [Problems(401, 403)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        if (WidgetRequest.From(request.HttpContext) is null)
        {
            return PublishableKeys.Refused();
        }

        var read = cookies.Read(request, merchantId);
        if (read.IsValid)
        {
            await profiles.DeleteAsync(merchantId, read.Payload!.ProfileId, cancellationToken).ConfigureAwait(false);
        }

        cookies.Expire(request.HttpContext.Response, merchantId);
        return TypedResults.NoContent();
    }
}

/// <summary><c>GET /api/merchants/{merchantId}/preferences/export</c>: everything held about the shopper who presents the cookie.</summary>
public sealed class ExportPreferences(PreferenceCookie cookies, TableProfileStore profiles, TimeProvider time)
{
    [Function(nameof(ExportPreferences))]
    [StorefrontApi(RequirePublishableKey = true)]
    [ApiTag("Preferences")]
    [Response(200, typeof(PreferencesExport))]
    [Problems(401, 403)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/preferences/export")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        if (WidgetRequest.From(request.HttpContext) is null)
        {
            return PublishableKeys.Refused();
        }

        var read = cookies.Read(request, merchantId);
        if (!read.IsValid)
        {
            // Without a valid cookie the request names nobody, so nothing is disclosed.
            return TypedResults.Ok(new PreferencesExport(time.GetUtcNow(), merchantId, null, null, null));
        }

        var profile = await profiles.GetAsync(merchantId, read.Payload!.ProfileId, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new PreferencesExport(time.GetUtcNow(), merchantId, read.Payload.ProfileId, profile, read.Payload));
    }
}

public static class PreferencesFeature
{
    public static IServiceCollection AddPreferences(this IServiceCollection services)
    {
        services.AddOptions<PreferencesOptions>().BindConfiguration(PreferencesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PreferenceCookie>();
        services.AddSingleton<TableProfileStore>();
        services.AddSingleton<ShopperPreferencesService>();
        services.AddSingleton<ProfileCreationLimiter>();
        services.AddSingleton<UnusedProfileSweeper>();
        return services;
    }
}
