using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace CartCall.LocalCloud.Stripe;

/// <summary>
/// Stripe's request parameters: <c>application/x-www-form-urlencoded</c> with bracketed keys (<c>metadata[k]=v</c>,
/// <c>expand[0]=x</c> or <c>expand[]=x</c>). GETs carry the same in the query string.
/// </summary>
internal sealed class StripeForm
{
    private readonly List<KeyValuePair<string, string>> pairs;

    private StripeForm(List<KeyValuePair<string, string>> pairs) => this.pairs = pairs;

    public static StripeForm Parse(string? encoded)
    {
        var list = new List<KeyValuePair<string, string>>();
        if (!string.IsNullOrEmpty(encoded))
        {
            foreach (var (key, values) in QueryHelpers.ParseQuery(encoded.StartsWith('?') ? encoded : "?" + encoded))
            {
                foreach (var value in values)
                {
                    list.Add(new(key, value ?? ""));
                }
            }
        }

        return new StripeForm(list);
    }

    /// <summary>Top-level parameter names (before any bracket).</summary>
    public IEnumerable<string> Roots => pairs.Select(p => Root(p.Key)).Distinct(StringComparer.Ordinal);

    public bool Has(string name) => pairs.Any(p => Root(p.Key) == name);

    public string? Scalar(string name) => pairs.LastOrDefault(p => p.Key == name).Value;

    /// <summary><c>name[key]=value</c> pairs, e.g. metadata.</summary>
    public Dictionary<string, string> Map(string name)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var prefix = name + "[";
        foreach (var (key, value) in pairs.Where(p => p.Key.StartsWith(prefix, StringComparison.Ordinal) && p.Key.EndsWith(']')))
        {
            map[key[prefix.Length..^1]] = value;
        }

        return map;
    }

    /// <summary><c>name[0]=a&amp;name[1]=b</c> or <c>name[]=a</c> values, in order.</summary>
    public List<string> List(string name) =>
        [.. pairs.Where(p => p.Key == name + "[]" || (p.Key.StartsWith(name + "[", StringComparison.Ordinal) && int.TryParse(p.Key.AsSpan(name.Length + 1, p.Key.Length - name.Length - 2), out _)))
            .Select(p => p.Value)];

    /// <summary>What identifies a request for idempotency: every parameter, order-independent.</summary>
    public string Fingerprint(string method, string path)
    {
        var sb = new StringBuilder(method).Append(' ').Append(path);
        foreach (var (key, value) in pairs.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            sb.Append('\n').Append(key).Append('=').Append(value);
        }

        return sb.ToString();
    }

    public StripeForm Without(string name) => new([.. pairs.Where(p => Root(p.Key) != name)]);

    private static string Root(string key)
    {
        var bracket = key.IndexOf('[', StringComparison.Ordinal);
        return bracket < 0 ? key : key[..bracket];
    }
}
