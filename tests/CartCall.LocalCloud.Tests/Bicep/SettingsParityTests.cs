using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using CartCall.Functions;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CartCall.LocalCloud.Tests.Bicep;

/// <summary>
/// Every setting the app validates at start-up is set by bicep/main.bicep, and every CartCall setting the template
/// sets binds to an option. The options come from the app itself: the classes with a <c>Section</c> constant
/// (<c>CartCall:Storage</c> ...) that the app registers a validator for (ValidateDataAnnotations, or an
/// IValidateOptions). Their rules are read by reflection where they are declarative ([Required], and the members
/// an IValidatableObject names when a default instance fails), and run as the app runs them otherwise.
/// </summary>
/// <remarks>
/// What cannot be derived, and how it is handled:
/// <list type="bullet">
/// <item>A custom IValidateOptions (ACS, Web PubSub) states its rules in code and answers in prose ("set ConnectionString
/// or Endpoint"), so which keys it needs is not readable by reflection. It is checked by running it: the app's own
/// registrations validate the options bound from the template's settings.</item>
/// <item>Values only known at deployment (a resource's endpoint, a generated host name) are replaced by a value of the
/// bound property's type: an https URL for a Uri, a plain word for a string.</item>
/// <item>What a Key Vault secret holds is not in the template. Each reference is replaced by what the README tells the
/// operator to store: 32 random bytes, base64 (also what Bicep copies for the Web PubSub key).</item>
/// </list>
/// </remarks>
public sealed class SettingsParityTests(CompiledMainTemplate compiled) : IClassFixture<CompiledMainTemplate>
{
    private const string Prefix = "CartCall";

    private static readonly Assembly App = typeof(CartCallApp).Assembly;

    private static readonly Lazy<IReadOnlyList<OptionsClass>> ValidatedOptions = new(DiscoverValidatedOptions);

    [Fact]
    public void TheValidatedOptions_AreFoundInTheApp()
    {
        // Guards the derivation itself: if the app stopped registering validators this way, the other tests would
        // pass on an empty list.
        Assert.True(ValidatedOptions.Value.Count >= 5, $"found only {ValidatedOptions.Value.Count} validated options classes");
        Assert.Contains(ValidatedOptions.Value, o => o.Section == "CartCall:Storage");
        Assert.All(ValidatedOptions.Value, o => Assert.StartsWith(Prefix + ":", o.Section, StringComparison.Ordinal));
    }

