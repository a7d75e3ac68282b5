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

    /// <summary>The stored profile, or the defaults an anonymous shopper with this id has.</summary>
    public ShopperProfile ProfileOrDefaults(DateTimeOffset now) =>
        Profile ?? ShopperProfile.Anonymous(Cookie.MerchantId, Cookie.ProfileId, Cookie.Language, now);
}

/// <summary><c>GET /api/merchants/{merchantId}/preferences</c>: the shopper's preferences, anonymous defaults if none; always (re)sets the cookie.</summary>
public sealed class GetPreferences(PreferenceCookie cookies, TableProfileStore profiles, TimeProvider time)
{
    [Function(nameof(GetPreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [Response(200, typeof(PreferencesView))]
    [Problems(403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        var shopper = await Shopper.ResolveAsync(request, merchantId, cookies, profiles, cancellationToken).ConfigureAwait(false);
        var profile = shopper.ProfileOrDefaults(time.GetUtcNow());
        // The copy is rebuilt from the profile, so a cookie never outlives the data it copies (an erased phone stays erased).
        cookies.Write(request.HttpContext.Response, cookies.For(profile));
        return TypedResults.Ok(PreferencesView.From(profile));
    }
}

/// <summary><c>PUT /api/merchants/{merchantId}/preferences</c>: validates and saves the shopper's preferences; nothing is stored on any problem.</summary>
public sealed class PutPreferences(PreferenceCookie cookies, TableProfileStore profiles, ShopperPreferencesService preferences, IOptions<PreferencesOptions> options, TimeProvider time)
{
    [Function(nameof(PutPreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [RequestBody(typeof(PreferencesUpdate))]
    [Response(200, typeof(PreferencesView))]
    [Problems(400, 403, 404, 413, 415)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(options);
        var (update, _, problem) = await JsonBody.ReadAsync<PreferencesUpdate>(request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var shopper = await Shopper.ResolveAsync(request, merchantId, cookies, profiles, cancellationToken).ConfigureAwait(false);
        var current = shopper.ProfileOrDefaults(now);
        var origin = WidgetRequest.From(request.HttpContext)?.Origin;

        var (next, problems) = await preferences.SaveAsync(current, update!, origin, cancellationToken).ConfigureAwait(false);
        if (problems.Count > 0)
        {
            return Problems.BadRequest("The preferences are not valid; nothing was saved.", problems);
        }

        cookies.Write(request.HttpContext.Response, cookies.For(next!));
        return TypedResults.Ok(PreferencesView.From(next!));
    }
}

/// <summary><c>DELETE /api/merchants/{merchantId}/preferences</c>: right to erasure. The profile is deleted and the cookie expired.</summary>
public sealed class DeletePreferences(PreferenceCookie cookies, TableProfileStore profiles)
{
    [Function(nameof(DeletePreferences))]
    [StorefrontApi]
    [ApiTag("Preferences")]
    [Response(204)]
    [Problems(403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "merchants/{merchantId}/preferences")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
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
    [StorefrontApi]
    [ApiTag("Preferences")]
    [Response(200, typeof(PreferencesExport))]
    [Problems(403, 404)]
    public async Task<IResult> RunAsync(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "options", Route = "merchants/{merchantId}/preferences/export")] HttpRequest request,
        string merchantId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(cookies);
        ArgumentNullException.ThrowIfNull(profiles);
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
        return services;
    }
}
