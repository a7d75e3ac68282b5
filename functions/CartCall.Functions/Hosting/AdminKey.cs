using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace CartCall.Functions.Hosting;

/// <summary>The operator's key for the admin API (<c>x-cartcall-admin-key</c>). Bound from <c>Admin</c>.</summary>
public sealed class AdminOptions
{
    public const string Section = "CartCall:Admin";

    [Required]
    [MinLength(16, ErrorMessage = "Admin:Key must be at least 16 characters.")]
    public string Key { get; set; } = "";
}

/// <summary>Refuses admin requests without the right key, compared in constant time.</summary>
public sealed class AdminKeyFilter(IOptions<AdminOptions> options) : IEndpointFilter
{
    public const string Header = "x-cartcall-admin-key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var presented = context.HttpContext.Request.Headers[Header].ToString();
        if (presented.Length == 0)
        {
            return Problems.Unauthorized($"Send the admin key in the {Header} header.");
        }

        var expected = Encoding.UTF8.GetBytes(options.Value.Key);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expected))
        {
            return Problems.Unauthorized($"The {Header} header does not hold the admin key.");
        }

        return await next(context).ConfigureAwait(false);
    }
}