    [Fact]
    public void EveryRequiredOption_IsSetByTheTemplate()
    {
        var settings = TemplateSettings();
        var missing = new List<string>();
        foreach (var options in ValidatedOptions.Value)
        {
            foreach (var property in options.Type.GetProperties().Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null))
            {
                if (!IsSet(settings, options.Key(property.Name)))
                {
                    missing.Add($"{options.Key(property.Name)} ([Required] on {options.Type.Name}.{property.Name})");
                }
            }

            // An IValidatableObject names the members it wants; a default instance shows which. Where it names several
            // (ConnectionString, or both service URIs), setting one of them is the template's choice.
            if (Activator.CreateInstance(options.Type) is IValidatableObject defaults)
            {
                foreach (var failure in defaults.Validate(new ValidationContext(defaults)))
                {
                    var members = failure.MemberNames.ToList();
                    if (members.Count > 0 && !members.Any(m => IsSet(settings, options.Key(m))))
                    {
                        missing.Add($"one of {string.Join(", ", members.Select(options.Key))} ({options.Type.Name}: {failure.ErrorMessage})");
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, "main.bicep does not set:\n" + string.Join("\n", missing));
    }

    [Fact]
    public void TheAppsStartUpValidation_PassesOnTheTemplatesSettings()
    {
        var failures = Validate(ResolvedSettings(TemplateSettings()));

        Assert.True(failures.Count == 0, "with main.bicep's settings the app would not start:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void DroppingARequiredSetting_FailsTheStartUpValidation()
    {
        // Proves the check above can fail, and finds the settings the custom validators need (which reflection cannot).
        var settings = ResolvedSettings(TemplateSettings());
        var needed = settings.Keys
            .Where(k => k.StartsWith(Prefix + "__", StringComparison.Ordinal))
            .Where(k => Validate(settings.Where(s => s.Key != k).ToDictionary()).Count > 0)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);

        var required = ValidatedOptions.Value
            .SelectMany(o => o.Type.GetProperties().Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null).Select(p => o.Key(p.Name)))
            .ToList();
        Assert.NotEmpty(required);
        Assert.All(required, key => Assert.Contains(key, needed));
        // The custom validators (ACS, Web PubSub) need settings too, and each is one the template sets.
        Assert.Contains(needed, k => k.StartsWith($"{Prefix}__Acs__", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(needed, k => k.StartsWith($"{Prefix}__WebPubSub__", StringComparison.OrdinalIgnoreCase));
        Assert.Contains($"{Prefix}__Stripe__SecretKey", needed);
        Assert.Contains($"{Prefix}__Stripe__WebhookSecrets__0", needed);
    }

    [Fact]
    public void EveryCartCallSettingTheTemplateSets_BindsToAnOption()
    {
        var options = AllOptionsClasses();
        var unbound = TemplateSettings().Keys
            .Where(k => k.StartsWith(Prefix + "__", StringComparison.OrdinalIgnoreCase))
            .Where(k => !options.Any(o => o.Binds(k)))
            .ToList();

        Assert.True(unbound.Count == 0, "main.bicep sets settings nothing binds: " + string.Join(", ", unbound));
    }

    [Fact]
    public void Secrets_ArePassedAsKeyVaultReferences()
    {
        var settings = TemplateSettings();
        foreach (var key in new[] { "CartCall__Admin__Key", "CartCall__Preferences__CookieSigningKey", "CartCall__WebPubSub__AccessKey", "CartCall__EventGrid__DeliveryKey",
            "CartCall__Stripe__SecretKey", "CartCall__Stripe__WebhookSecrets__0" })
        {
            Assert.True(settings.TryGetValue(key, out var value), $"{key} is not set");
            Assert.True(value.IsKeyVaultReference, $"{key} is not a Key Vault reference: {value.Node?.ToJsonString()}");
        }

        // No setting carries a key or a connection string of its own.
        Assert.DoesNotContain(settings, s => s.Key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase) && s.Key != "APPLICATIONINSIGHTS_CONNECTION_STRING");
    }

    [Fact]
    public void EveryStorageConnectionTheHostUses_IsSetByTheTemplate()
    {
        // The bindings in the generated functions.metadata (a queue trigger without "connection" uses
        // AzureWebJobsStorage) and Durable's storage provider (host.json connectionName, by default AzureWebJobsStorage)
        // each need their connection as a setting, here identity-based: <name>__accountName or <name>__queueServiceUri.
        var metadataPath = Path.Combine(CartCall.Testing.RepoPaths.FunctionsAppOutput, "functions.metadata");
        Assert.True(File.Exists(metadataPath), $"build the app first: no {metadataPath}");
        var connections = JsonNode.Parse(File.ReadAllText(metadataPath))!.AsArray()
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Where(b => ((string?)b!["type"])?.StartsWith("queue", StringComparison.OrdinalIgnoreCase) == true)
            .Select(b => (string?)b!["connection"] is { Length: > 0 } c ? c : "AzureWebJobsStorage")
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(connections);
        var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "host.json")))!;
        connections.Add((string?)hostJson["extensions"]?["durableTask"]?["storageProvider"]?["connectionName"] ?? "AzureWebJobsStorage");

        var settings = TemplateSettings();
        foreach (var connection in connections)
        {
            Assert.True(
                new[] { connection, $"{connection}__accountName", $"{connection}__queueServiceUri" }.Any(k => IsSet(settings, k)),
                $"the template sets no setting for the connection '{connection}'");
            Assert.False(settings.ContainsKey(connection), $"{connection} is a connection string; use the identity-based {connection}__accountName");
        }
    }

    /// <summary>Every app setting the Function app gets: the module's own, main's, and additionalAppSettings (empty).</summary>
    private Dictionary<string, TemplateValue> TemplateSettings()
    {
        var module = ArmTemplate.Module(compiled.Template, "functionApp");
        var moduleTemplate = ArmTemplate.ModuleTemplate(compiled.Template, "functionApp");
        var config = ArmTemplate.AllResources(moduleTemplate)
            .Single(r => r.Type == "Microsoft.Web/sites/config" && !r.IsExisting && r.TemplatePath == "main");
        var scope = TemplateScope.Module(module, TemplateScope.Root(compiled.Template));
        return new Dictionary<string, TemplateValue>(ArmExpression.ReadObject(config.Properties, scope), StringComparer.OrdinalIgnoreCase);
    }

    private static bool IsSet(IReadOnlyDictionary<string, TemplateValue> settings, string key) =>
        settings.TryGetValue(key, out var value) && (value.Expression is not null || !string.IsNullOrEmpty(value.KnownValue()));

