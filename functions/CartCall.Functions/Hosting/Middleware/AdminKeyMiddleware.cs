using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Functions.Worker.Middleware;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Hosting.Middleware;

/// <summary>The operator's key for the admin API (<c>x-cartcall-admin-key</c>). Bound from <c>CartCall:Admin</c>.</summary>
public sealed class AdminOptions
{
    public const string Section = "CartCall:Admin";

    [Required]
    [MinLength(16, ErrorMessage = "Admin:Key must be at least 16 characters.")]
    public string Key { get; set; } = "";
}

/// <summary>Refuses requests to <see cref="AdminApiAttribute"/> functions without the right key, compared in constant time.</summary>
public sealed class AdminKeyMiddleware(IOptions<AdminOptions> options) : IFunctionsWorkerMiddleware
{
    public const string Header = "x-cartcall-admin-key";

    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (FunctionAttributes.Get<AdminApiAttribute>(context) is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var refused = Check(FunctionAttributes.Http(context).Request.Headers[Header].ToString(), options.Value.Key);
        if (refused is not null)
        {
            FunctionAttributes.Answer(context, refused);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <summary>Null when <paramref name="presented"/> is the admin key, else the 401 to answer.</summary>
    public static IResult? Check(string presented, string key)
    {
        ArgumentNullException.ThrowIfNull(presented);
        ArgumentNullException.ThrowIfNull(key);
        if (presented.Length == 0)
        {
            return Problems.Unauthorized($"Send the admin key in the {Header} header.");
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(key))
            ? null
            : Problems.Unauthorized($"The {Header} header does not hold the admin key.");
    }
}