    /// <summary>The settings as the app would see them after deployment (see the remarks for what stands in for what).</summary>
    private static Dictionary<string, string?> ResolvedSettings(IReadOnlyDictionary<string, TemplateValue> settings)
    {
        var options = AllOptionsClasses();
        var resolved = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in settings)
        {
            if (value.IsKeyVaultReference)
            {
                resolved[key] = KeyVaultSecretAsTheReadmeSays(key);
            }
            else if (value.KnownValue() is { } known)
            {
                resolved[key] = known;
            }
            else
            {
                // Settings no option binds (the platform's) are strings to the app.
                var type = options.Select(o => o.PropertyFor(key)).FirstOrDefault(p => p is not null)?.PropertyType ?? typeof(string);
                resolved[key] = (Nullable.GetUnderlyingType(type) ?? type) switch
                {
                    { } t when t == typeof(Uri) => $"https://{key.Replace("__", "-", StringComparison.Ordinal).ToLowerInvariant()}.example.net/",
                    { } t when t == typeof(string) => "deployed",
                    var t => throw new InvalidOperationException($"{key} is only known at deployment and binds to {t}: add a stand-in for that type."),
                };
            }
        }

        return resolved;
    }

    /// <summary>
    /// What bicep/README.md tells the operator to store in the vault for <paramref name="key"/>: Stripe's keys as the
    /// Stripe dashboard shows them (the app checks their prefixes), anything else 32 random bytes, base64.
    /// </summary>
    private static string KeyVaultSecretAsTheReadmeSays(string key)
    {
        var random = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        return key.ToUpperInvariant() switch
        {
            "CARTCALL__STRIPE__SECRETKEY" => "sk_live_" + random,
            var k when k.StartsWith("CARTCALL__STRIPE__WEBHOOKSECRETS__", StringComparison.Ordinal) => "whsec_" + random,
            _ => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
    }

    /// <summary>Binds the settings with the app's own registrations and runs every start-up validator of CartCall's options.</summary>
    private static List<string> Validate(IReadOnlyDictionary<string, string?> settings)
    {
        using var host = BuildApp(settings);
        var failures = new List<string>();
        foreach (var options in ValidatedOptions.Value)
        {
            var accessor = host.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(options.Type));
            try
            {
                _ = accessor.GetType().GetProperty(nameof(IOptions<object>.Value))!.GetValue(accessor);
            }
            catch (TargetInvocationException e) when (e.InnerException is OptionsValidationException invalid)
            {
                failures.AddRange(invalid.Failures.Select(f => $"{options.Section}: {f}"));
            }
        }

        return failures;
    }

    private static IHost BuildApp(IReadOnlyDictionary<string, string?> settings)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        // Only the template's settings: nothing from the machine's environment or a developer's files.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)));
        builder.AddCartCall();
        return builder.Build();
    }

    /// <summary>The options classes the app validates: it registers an IValidateOptions for them (ValidateDataAnnotations or its own).</summary>
    private static List<OptionsClass> DiscoverValidatedOptions()
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.Sources.Clear();
        builder.AddCartCall();
        var validated = builder.Services
            .Select(d => d.ServiceType)
            .Where(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IValidateOptions<>))
            .Select(t => t.GetGenericArguments()[0])
            .Where(t => t.Assembly == App)
            .ToHashSet();
        var options = AllOptionsClasses();
        var withoutSection = validated.Where(t => options.All(o => o.Type != t)).ToList();
        Assert.True(withoutSection.Count == 0, "validated options without a Section constant: " + string.Join(", ", withoutSection.Select(t => t.Name)));
        return options.Where(o => validated.Contains(o.Type)).OrderBy(o => o.Section, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every class in the app with a <c>Section</c> (or <c>SectionName</c>) constant under <c>CartCall:</c>.</summary>
    private static List<OptionsClass> AllOptionsClasses() =>
        App.GetTypes()
            .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static) ?? t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.GetRawConstantValue() is string s && s.StartsWith(Prefix + ":", StringComparison.Ordinal))
            .Select(x => new OptionsClass(x.Type, (string)x.Field!.GetRawConstantValue()!))
            .ToList();

    private sealed record OptionsClass(Type Type, string Section)
    {
        private string KeyPrefix => Section.Replace(":", "__", StringComparison.Ordinal) + "__";

        public string Key(string property) => KeyPrefix + property;

        /// <summary>The property <paramref name="key"/> binds to; an element of a list (<c>WebhookSecrets__0</c>) binds to the list.</summary>
        public PropertyInfo? PropertyFor(string key)
        {
            if (!key.StartsWith(KeyPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            var name = key[KeyPrefix.Length..];
            var index = name.LastIndexOf("__", StringComparison.Ordinal);
            var isElement = index > 0 && name[(index + 2)..] is { Length: > 0 } tail && tail.All(char.IsAsciiDigit);
            var property = Type.GetProperty(isElement ? name[..index] : name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            return property switch
            {
                null => null,
                { CanWrite: true } when !isElement => property,
                _ when isElement && property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition() == typeof(List<>) => property,
                _ => null,
            };
        }

        public bool Binds(string key) => PropertyFor(key) is not null;
    }
}
